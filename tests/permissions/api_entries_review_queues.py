"""API routes of review queues (/api/v1/review-queues/...), on the queue of the results world's
project (entries_review_queues.py builds it: A leads, B takes part, C does not).

Reading: outsiders 404 (an empty list for the list), participants and programme managers 200.
Creating, closing, reopening: leads and programme managers (an outsider naming the project in
the body: 400 on the field, as for findings). "Next" and reviews: whoever reviews in the
project, dan (evaluator at B) too: the queue names no reviewers.
"""

from __future__ import annotations

from tests.permissions.registry import api_answers, api_everyone, api_register


def queue(w) -> dict:
    return {"pk": w.queue.pk}


def reviewers(ok) -> dict:
    return api_answers(outsider=404, viewer=403, evaluator=ok, lead=ok, pm=ok)


def leads(ok) -> dict:
    return api_answers(outsider=404, viewer=403, evaluator=403, lead=ok, pm=ok)


api_register(
    "review-queue-list",
    get=api_everyone(200),
    post=api_answers(outsider=400, viewer=403, evaluator=403, lead=201, pm=201),
    partner={"POST": 403},
    data=lambda w: {
        "project": w.rw.project.slug,
        "name": "Matrix API queue",
        "runs": [w.rw.run_a.pk],
        "reviews_per_item": 2,
    },
)
api_register(
    "review-queue-detail",
    kwargs=queue,
    get=api_answers(outsider=404, viewer=200, evaluator=200, lead=200, pm=200),
)
api_register("review-queue-next", kwargs=queue, post=reviewers(200))
api_register(
    "review-queue-review",
    kwargs=lambda w: {"pk": w.queue.pk, "item_id": w.queue_item.pk},
    post=reviewers(200),
    data=lambda w: {"label": w.queue_label.slug, "manual_score": 0.0, "note": "Refused."},
)
api_register("review-queue-close", kwargs=queue, post=leads(200), partner={"POST": 403})
api_register("review-queue-reopen", kwargs=queue, post=leads(200), partner={"POST": 403})
