"""Server-rendered pages. One module per area; every object is reached through selectors (404 for
what the user may not see) and every write goes through a service (403 for what they may not do)."""

from evaluations.views.home import home

__all__ = ["home"]
