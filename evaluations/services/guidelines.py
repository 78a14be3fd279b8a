"""Writes for evaluation guidelines: drafting versions, review, joint approval, adoption.

A version is approved when every required institute has signed it (one signature per institute,
given by one of its leads). Approving a version supersedes the previously approved one.

Versions follow one another: a guideline has at most one open version (a draft or one in review;
the database's `guidelineversion_one_open` constraint holds it too), and an older version is never
approved over a newer approved one, which would leave projects following a superseded protocol
without anyone having chosen it.

Besides its text, a version sets how reviews under it are done: the labels reviewers choose from
in review queues (`review_labels`; none: the default set) and the Cohen's kappa below which an LLM
judge is flagged on the results that depend on it (`judge_min_kappa`; none: no threshold). They are
part of what the institutes sign, so they too are edited only while the version is a draft, and a
new version starts from the latest one's.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, Final

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from evaluations.models import (
    Domain,
    EvaluationProject,
    Guideline,
    GuidelineApproval,
    GuidelineVersion,
    ProjectGuideline,
    ReviewLabel,
)
from institutes import access
from institutes.models import Institute
from webhooks import events as webhook_events

# Codes the pages use for their own purposes (/guidelines/new/), so no guideline may take them.
RESERVED_CODES = frozenset({"new"})


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


# Passed for `judge_min_kappa` (the default): on a new version, the latest version's threshold;
# on an edit, the draft's own. None is a value of its own there: no threshold.
UNCHANGED: Final = _Unchanged()


@transaction.atomic
def guideline_create(
    *,
    user,
    code: str,
    title: str,
    owner_institute: Institute,
    required_institutes: Iterable[Institute],
    domain: Domain | None = None,
) -> Guideline:
    access.require(
        access.is_lead_of(user, owner_institute),
        f"Only a lead of {owner_institute.name} (or a programme manager) starts a guideline for it.",
    )
    required = list(required_institutes)
    if not required:
        raise ValidationError(
            {"required_institutes": "Name at least one institute that must approve."}
        )
    if code in RESERVED_CODES:
        raise ValidationError({"code": f"The code '{code}' is reserved: choose another."})
    if Guideline.objects.filter(code=code).exists():
        raise ValidationError({"code": f"The code '{code}' is taken by another guideline."})
    guideline = Guideline(
        code=code, title=title.strip(), owner_institute=owner_institute, domain=domain
    )
    guideline.full_clean()
    guideline.save()
    guideline.required_institutes.set(required)
    return guideline


@transaction.atomic
def guideline_version_create(
    *,
    user,
    guideline: Guideline,
    body_markdown: str,
    change_summary: str = "",
    review_labels: Iterable[ReviewLabel] | None = None,
    judge_min_kappa: float | _Unchanged | None = UNCHANGED,
) -> GuidelineVersion:
    """A new draft, numbered after the latest version. Its review labels and judge threshold are
    the latest version's unless given (`review_labels=[]`: the default set; `judge_min_kappa=None`:
    no threshold)."""
    access.require(
        access.can_edit_guideline(user, guideline),
        "Only staff of the owner or a required institute draft versions of this guideline.",
    )
    if not body_markdown.strip():
        raise ValidationError({"body_markdown": "A guideline version needs a body."})
    Guideline.objects.select_for_update().filter(
        pk=guideline.pk
    ).first()  # numbers are taken in turn
    open_version = _open_version(guideline)
    if open_version is not None:
        raise ValidationError(
            f"v{open_version.number} of {guideline.code} is still "
            f"{open_version.get_status_display().lower()}: finish it (edit, submit and approve "
            "it) before starting another version."
        )
    latest = guideline.versions.order_by("-number").first()
    if isinstance(judge_min_kappa, _Unchanged):
        judge_min_kappa = latest.judge_min_kappa if latest else None
    labels = (
        list(review_labels)
        if review_labels is not None
        else (list(latest.review_labels.all()) if latest else [])
    )
    version = GuidelineVersion(
        guideline=guideline,
        number=(latest.number if latest else 0) + 1,
        body_markdown=body_markdown,
        change_summary=change_summary.strip(),
        judge_min_kappa=_checked_kappa(judge_min_kappa),
        created_by=user,
    )
    version.full_clean()
    version.save()
    version.review_labels.set(labels)
    return version


def _checked_kappa(value: Any) -> float | None:
    """A judge threshold is a kappa: a number from -1 to 1, or none."""
    if value is None:
        return None
    try:
        kappa = float(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            {"judge_min_kappa": "The judge threshold is a kappa: a number from -1 to 1."}
        ) from exc
    if math.isnan(kappa) or not -1 <= kappa <= 1:
        raise ValidationError(
            {
                "judge_min_kappa": f"The judge threshold is a kappa, from -1 to 1; {value} is "
                "out of that range."
            }
        )
    return kappa


def _open_version(guideline: Guideline) -> GuidelineVersion | None:
    return guideline.versions.filter(
        status__in=[GuidelineVersion.Status.DRAFT, GuidelineVersion.Status.IN_REVIEW]
    ).first()


def _newer_approved(version: GuidelineVersion) -> GuidelineVersion | None:
    return (
        GuidelineVersion.objects.filter(
            guideline_id=version.guideline_id,
            status=GuidelineVersion.Status.APPROVED,
            number__gt=version.number,
        )
        .order_by("-number")
        .first()
    )


@transaction.atomic
def guideline_version_update(
    *,
    user,
    version: GuidelineVersion,
    body_markdown: str,
    change_summary: str = "",
    review_labels: Iterable[ReviewLabel] | None = None,
    judge_min_kappa: float | _Unchanged | None = UNCHANGED,
) -> GuidelineVersion:
    """Edit a draft. `review_labels=None` and `judge_min_kappa=UNCHANGED` leave those as they
    are; `review_labels=[]` returns to the default set, `judge_min_kappa=None` drops the
    threshold."""
    access.require(
        access.can_edit_guideline(user, version.guideline), "You cannot edit this guideline."
    )
    # Read the status under a lock: a submit in between would otherwise let the edit through.
    status = (
        GuidelineVersion.objects.select_for_update()
        .values_list("status", flat=True)
        .get(pk=version.pk)
    )
    if status != GuidelineVersion.Status.DRAFT:
        raise ValidationError("Only a draft can be edited: start a new version instead.")
    if not body_markdown.strip():
        raise ValidationError({"body_markdown": "A guideline version needs a body."})
    version.body_markdown = body_markdown
    version.change_summary = change_summary.strip()
    fields = ["body_markdown", "change_summary"]
    if not isinstance(judge_min_kappa, _Unchanged):
        version.judge_min_kappa = _checked_kappa(judge_min_kappa)
        fields.append("judge_min_kappa")
    version.save(update_fields=fields)
    if review_labels is not None:
        version.review_labels.set(list(review_labels))
    return version


@transaction.atomic
def guideline_version_submit(*, user, version: GuidelineVersion) -> GuidelineVersion:
    """draft -> in review: the text is frozen and institutes can sign."""
    access.require(
        access.can_edit_guideline(user, version.guideline), "You cannot submit this guideline."
    )
    version = GuidelineVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != GuidelineVersion.Status.DRAFT:
        raise ValidationError(
            f"Only a draft can be submitted for review; this version is {version.get_status_display().lower()}."
        )
    version.status = GuidelineVersion.Status.IN_REVIEW
    version.save(update_fields=["status"])
    return version


@transaction.atomic
def guideline_version_approve(
    *, user, version: GuidelineVersion, institute: Institute, comment: str = ""
) -> GuidelineVersion:
    """A lead of a required institute signs for it. The last signature approves the version and
    supersedes the one approved before; a version older than the approved one is refused."""
    # The guideline's lock orders approvals of its versions, so two cannot cross.
    Guideline.objects.select_for_update().filter(pk=version.guideline_id).first()
    version = (
        GuidelineVersion.objects.select_for_update().select_related("guideline").get(pk=version.pk)
    )
    guideline = version.guideline
    required_ids = set(guideline.required_institutes.values_list("pk", flat=True))
    if institute.pk not in required_ids:
        raise ValidationError(
            {"institute": f"{institute.name} is not asked to approve this guideline."}
        )
    access.require(
        access.institute_rank(user, institute) >= access.MANAGE,
        f"Only a lead of {institute.name} signs for it.",
    )
    if version.status != GuidelineVersion.Status.IN_REVIEW:
        raise ValidationError(
            f"Only a version in review can be approved; this version is {version.get_status_display().lower()}."
        )
    newer = _newer_approved(version)
    if newer is not None:
        raise ValidationError(
            f"v{newer.number} is already approved; approving v{version.number} would supersede "
            "a newer version."
        )
    if version.approvals.filter(institute=institute).exists():
        raise ValidationError({"institute": f"{institute.name} has already approved this version."})
    try:
        with transaction.atomic():
            GuidelineApproval.objects.create(
                version=version, institute=institute, user=user, comment=comment
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"institute": f"{institute.name} has already approved this version."}
        ) from exc
    signed = set(version.approvals.values_list("institute_id", flat=True))
    if required_ids <= signed:
        guideline.versions.filter(status=GuidelineVersion.Status.APPROVED).exclude(
            pk=version.pk
        ).update(status=GuidelineVersion.Status.SUPERSEDED)
        version.status = GuidelineVersion.Status.APPROVED
        version.approved_at = timezone.now()
        version.save(update_fields=["status", "approved_at"])
        webhook_events.guideline_approved(version=version)
    return version


@transaction.atomic
def project_adopt_guideline(
    *, user, project: EvaluationProject, version: GuidelineVersion
) -> ProjectGuideline:
    access.require(
        access.can_manage(user, project),
        "Only leads of a participating institute manage this project.",
    )
    if version.status != GuidelineVersion.Status.APPROVED:
        raise ValidationError({"version": "Only an approved guideline version can be adopted."})
    if project.adoptions.filter(version=version).exists():
        raise ValidationError({"version": f"The project has already adopted {version}."})
    return ProjectGuideline.objects.create(project=project, version=version, adopted_by=user)
