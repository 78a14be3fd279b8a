"""Query filters for projects, systems, guidelines and findings (django-filter).

Each filter narrows a queryset that is already scoped to the user by `institutes.access`; a
filter that names another object (a project, an institute) never widens what the user sees.
"""

from __future__ import annotations

from datetime import UTC

import django_filters
from django import forms
from django.db.models import Q
from django_filters.fields import IsoDateTimeField

from evaluations.models import AISystem, EvaluationProject, Finding, Guideline
from institutes import access


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 moment, handed to the database in UTC: Python accepts offsets up to 23:59
    that PostgreSQL refuses, and a moment at the edge of the calendar may not convert at all."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except OverflowError as exc:
            raise forms.ValidationError("The date is out of range.", code="invalid") from exc


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class CreatedRangeFilterSet(django_filters.FilterSet):
    created_after = UtcIsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Created at or after (ISO 8601)."
    )
    created_before = UtcIsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="Created before (ISO 8601)."
    )


class ProjectFilter(CreatedRangeFilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=EvaluationProject.Status.choices, help_text="One or more statuses."
    )
    institute = django_filters.CharFilter(
        field_name="participations__institute__code",
        distinct=True,
        help_text="Code of a participating institute.",
    )
    domain = django_filters.CharFilter(
        field_name="workstreams__domain__slug",
        distinct=True,
        help_text="Slug of a workstream's domain, e.g. cyber.",
    )

    class Meta:
        model = EvaluationProject
        fields = ["status", "institute", "domain", "created_after", "created_before"]


class SystemFilter(CreatedRangeFilterSet):
    kind = django_filters.ChoiceFilter(choices=AISystem.Kind.choices)
    developer = django_filters.CharFilter(lookup_expr="iexact")
    project = django_filters.CharFilter(
        method="in_project", help_text="Slug of a project: its target and reference systems."
    )

    class Meta:
        model = AISystem
        fields = ["kind", "developer", "project", "created_after", "created_before"]

    def in_project(self, queryset, name, value):
        projects = access.visible_projects(self.request.user).filter(slug=value)
        return queryset.filter(project_systems__project__in=projects).distinct()


class GuidelineFilter(CreatedRangeFilterSet):
    domain = django_filters.CharFilter(field_name="domain__slug")
    institute = django_filters.CharFilter(
        method="of_institute", help_text="Code of the owner or of an institute that must approve."
    )

    class Meta:
        model = Guideline
        fields = ["domain", "institute", "created_after", "created_before"]

    def of_institute(self, queryset, name, value):
        return queryset.filter(
            Q(owner_institute__code=value) | Q(required_institutes__code=value)
        ).distinct()


class FindingFilter(CreatedRangeFilterSet):
    project = django_filters.CharFilter(field_name="project__slug", help_text="Project slug.")
    status = django_filters.MultipleChoiceFilter(choices=Finding.Status.choices)
    severity = django_filters.MultipleChoiceFilter(choices=Finding.Severity.choices)
    domain = django_filters.CharFilter(
        field_name="workstream__domain__slug", help_text="Slug of the workstream's domain."
    )
    institute = django_filters.CharFilter(
        field_name="project__participations__institute__code",
        distinct=True,
        help_text="Code of an institute taking part in the finding's project.",
    )

    class Meta:
        model = Finding
        fields = [
            "project",
            "status",
            "severity",
            "domain",
            "institute",
            "created_after",
            "created_before",
        ]
