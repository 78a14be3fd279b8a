"""Query filters for tasks, jobs, runs and samples (django-filter). Each narrows a queryset already
scoped to the user by `evaluations.selectors.jobs`."""

from __future__ import annotations

import django_filters

from evaluations.models import EvaluationJob, EvaluationRun, EvaluationTask, SampleResult


class TaskFilter(django_filters.FilterSet):
    # `true` or `false` only (a BooleanFilter would also take `1`, `0`, `yes`...).
    runnable = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_runnable",
        help_text="true: tasks Concord's workers can run; false: import-only tasks.",
    )
    project = django_filters.CharFilter(
        field_name="project__slug", help_text="Slug of the project whose own tasks to list."
    )

    class Meta:
        model = EvaluationTask
        fields = ["runnable", "project"]

    def filter_runnable(self, queryset, name, value):
        return queryset.filter(runnable=value == "true")


class JobFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__slug", help_text="Project slug.")
    # distinct=False: a plain column needs no DISTINCT (which made PostgreSQL sort and plan over
    # every selected column of every joined table).
    status = django_filters.MultipleChoiceFilter(
        choices=EvaluationJob.Status.choices, help_text="One or more statuses.", distinct=False
    )
    task = django_filters.CharFilter(field_name="task__slug", help_text="Task slug.")
    system = django_filters.NumberFilter(field_name="system_id", help_text="System id.")
    institute = django_filters.CharFilter(field_name="institute__code", help_text="Institute code.")

    class Meta:
        model = EvaluationJob
        fields = ["project", "status", "task", "system", "institute"]


class RunFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__slug", help_text="Project slug.")
    status = django_filters.MultipleChoiceFilter(
        choices=EvaluationRun.Status.choices, help_text="One or more log statuses.", distinct=False
    )
    source = django_filters.ChoiceFilter(choices=EvaluationRun.Source.choices)
    task = django_filters.CharFilter(field_name="task__slug", help_text="Task slug.")
    system = django_filters.NumberFilter(field_name="system_id", help_text="System id.")
    institute = django_filters.CharFilter(field_name="institute__code", help_text="Institute code.")

    class Meta:
        model = EvaluationRun
        fields = ["project", "status", "source", "task", "system", "institute"]


class SampleFilter(django_filters.FilterSet):
    score = django_filters.NumberFilter(help_text="Exact primary score, e.g. 0 or 1.")
    score_min = django_filters.NumberFilter(field_name="score", lookup_expr="gte")
    score_max = django_filters.NumberFilter(field_name="score", lookup_expr="lte")
    scored = django_filters.BooleanFilter(
        field_name="score", lookup_expr="isnull", exclude=True, help_text="Has a primary score."
    )
    has_error = django_filters.BooleanFilter(
        method="filter_has_error", help_text="true: samples that errored; false: the others."
    )
    epoch = django_filters.NumberFilter()
    sample_id = django_filters.CharFilter(help_text="The sample's id in the dataset.")

    class Meta:
        model = SampleResult
        fields = ["score", "score_min", "score_max", "scored", "has_error", "epoch", "sample_id"]

    def filter_has_error(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.exclude(error="") if value else queryset.filter(error="")
