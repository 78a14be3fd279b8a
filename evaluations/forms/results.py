"""Forms of the results pages: reviews, sample and run filters, institute filter."""

from __future__ import annotations

from django import forms

from evaluations.forms.fields import choice_field
from evaluations.models import (
    EvaluationProject,
    EvaluationTask,
    ReviewLabel,
)
from evaluations.selectors import projects as project_selectors


class ReviewForm(forms.Form):
    label = forms.ModelChoiceField(
        queryset=ReviewLabel.objects.order_by("order", "name"), empty_label="Choose a label"
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
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )


SCORE_FILTERS = [
    ("", "Any score"),
    ("correct", "Correct (1)"),
    ("incorrect", "Incorrect (0)"),
    ("partial", "Partial (between 0 and 1)"),
    ("unscored", "No score"),
]


ERROR_FILTERS = [("", "With or without error"), ("yes", "With an error"), ("no", "Without error")]


class SampleFilterForm(forms.Form):
    score = forms.ChoiceField(required=False, choices=SCORE_FILTERS)
    error = forms.ChoiceField(required=False, choices=ERROR_FILTERS, label="Error")
    q = forms.CharField(
        required=False,
        max_length=200,
        label="Sample id",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Sample id"}),
    )

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


class RunFilterForm(forms.Form):
    task = forms.ChoiceField(required=False)
    system = forms.ChoiceField(required=False, label="System")
    institute = forms.ChoiceField(required=False)
    status = forms.ChoiceField(required=False)

    def __init__(self, *args, project: EvaluationProject, **kwargs):
        from evaluations.models import EvaluationRun

        super().__init__(*args, **kwargs)
        choice_field(self, "task").choices = [
            ("", "Any task"),
            *EvaluationTask.objects.filter(runs__project=project)
            .distinct()
            .order_by("name")
            .values_list("slug", "name"),
        ]
        choice_field(self, "system").choices = [
            ("", "Any system"),
            *((str(s.pk), str(s)) for s in project_selectors.systems_in(project)),
        ]
        choice_field(self, "institute").choices = [
            ("", "Any institute"),
            *project_selectors.participating_institutes(project).values_list("code", "name"),
        ]
        choice_field(self, "status").choices = [("", "Any status"), *EvaluationRun.Status.choices]

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


class CompareForm(forms.Form):
    """The two runs of a comparison, by number. A run compared with itself is refused; runs of
    different tasks are refused by `results.comparisons` and reported on this form."""

    a = forms.IntegerField(
        label="Run A",
        min_value=1,
        error_messages={"invalid": "Give run A as a run number, such as 12."},
    )
    b = forms.IntegerField(
        label="Run B",
        min_value=1,
        error_messages={"invalid": "Give run B as a run number, such as 12."},
    )

    def clean(self):
        cleaned = super().clean() or {}
        a, b = cleaned.get("a"), cleaned.get("b")
        if a is not None and a == b:
            self.add_error(
                "b", f"Pick another run than run {a}: a run is not compared with itself."
            )
        return cleaned


class InstituteFilterForm(forms.Form):
    institute = forms.ChoiceField(required=False, label="Runs by")

    def __init__(self, *args, institutes, **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "institute").choices = [
            ("", "Every institute"),
            *((i.code, i.name) for i in institutes),
        ]


class SliceByForm(forms.Form):
    """The results page's "Slice by": a sample metadata field of the runs shown
    (`results.slices.slice_keys`), or none."""

    by = forms.ChoiceField(required=False, label="Slice by")

    def __init__(self, *args, keys, **kwargs):
        super().__init__(*args, **kwargs)
        self.keys = [k.key for k in keys]
        field = choice_field(self, "by")
        field.choices = [("", "none"), *((k.key, k.key) for k in keys)]
        available = (", ".join(self.keys) or "none").replace("%", "%%")
        field.error_messages["invalid_choice"] = (
            "The samples shown have no metadata field %(value)s to slice by. "
            f"Available: {available}."
        )
