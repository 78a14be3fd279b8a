"""Server-rendered pages, one module per page family. Every object is reached through selectors
(404 for what the user may not see) and every write goes through a service (403 for what they may
not do); the plumbing they share is in config.views."""
