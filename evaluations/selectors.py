"""Reads, already scoped to the user through institutes.access."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from evaluations.models import EvaluationProject
from institutes import access


def projects_for(user) -> QuerySet[EvaluationProject]:
    return (
        access.visible_projects(user)
        .annotate(participant_count=Count("participations", distinct=True))
        .prefetch_related("participations__institute")
        .order_by("-created_at")
    )
