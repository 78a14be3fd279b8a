"""API routes of judge agreement (GET /api/v1/review-queues/<id>/agreement/) and results
corrected by reviews (GET /api/v1/projects/<slug>/results/corrected/), on the page matrix's world
(project `frontier` led by A, B partner; the queue `w.api_agreement_queue` is written by
entries_reviews_agreement.py).

Reading: anonymous 401, outsider 404 (the queue or project is not found), participants and
programme managers 200. List only: no other method.
"""

from __future__ import annotations

from tests.permissions.registry import api_answers, api_register

api_register(
    "review-queue-agreement-list",
    kwargs=lambda w: {"queue_id": w.api_agreement_queue.pk},
    get=api_answers(outsider=404, viewer=200, evaluator=200, lead=200, pm=200),
)
api_register(
    "project-results-corrected-list",
    kwargs=lambda w: {"slug": w.project.slug},
    get=api_answers(outsider=404, viewer=200, evaluator=200, lead=200, pm=200),
)
