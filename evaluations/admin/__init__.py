"""The admin for programme managers (and staff, scoped to their projects). One module per area;
status changes and other ruled writes go through the services (admin actions, save_model)."""

from evaluations.admin import developers, external, guidelines, jobs, pools, projects, queues

__all__ = ["developers", "external", "guidelines", "jobs", "pools", "projects", "queues"]
