"""Forms of the results pages: queueing a job, reviewing a transcript, filtering samples and runs.

They check the shape of the input; the rules live in the services (`evaluations.services.jobs`,
`evaluations.services.reviews`), whose ValidationErrors come back onto the form."""

from __future__ import annotations

from typing import cast

from django import forms

from evaluations import selectors
from evaluations.forms import choice_field, model_field
from evaluations.models import (
    AISystem,
    EvaluationProject,
    EvaluationTask,
    GuidelineVersion,
    ReviewLabel,
)
from evaluations.selectors_jobs import tasks_for
from evaluations.services.job_params import PARAMS
from institutes import access
from institutes.models import Institute


class SystemChoiceField(forms.ModelChoiceField):
    """A project's systems, each labelled as the target or a reference (in words)."""

    reference_ids: set[int] = set()

    def label_from_instance(self, obj) -> str:
        return f"{obj} ({'reference' if obj.pk in self.reference_ids else 'target'})"


class JobQueueForm(forms.Form):
    task = forms.ModelChoiceField(queryset=EvaluationTask.objects.none(), empty_label=None)
    system = SystemChoiceField(
        queryset=AISystem.objects.none(), empty_label=None, label="AI system"
    )
    institute = forms.ModelChoiceField(
        queryset=Institute.objects.none(),
        empty_label=None,
        help_text="The participating institute the job runs for.",
    )
    guideline_version = forms.ModelChoiceField(
        queryset=GuidelineVersion.objects.none(),
        required=False,
        empty_label="None",
        label="Guideline version followed",
    )
    limit = forms.IntegerField(
        required=False, min_value=1, help_text=PARAMS["limit"][1] + " Empty: every sample."
    )
    epochs = forms.IntegerField(
        required=False, min_value=1, max_value=100, help_text=PARAMS["epochs"][1]
    )
    temperature = forms.FloatField(
        required=False, min_value=0.0, max_value=2.0, help_text=PARAMS["temperature"][1]
    )
    seed = forms.IntegerField(
        required=False, min_value=0, max_value=2**31 - 1, help_text=PARAMS["seed"][1]
    )

    PARAM_FIELDS = ("limit", "epochs", "temperature", "seed")

    def __init__(self, *args, user, project: EvaluationProject, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        model_field(self, "task").queryset = tasks_for(user).filter(is_active=True).order_by("name")
        system = cast(SystemChoiceField, self.fields["system"])
        system.queryset = selectors.systems_in(project)
        system.reference_ids = set(
            project.project_systems.filter(is_reference=True).values_list("system_id", flat=True)
        )
        institutes = [
            inst
            for inst in selectors.participating_institutes(project)
            if access.can_act_for(user, project, inst)
        ]
        model_field(self, "institute").queryset = Institute.objects.filter(
            pk__in=[i.pk for i in institutes]
        ).order_by("name")
        if len(institutes) == 1:
            self.fields["institute"].initial = institutes[0].pk
        model_field(self, "guideline_version").queryset = (
            GuidelineVersion.objects.filter(adoptions__project=project)
            .select_related("guideline")
            .order_by("guideline__code", "-number")
        )

    def params(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in self.PARAM_FIELDS
            if self.cleaned_data.get(name) is not None
        }


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
            *((str(s.pk), str(s)) for s in selectors.systems_in(project)),
        ]
        choice_field(self, "institute").choices = [
            ("", "Any institute"),
            *selectors.participating_institutes(project).values_list("code", "name"),
        ]
        choice_field(self, "status").choices = [("", "Any status"), *EvaluationRun.Status.choices]

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


class InstituteFilterForm(forms.Form):
    institute = forms.ChoiceField(required=False, label="Runs by")

    def __init__(self, *args, institutes, **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "institute").choices = [
            ("", "Every institute"),
            *((i.code, i.name) for i in institutes),
        ]
