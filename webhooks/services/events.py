"""Emitting events: `emit()` writes one Delivery per recipient webhook in the caller's
transaction and sends their ids to the workers once it commits. Nothing here talks to the
network, so emitting never blocks or fails the change that caused it.

Recipients are the active webhooks subscribed to the event of the institutes that take part in
the event's project (for `guideline.approved`: the institutes required to sign the guideline and
those taking part in a project that adopted one of its versions). Bodies hold ids, statuses,
slugs and links (the page and the API) only: never scores, finding text or anything else a
recipient institute might not be allowed to see.

The services where things happen call the event functions below (`job_finished`, ...) through
`webhooks.events`, explicitly: no signals.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from evaluations.models import (
    AccessWindow,
    EvaluationJob,
    EvaluationProject,
    EvaluationRun,
    Finding,
    GuidelineVersion,
    Participation,
    ProjectGuideline,
)
from webhooks.models import PING, AccessWindowNotice, Delivery, Webhook


def absolute(path: str) -> str:
    return settings.CONCORD_SITE_URL.rstrip("/") + path


def _links(page: str, page_kwargs: dict, api: str, api_kwargs: dict) -> dict[str, str]:
    return {
        "url": absolute(reverse(page, kwargs=page_kwargs)),
        "api_url": absolute(reverse(api, kwargs=api_kwargs)),
    }


def _send(delivery_ids: list[int]) -> None:
    from webhooks.tasks import deliver

    for delivery_id in delivery_ids:
        deliver.delay(delivery_id)


def _recipients(event: str, institute_ids: Iterable[int]) -> list[Webhook]:
    hooks = Webhook.objects.filter(institute_id__in=set(institute_ids), active=True)
    # The subscription is checked here rather than in SQL: JSON containment is not on SQLite.
    return [hook for hook in hooks.select_related("institute") if event in (hook.events or [])]


def emit(
    event: str,
    *,
    project: EvaluationProject | int | None = None,
    institute_ids: Iterable[int] = (),
    webhooks: Iterable[Webhook] | None = None,
    data: dict[str, Any],
) -> list[Delivery]:
    """Record `event` for its recipients (the project's participants and `institute_ids`, or
    exactly `webhooks`) and send it to them after the caller's transaction commits."""
    if webhooks is None:
        ids = set(institute_ids)
        if project is not None:
            project_id = getattr(project, "pk", project)
            ids |= set(
                Participation.objects.filter(project_id=project_id).values_list(
                    "institute_id", flat=True
                )
            )
        webhooks = _recipients(event, ids)
    now = timezone.now()
    deliveries = []
    for hook in webhooks:
        delivery = Delivery(webhook=hook, event=event, next_attempt_at=now)
        delivery.body = json.dumps(
            {
                "id": str(delivery.uid),
                "event": event,
                "created_at": now.isoformat().replace("+00:00", "Z"),
                "institute": hook.institute.code,
                "data": data,
            },
            separators=(",", ":"),
            sort_keys=True,
        )
        deliveries.append(delivery)
    if deliveries:
        Delivery.objects.bulk_create(deliveries)
        delivery_ids = [delivery.pk for delivery in deliveries]
        # robust: a broker that is down must not undo the change that emitted the event; the
        # reconciler (webhooks.tasks.resend_due) sends what is due later.
        transaction.on_commit(partial(_send, delivery_ids), robust=True)
    return deliveries


# --- what each event says ---------------------------------------------------------------------


def _project(project: EvaluationProject) -> dict[str, Any]:
    return {
        "slug": project.slug,
        **_links(
            "projects:detail", {"slug": project.slug}, "project-detail", {"slug": project.slug}
        ),
    }


def _run(run_id: int | None) -> dict[str, Any] | None:
    if run_id is None:
        return None
    return {"id": run_id, **_links("runs:detail", {"run_id": run_id}, "run-detail", {"pk": run_id})}


def job_finished(*, job_id: int) -> list[Delivery]:
    """`job.finished`: the job reached a final status (succeeded, failed, cancelled)."""
    job = EvaluationJob.objects.select_related("project", "task", "institute").get(pk=job_id)
    if job.status not in EvaluationJob.FINAL:
        return []
    data = {
        "job": {
            "id": job.pk,
            "status": job.status,
            **_links("jobs:detail", {"job_id": job.pk}, "job-detail", {"pk": job.pk}),
        },
        "project": _project(job.project),
        "institute": job.institute.code,
        "task": job.task.slug,
        "system": job.system_id,
        "run": _run(job.run_id),
    }
    return emit("job.finished", project=job.project, data=data)


