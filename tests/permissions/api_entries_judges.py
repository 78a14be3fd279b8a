"""API: a run's reviewed log (`runs/<id>/reviewed-log/`), the same access as the run. The
results world's run_a keeps a file that is not a readable log (entries_results.py): the people
who may read the run get the 409 that says so; outsiders 404, anonymous 401."""

from __future__ import annotations

from tests.permissions.registry import api_answers, api_register

api_register(
    "run-reviewed-log",
    kwargs=lambda w: {"pk": w.rw.run_a.pk},
    get=api_answers(outsider=404, viewer=409, evaluator=409, lead=409, pm=409),
)
