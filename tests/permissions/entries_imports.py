"""The import page of a project: /projects/<slug>/runs/import/.

Reading and posting the form need the evaluator role (acting) in the project: anonymous -> login,
outsider -> 404, viewer -> 403, evaluators, leads and programme managers -> 200 (the matrix posts
no file, so the form comes back with its errors). Imports of real files, hostile files and the
JSON answers of the page's XHR upload are tested in tests/evaluations/ingestion/.
"""

from __future__ import annotations

from tests.permissions.registry import answers, register


def act_on_form() -> dict:
    return answers(outsider=404, viewer=403, evaluator=200, lead=200, pm=200)


register(
    "runs:import",
    kwargs=lambda w: {"slug": w.project.slug},
    get=act_on_form(),
    post=act_on_form(),
    data=lambda w: {"institute": w.institute_a.pk},
)
