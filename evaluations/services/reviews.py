"""Writes for reviews of transcripts: people reading a sample and labelling it.

Rules: evaluators and leads of the project (and programme managers) review; viewers read. A
reviewer holds at most one review per sample result: saving again changes it. A review is evidence
and is kept (`evaluations.models.evidence`): it can be changed, not withdrawn. A manual score, when
given, is on the automatic scorer's 0-1 scale so that the two can be compared. Whether the review
was made blind (without seeing which system answered) is recorded with it.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from evaluations.models import ReviewLabel, SampleResult, SampleReview
from evaluations.rules import can_review
from institutes import access


@transaction.atomic
def review_save(
    *,
    sample: SampleResult,
    reviewer,
    label: ReviewLabel,
    manual_score: float | None = None,
    note: str = "",
    blind: bool = False,
) -> SampleReview:
    """Create or replace `reviewer`'s review of `sample`.

    PermissionDenied unless the reviewer may act in the sample's project; ValidationError for a
    manual score outside 0-1.
    """
    project = sample.run.project
    access.require(
        can_review(reviewer, project),
        "Only evaluators and leads of this project review transcripts.",
    )
    if manual_score is not None and not 0.0 <= manual_score <= 1.0:
        raise ValidationError({"manual_score": "A manual score is between 0 and 1."})
    review, _ = SampleReview.objects.update_or_create(
        sample=sample,
        reviewer=reviewer,
        defaults={
            "label": label,
            "manual_score": manual_score,
            "note": note.strip(),
            "blind": blind,
        },
    )
    return review
