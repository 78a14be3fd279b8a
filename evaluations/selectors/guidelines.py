"""Guidelines and their versions, already scoped to the user through `institutes.access`."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from evaluations.models import (
    Domain,
    Guideline,
    GuidelineVersion,
    ReviewLabel,
)
from institutes import access
from institutes.models import Institute


def domains() -> QuerySet[Domain]:
    return Domain.objects.order_by("order", "name")


def guideline_list(user, *, domain: str = "", q: str = "") -> QuerySet[Guideline]:
    qs = access.visible_guidelines(user).select_related("domain", "owner_institute")
    if domain:
        qs = qs.filter(domain__slug=domain)
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(title__icontains=q))
    return qs.order_by("code").prefetch_related(
        "required_institutes",
        Prefetch("versions", queryset=GuidelineVersion.objects.order_by("-number")),
    )


def guideline_for(user, code: str) -> Guideline:
    """The guideline if the user may see it (404 otherwise)."""
    try:
        return (
            access.visible_guidelines(user)
            .select_related("owner_institute", "domain")
            .get(code=code)
        )
    except Guideline.DoesNotExist as exc:
        raise Http404("No such guideline.") from exc


def guideline_page_for(user, code: str) -> Guideline:
    """The guideline with its versions, signatures and required institutes prefetched."""
    qs = (
        access.visible_guidelines(user)
        .select_related("owner_institute", "domain")
        .prefetch_related(
            Prefetch("required_institutes", queryset=Institute.objects.order_by("name")),
            Prefetch(
                "versions",
                queryset=GuidelineVersion.objects.select_related("created_by")
                .prefetch_related(
                    "approvals__institute",
                    "approvals__user",
                    Prefetch(
                        "review_labels", queryset=ReviewLabel.objects.order_by("order", "name")
                    ),
                )
                .order_by("-number"),
            ),
        )
    )
    try:
        return qs.get(code=code)
    except Guideline.DoesNotExist as exc:
        raise Http404("No such guideline.") from exc


def default_review_labels() -> list[ReviewLabel]:
    """The labels a review queue offers under a version that sets none."""
    return list(ReviewLabel.objects.filter(default=True).order_by("order", "name"))


def guideline_version_for(guideline: Guideline, number: int) -> GuidelineVersion:
    return get_object_or_404(guideline.versions.select_related("guideline"), number=number)
