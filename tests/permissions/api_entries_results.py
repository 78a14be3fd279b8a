"""API route of a project's results (GET /api/v1/projects/<slug>/results/, optionally sliced by
a sample metadata field with `?by=`), on the page matrix's world (project `frontier` led by A, B
partner).

Reading: anonymous 401, outsider 404 (the project is not found), participants and programme
managers 200. List only: no other method.
"""

from __future__ import annotations

from tests.permissions.registry import api_answers, api_register

api_register(
    "project-results-list",
    kwargs=lambda w: {"slug": w.project.slug},
    get=api_answers(outsider=404, viewer=200, evaluator=200, lead=200, pm=200),
)
