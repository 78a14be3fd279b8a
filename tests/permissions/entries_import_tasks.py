"""The import page's button that registers a log's unknown task as an import-only task of the
project: /projects/<slug>/runs/import/register-task/ (POST only).

Leads of the project and programme managers register (302 back to the import page); evaluators
and viewers 403; outsiders 404; a GET by those who may register is a 405. The flow itself
(refused import, register, import again) is tested in
tests/evaluations/ingestion/test_import_only_tasks.py.
"""

from __future__ import annotations

from tests.permissions.registry import answers, register

register(
    "runs:import_register_task",
    kwargs=lambda w: {"slug": w.project.slug},
    get=answers(outsider=404, viewer=403, evaluator=403, lead=405, pm=405),
    post=answers(outsider=404, viewer=403, evaluator=403, lead=302, pm=302),
    data=lambda w: {"task_name": "matrix_import_only"},
)
