"""Review queue pages (`reviews:` namespace) on the results world's project ("results-perm": A
leads, B takes part, C does not), with a queue of run A's samples planned by its lead
(`w.queue`, open to every reviewer of the project; `w.queue_item` its first item).

Reading (the list, a queue, an item): outsiders 404, participants and programme managers 200.
Planning, closing and reopening: leads and programme managers (viewers and evaluators 403).
"Next" and saving a review: whoever reviews in the project (viewers 403); both redirect.
POST-only routes answer a GET with 405 once the user may use them (403/404 before).
"""

from __future__ import annotations

from evaluations.models import ReviewLabel
from evaluations.services.queues import queue_create
from institutes import access
from tests.permissions.registry import answers, register, world_part


@world_part
def review_queues_world(w) -> None:
    labels = list(ReviewLabel.objects.filter(slug__in=["refusal", "correct"]))
    access.forget(w.users["lead"])  # the project is newer than what was worked out for alice
    queue = queue_create(
        project=w.rw.project,
        by=w.users["lead"],
        name="Matrix queue",
        runs=[w.rw.run_a],
        reviews_per_item=3,
        labels=labels,
    )
    w.extra.update(
        {
            "queue": queue,
            "queue_item": queue.items.order_by("position").first(),
            "queue_label": labels[0],
        }
    )


def read() -> dict:
    return answers(outsider=404, viewer=200, evaluator=200, lead=200, pm=200)


def lead_only(ok) -> dict:
    return answers(outsider=404, viewer=403, evaluator=403, lead=ok, pm=ok)


def reviewers(ok) -> dict:
    return answers(outsider=404, viewer=403, evaluator=ok, lead=ok, pm=ok)


def project(w) -> dict:
    return {"slug": w.rw.project.slug}


def queue(w) -> dict:
    return {"slug": w.rw.project.slug, "queue_id": w.queue.pk}


register("reviews:queues", kwargs=project, get=read())
register(
    "reviews:queue_create",
    kwargs=project,
    get=lead_only(200),
    post=lead_only(302),
    data=lambda w: {
        "name": "Planned in the matrix",
        "runs": [w.rw.run_a.pk],
        "selection": "all",
        "seed": 7,
        "reviews_per_item": 2,
        "blind": "on",
    },
)
register("reviews:queue", kwargs=queue, get=read())
register(
    "reviews:next",
    kwargs=queue,
    get=answers(outsider=404, viewer=405, evaluator=405, lead=405, pm=405),
    post=reviewers(302),
)
register("reviews:queue_close", kwargs=queue, get=lead_only(405), post=lead_only(302))
register("reviews:queue_reopen", kwargs=queue, get=lead_only(405), post=lead_only(302))
register(
    "reviews:item",
    kwargs=lambda w: {**queue(w), "item_id": w.queue_item.pk},
    get=read(),
    post=reviewers(302),
    data=lambda w: {"label": w.queue_label.pk, "manual_score": "0", "note": "Refused."},
)
