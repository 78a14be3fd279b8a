"""Judge agreement of a review queue and results corrected by reviews (`reviews:` namespace), on
the results world's project ("results-perm": A leads, B takes part, C does not), with a queue of
run A (`w.agreement_queue`, written directly, no review needed to read its figures).

Reading, like the project's results: anonymous -> login, outsider -> 404, participants and
programme managers -> 200. Embargo cases: tests/evaluations/results/test_judges.py.
"""

from __future__ import annotations

from evaluations.models import ReviewQueue, ReviewQueueItem
from tests.permissions.registry import answers, register, world_part


@world_part
def agreement_world(w) -> None:
    lead = w.users["lead"]
    queues = {}
    for name, project, runs in (
        ("agreement_queue", w.rw.project, [w.rw.run_a]),
        ("api_agreement_queue", w.project, []),
    ):
        queue = ReviewQueue.objects.create(
            project=project, name=f"Agreement {name}", slice_key="language", created_by=lead
        )
        queue.runs.set(runs)
        for position, sample in enumerate(
            (s for run in runs for s in run.samples.order_by("id")[:3]), start=1
        ):
            ReviewQueueItem.objects.create(queue=queue, sample=sample, position=position)
        queues[name] = queue
    w.extra.update(queues)


def read() -> dict:
    return answers(outsider=404, viewer=200, evaluator=200, lead=200, pm=200)


def queue(w) -> dict:
    return {"slug": w.rw.project.slug, "queue_id": w.agreement_queue.pk}


def project(w) -> dict:
    return {"slug": w.rw.project.slug}


register("reviews:agreement", kwargs=queue, get=read())
register("reviews:agreement_csv", kwargs=queue, get=read())
register("reviews:agreement_json", kwargs=queue, get=read())
register("reviews:corrected", kwargs=project, get=read())
register("reviews:corrected_csv", kwargs=project, get=read())
register("reviews:corrected_json", kwargs=project, get=read())
