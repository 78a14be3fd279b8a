"""API for projects, AI systems, guidelines and findings (issue 3)."""


def register_project_routes(router) -> None:
    """Register the project, system, guideline and finding viewsets."""
