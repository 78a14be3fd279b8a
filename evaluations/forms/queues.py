"""Forms of the review queue pages: creating a queue, and reviewing one of its items.

The forms only read and shape the input; `evaluations.services.queues` holds every rule (its
errors are attached to these forms' fields)."""

from __future__ import annotations

import secrets

from django import forms

from evaluations.forms.fields import choice_field
from evaluations.forms.results import RunFilterForm
from evaluations.models import (
    EvaluationProject,
    EvaluationRun,
    GuidelineVersion,
    ReviewLabel,
    ReviewQueue,
)
from evaluations.results import slices
from evaluations.selectors import projects as project_selectors
from evaluations.selectors.runs import project_runs
from institutes.models import Institute, Role, User

SEED_LIMIT = 2**31 - 1  # a random default a person can read and type again


def project_reviewers(project: EvaluationProject):
    """Evaluators and leads of the project's participating institutes: who may be named."""
    return (
        User.objects.filter(
            is_active=True,
            memberships__institute__participations__project=project,
            memberships__role__in=[Role.EVALUATOR, Role.LEAD],
        )
        .distinct()
        .order_by("username")
    )


class _RunChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"Run {obj.pk}: {obj.task.name} on {obj.system} by {obj.institute.code}"


class _UserChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class _VersionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.guideline.code} v{obj.number}: {obj.guideline.title}"


class QueueForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    runs = _RunChoices(
        queryset=EvaluationRun.objects.none(),
        required=False,
        help_text="The runs whose samples are reviewed; or leave empty and use the runs filter.",
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    selection = forms.ChoiceField(
        choices=ReviewQueue.Selection.choices, initial=ReviewQueue.Selection.ALL
    )
    slice_key = forms.ChoiceField(
        required=False,
        label="Stratify by",
        help_text="A sample metadata key: the draw takes from each of its values, and progress "
        "is shown per value.",
    )
    per_slice_count = forms.IntegerField(
        required=False, min_value=1, label="N per value", help_text="For “N samples per value”."
    )
    per_slice_percent = forms.FloatField(
        required=False,
        min_value=0.01,
        max_value=100,
        label="Percent per value",
        help_text="For “a share”: rounded up, so each value gets at least one.",
    )
    seed = forms.IntegerField(min_value=0, help_text="The same seed draws the same samples again.")
    reviews_per_item = forms.TypedChoiceField(
        choices=[(1, "1"), (2, "2"), (3, "3")], coerce=int, initial=1, label="Reviews per item"
    )
    reviewers = _UserChoices(
        queryset=User.objects.none(),
        required=False,
        help_text="Leave reviewers and institutes empty to let every evaluator and lead review.",
    )
    institutes = forms.ModelMultipleChoiceField(queryset=Institute.objects.none(), required=False)
    blind = forms.BooleanField(
        required=False, initial=True, help_text="Reviewers do not see which system answered."
    )
    guideline_version = _VersionChoice(
        queryset=GuidelineVersion.objects.none(),
        required=False,
        empty_label="None: the labels below, or the default set",
        help_text="The labels come from this adopted version's label set, when it has one.",
    )
    labels = forms.ModelMultipleChoiceField(
        queryset=ReviewLabel.objects.order_by("order", "name"),
        required=False,
        help_text="Leave empty for the guideline version's labels or the default set.",
    )

    def __init__(self, *args, project: EvaluationProject, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        runs = EvaluationRun.objects.filter(project=project).select_related(
            "task", "system", "institute"
        )
        self.fields["runs"].queryset = runs.order_by("-created_at", "-pk")  # type: ignore[attr-defined]
        keys = slices.available_keys(runs)
        choice_field(self, "slice_key").choices = [
            ("", "No stratification"),
            *((k, k) for k in keys),
        ]
        self.fields["reviewers"].queryset = project_reviewers(project)  # type: ignore[attr-defined]
        self.fields["institutes"].queryset = project_selectors.participating_institutes(  # type: ignore[attr-defined]
            project
        )
        self.fields["guideline_version"].queryset = (  # type: ignore[attr-defined]
            GuidelineVersion.objects.filter(adoptions__project=project)
            .select_related("guideline")
            .order_by("guideline__code", "number")
        )
        if not self.is_bound:
            self.initial.setdefault("seed", secrets.randbelow(SEED_LIMIT))
        self.run_filter = RunFilterForm(self.data or None, project=project, prefix="filter")

    def clean(self):
        cleaned = super().clean() or {}
        if not cleaned.get("runs") and not self.errors:
            filters = self.run_filter.filters()
            if not filters:
                self.add_error("runs", "Choose runs, or a runs filter that picks some.")
            else:
                cleaned["runs"] = list(project_runs(self.project, filters))
                cleaned["run_filter"] = filters
                if not cleaned["runs"]:
                    self.add_error("runs", "The runs filter picks no run.")
        return cleaned


class QueueReviewForm(forms.Form):
    """A review of one item: the queue's labels as radio buttons (with their descriptions)."""

    label = forms.ModelChoiceField(
        queryset=ReviewLabel.objects.none(), widget=forms.RadioSelect, empty_label=None
    )
    manual_score = forms.FloatField(
        required=False,
        min_value=0.0,
        max_value=1.0,
        label="Manual score (optional)",
        help_text="0 to 1, on the automatic scorer's scale.",
        widget=forms.NumberInput(attrs={"step": "0.05"}),
    )
    note = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, queue: ReviewQueue, **kwargs):
        super().__init__(*args, **kwargs)
        labels = sorted(queue.labels.all(), key=lambda label: (label.order, label.name))
        field = self.fields["label"]
        field.queryset = ReviewLabel.objects.filter(pk__in=[label.pk for label in labels])  # type: ignore[attr-defined]
        self.label_choices = labels
