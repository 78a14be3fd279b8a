"""API: a finding's comments and the developer's responses, on the world's `shared_finding`
(shared with the developer; devon is a developer contact of its project: entries_developers.py,
entries_finding_responses.py). Participants and programme managers read both; evaluators, leads
and programme managers comment; only the developer's contact records a response (403 for the
others: they see the finding); outsiders get 404."""

from __future__ import annotations

from tests.permissions.registry import api_answers, api_register


def shared(w) -> dict:
    return {"pk": w.shared_finding.pk}


def read() -> dict:
    return api_answers(outsider=404, viewer=200, evaluator=200, lead=200, pm=200, developer=200)


api_register(
    "finding-comments",
    kwargs=shared,
    get=read(),
    post=api_answers(outsider=404, viewer=403, evaluator=201, lead=201, pm=201, developer=201),
    data=lambda w: {"body": "A note from the matrix."},
)
api_register(
    "finding-responses",
    kwargs=shared,
    get=read(),
    post=api_answers(outsider=404, viewer=403, evaluator=403, lead=403, pm=403, developer=201),
    data=lambda w: {"kind": "disputed", "text": "Not reproducible on our side."},
)
