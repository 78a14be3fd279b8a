"""API routes of external runs (POST/GET /api/v1/external-runs/, GET/PATCH .../<id>/), on the page
matrix's world (project `frontier` led by A, B partner) with institute A's external run.

Reading: anonymous 401, outsider 404 for the run (an empty list for the list), participants and
programme managers 200. Reporting and progress: the evaluator role at the institute the run is
for (403 below it, and for dan, evaluator at B, acting for A); an outsider naming a project they
cannot see gets 404, as for the run itself.
"""

from __future__ import annotations

from tests.permissions.registry import api_answers, api_everyone, api_register


def external_run(w):
    # Imported when used: importing entries_external_runs here, before the page entries, would
    # register its world part ahead of the world's project (parts run in import order).
    from tests.permissions.entries_external_runs import external_run as made

    return made(w)


api_register(
    "external-run-list",
    get=api_everyone(200),
    post=api_answers(outsider=404, viewer=403, evaluator=201, lead=201, pm=201),
    partner={"POST": 403},
    data=lambda w: {
        "project": w.project.slug,
        "institute": w.institute_a.code,
        "eval_id": "matrix-new-eval",
        "task": "arith",
        "model": "mockllm/model",
        "samples_total": 4,
    },
)
api_register(
    "external-run-detail",
    kwargs=lambda w: {"pk": external_run(w).pk},
    get=api_answers(outsider=404, viewer=200, evaluator=200, lead=200, pm=200),
    patch=api_answers(outsider=404, viewer=403, evaluator=200, lead=200, pm=200),
    partner={"PATCH": 403},
    data=lambda w: {"samples_done": 3},
)
