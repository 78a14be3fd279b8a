"""The reviewed log of a run (its Inspect log with people's reviews as score edits): the same
access as the run's log. The results world's run_a keeps a file that is not a readable log
(entries_results.py), so the people who may read the run get a 409 saying the log cannot be read
(the download itself is tested on real logs in tests/evaluations/judges/test_reviewed_log.py);
outsiders get 404, as for every run route."""

from __future__ import annotations

from tests.permissions.registry import answers, register


def run_a(w) -> dict:
    return {"run_id": w.rw.run_a.pk}


register(
    "runs:reviewed_log",
    kwargs=run_a,
    get=answers(outsider=404, viewer=409, evaluator=409, lead=409, pm=409),
)