def run_imported(*, run: EvaluationRun, job_id: int | None = None) -> list[Delivery]:
    """`run.imported`: a run was created by an upload, an import or a job."""
    project = EvaluationProject.objects.get(pk=run.project_id)
    data = {
        "run": {**(_run(run.pk) or {}), "status": run.status, "source": run.source},
        "project": _project(project),
        "institute": run.institute.code,
        "task": run.task.slug if run.task_id else None,
        "system": run.system_id,
        "job": job_id,
    }
    return emit("run.imported", project=project, data=data)


FINDING_CHANGES = ("created", "status", "text")


def finding_changed(*, finding: Finding, change: str) -> list[Delivery]:
    """`finding.changed`: a finding was recorded (`created`), moved along (`status`) or its
    title or body was edited (`text`). The text itself is never sent."""
    if change not in FINDING_CHANGES:
        raise ValueError(f"A finding change is one of {FINDING_CHANGES}, not {change!r}.")
    project = EvaluationProject.objects.get(pk=finding.project_id)
    page = reverse("projects:detail", kwargs={"slug": project.slug}) + f"#finding-{finding.pk}"
    data = {
        "finding": {
            "id": finding.pk,
            "status": finding.status,
            "change": change,
            "url": absolute(page),
            "api_url": absolute(reverse("finding-detail", kwargs={"pk": finding.pk})),
        },
        "project": _project(project),
    }
    return emit("finding.changed", project=project, data=data)


def guideline_approved(*, version: GuidelineVersion) -> list[Delivery]:
    """`guideline.approved`: to the institutes required to sign the guideline and to the
    participants of projects that adopted one of its versions."""
    guideline = version.guideline
    required = set(guideline.required_institutes.values_list("pk", flat=True))
    adopters = set(
        Participation.objects.filter(
            project__in=ProjectGuideline.objects.filter(version__guideline_id=guideline.pk).values(
                "project_id"
            )
        ).values_list("institute_id", flat=True)
    )
    data = {
        "guideline": {
            "code": guideline.code,
            **_links(
                "guidelines:detail",
                {"code": guideline.code},
                "guideline-detail",
                {"code": guideline.code},
            ),
        },
        "version": {
            "id": version.pk,
            "number": version.number,
            "status": version.status,
            "api_url": absolute(
                reverse(
                    "guideline-version-detail",
                    kwargs={"code": guideline.code, "number": version.number},
                )
            ),
        },
    }
    return emit("guideline.approved", institute_ids=required | adopters, data=data)


def access_window_closing(*, window: AccessWindow) -> list[Delivery]:
    project = EvaluationProject.objects.get(pk=window.project_id)
    data = {
        "access_window": {
            "id": window.pk,
            "starts_at": window.starts_at.isoformat(),
            "ends_at": window.ends_at.isoformat(),
        },
        "project": _project(project),
        "system": window.system_id,
    }
    return emit("access_window.closing", project=project, data=data)


def access_windows_notify(*, now=None) -> int:
    """Emit `access_window.closing` for every window that closes within
    CONCORD_WEBHOOK_WINDOW_NOTICE and has not been announced (for its current end): once per
    window, even when two beats run at once (the notice row is unique). Returns how many."""
    now = now or timezone.now()
    closing = AccessWindow.objects.filter(
        ends_at__gt=now, ends_at__lte=now + settings.CONCORD_WEBHOOK_WINDOW_NOTICE
    ).order_by("ends_at", "pk")
    announced = 0
    for window in closing:
        if AccessWindowNotice.objects.filter(window=window, ends_at=window.ends_at).exists():
            continue
        try:
            with transaction.atomic():
                AccessWindowNotice.objects.create(window=window, ends_at=window.ends_at)
                access_window_closing(window=window)
        except IntegrityError:
            continue  # another beat announced it first
        announced += 1
    return announced


def ping(*, webhook: Webhook) -> Delivery:
    """The test event, to this webhook only (whatever it subscribes to)."""
    data = {
        "webhook": {
            "id": webhook.pk,
            **_links("webhooks:detail", {"pk": webhook.pk}, "webhook-detail", {"pk": webhook.pk}),
        }
    }
    return emit(PING, webhooks=[webhook], data=data)[0]
