"""Read-only rules shared by services, views, the API, the admin and the runner: whether a job may
run against a system now, who may review transcripts, where a guideline version's signatures stand,
what an AI system's fields must satisfy, which adopted guideline versions were superseded, which
institutes and systems may leave a project, whether the developer's response window on a finding
is still open.
Nothing here writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from evaluations.models import (
    AccessWindow,
    AISystem,
    EvaluationProject,
    Finding,
    GuidelineApproval,
    GuidelineVersion,
    Participation,
    ProjectSystem,
)
from institutes import access
from institutes.models import Institute


def system_validate(system: AISystem) -> None:
    """The rules an AI system's fields follow (also used by the admin's form)."""
    errors = {}
    if "/" not in system.inspect_model:
        errors["inspect_model"] = (
            "Use Inspect's provider/model form, e.g. 'mockllm/model' or 'openai-api/lab/model'."
        )
    if (
        system.api_key_env
        and not system.base_url
        and not system.inspect_model.startswith(("openai", "anthropic", "google"))
    ):
        errors["base_url"] = (
            "Give the endpoint's base URL for a key held in an environment variable."
        )
    if system.api_key_env and not re.fullmatch(r"[A-Z_][A-Z0-9_]*", system.api_key_env):
        # Same rule as the model's constraint, said per field (and before a key is stored).
        errors["api_key_env"] = (
            "Give the name of the environment variable that holds the key "
            "(capitals, digits and _, e.g. LAB_API_KEY), never the key itself."
        )
    if errors:
        raise ValidationError(errors)


def approval_state(
    version: GuidelineVersion, *, required: list[Institute] | None = None
) -> list[tuple[Institute, GuidelineApproval | None]]:
    """Each required institute with its signature, or None while it has not signed. `required`:
    the guideline's required institutes when the caller has them (a page of versions)."""
    signed = {a.institute_id: a for a in version.approvals.all()}
    if required is None:
        required = list(version.guideline.required_institutes.all())
    return [(inst, signed.get(inst.pk)) for inst in required]


@dataclass(frozen=True)
class SupersededAdoption:
    """The project follows `adopted`, which `current` (the guideline's approved version) replaced."""

    adopted: GuidelineVersion
    current: GuidelineVersion


def superseded_adoptions(project: EvaluationProject) -> list[SupersededAdoption]:
    """The guideline versions the project adopted that a newer approved version superseded, where
    the project has not adopted the newer one: what its page and job queue form warn about."""
    adopted = list(
        GuidelineVersion.objects.filter(adoptions__project=project).select_related("guideline")
    )
    newest_adopted: dict[int, GuidelineVersion] = {}
    for version in adopted:
        known = newest_adopted.get(version.guideline_id)
        if known is None or version.number > known.number:
            newest_adopted[version.guideline_id] = version
    current = {
        v.guideline_id: v
        for v in GuidelineVersion.objects.filter(
            guideline_id__in=newest_adopted, status=GuidelineVersion.Status.APPROVED
        ).select_related("guideline")
    }
    return [
        SupersededAdoption(adopted=version, current=current[guideline_id])
        for guideline_id, version in sorted(
            newest_adopted.items(), key=lambda item: item[1].guideline.code
        )
        if guideline_id in current and current[guideline_id].number > version.number
    ]


def participation_removal_blockers(project: EvaluationProject) -> dict[int, str]:
    """Why each participating institute may not leave the project, by institute id; an institute
    not listed may be removed. A project keeps at least one lead institute, and an institute
    leading a workstream stays until the workstream is reassigned. Uses the project's prefetched
    participations and workstreams when the page loaded them."""
    participations = list(project.participations.all())
    leads = [p for p in participations if p.role == Participation.Role.LEAD]
    leading_workstreams = {w.lead_institute_id for w in project.workstreams.all()}
    blockers = {}
    for participation in participations:
        if len(leads) == 1 and participation in leads:
            blockers[participation.institute_id] = (
                "It is the only lead institute, and a project keeps at least one lead institute."
            )
        elif participation.institute_id in leading_workstreams:
            blockers[participation.institute_id] = (
                "It leads a workstream: reassign the workstream first."
            )
    return blockers


def system_removal_blockers(project: EvaluationProject) -> dict[int, str]:
    """Why each AI system may not leave the project, by system id: a system with jobs or runs in
    the project stays (its results refer to it). Two queries."""
    used = set(project.runs.values_list("system_id", flat=True)) | set(
        project.jobs.values_list("system_id", flat=True)
    )
    return dict.fromkeys(used, "It has jobs or runs in this project.")


def can_review(user, project) -> bool:
    """Reviewing is acting in the project (evaluator or above) on results the user may read."""
    return access.can_act(user, project) and access.can_see_results(user, project)


def access_window_error(
    project: EvaluationProject, system: AISystem, *, at: datetime | None = None
) -> str | None:
    """Why a job against this system may not run now, or None when it may."""
    at = at or timezone.now()
    link = ProjectSystem.objects.filter(project=project, system=system).first()
    if link is None:
        return f"{system} is not a system of this project."
    windows = AccessWindow.objects.filter(project=project, system=system)
    if any(window.is_open(at) for window in windows):
        return None
    if link.is_reference and not windows:
        return None
    upcoming = windows.filter(starts_at__gt=at).order_by("starts_at").first()
    if upcoming is not None:
        return f"The access window for {system} opens on {upcoming.starts_at:%Y-%m-%d %H:%M} UTC."
    if windows:
        return f"The access window for {system} is closed."
    return f"No access window is recorded for {system} in this project."


def can_review_in_queue(user, queue) -> bool:
    """May the user take items of a review queue? They must be able to review in its project,
    and be one of the queue's reviewers or an evaluator or lead of one of its institutes; a queue
    naming neither is open to everyone who reviews in the project. Uses the queue's prefetched
    reviewers and institutes when the caller loaded them."""
    if not can_review(user, queue.project):
        return False
    reviewer_ids = {u.pk for u in queue.reviewers.all()}
    institute_ids = {i.pk for i in queue.institutes.all()}
    if not reviewer_ids and not institute_ids:
        return True
    if user.pk in reviewer_ids:
        return True
    return any(access.institute_rank(user, pk) >= access.ACT for pk in institute_ids)


def response_window(
    finding: Finding, *, at: datetime | None = None
) -> tuple[bool, datetime | None]:
    """(open, closes_at) of the AI developer's response window on a finding: it opens when the
    finding is shared with the developer and lasts the project's `developer_response_days`.
    closes_at is None when there is no window (not shared yet, or a project that gives 0 days);
    while it is open the finding cannot be published unless a lead overrides it with a reason."""
    days = finding.project.developer_response_days
    if finding.shared_at is None or not days:
        return False, None
    closes_at = finding.shared_at + timedelta(days=days)
    return closes_at > (at or timezone.now()), closes_at
