"""`POST /api/v1/runs/import/`.

The import takes multipart bodies only (a log file is not JSON), and this matrix sends JSON: so a
signed-in user of any role gets 415 in the error shape, anonymous 401, and the lead's read-scope
token 403 (checked by test_api_matrix.py before the body is looked at). Who may import what, with
real multipart uploads (evaluator 201, viewer 403, another institute 403, an outsider's unknown
project 400, read-scope token 403, anonymous 401), is tested in
tests/evaluations/ingestion/test_api_import.py (test_who_may_import and the tests after it).
"""

from __future__ import annotations

from tests.permissions.registry import api_everyone, api_register

api_register(
    "run-import-list",
    post=api_everyone(415),
    data=lambda w: {"project": w.project.slug, "institute": w.institute_a.code},
)
