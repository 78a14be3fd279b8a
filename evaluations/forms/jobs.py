"""The job queue form: task, system, institute, guideline version and Inspect parameters."""

from __future__ import annotations

from typing import cast

from django import forms

from evaluations.forms.fields import model_field
from evaluations.models import (
    AISystem,
    EvaluationProject,
    EvaluationTask,
    GuidelineVersion,
)
from evaluations.rules import superseded_adoptions
from evaluations.selectors import projects as project_selectors
from evaluations.selectors.jobs import tasks_for_project
from evaluations.services.job_params import PARAMS
from institutes import access
from institutes.models import Institute


class SystemChoiceField(forms.ModelChoiceField):
    """A project's systems, each labelled as the target or a reference (in words)."""

    reference_ids: set[int] = set()

    def label_from_instance(self, obj) -> str:
        return f"{obj} ({'reference' if obj.pk in self.reference_ids else 'target'})"


class JobQueueForm(forms.Form):
    task = forms.ModelChoiceField(
        queryset=EvaluationTask.objects.none(),
        empty_label=None,
        help_text="Tasks Concord can run here. Import-only tasks are not listed: import their "
        "logs instead.",
    )
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
        model_field(self, "task").queryset = tasks_for_project(project, runnable=True).order_by(
            "name"
        )
        system = cast(SystemChoiceField, self.fields["system"])
        system.queryset = project_selectors.systems_in(project)
        system.reference_ids = set(
            project.project_systems.filter(is_reference=True).values_list("system_id", flat=True)
        )
        institutes = [
            inst
            for inst in project_selectors.participating_institutes(project)
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
        # Shown above the form: a superseded version is still offered, but not silently.
        self.superseded_guidelines = superseded_adoptions(project)
        self.can_manage = access.can_manage(user, project)

    def params(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in self.PARAM_FIELDS
            if self.cleaned_data.get(name) is not None
        }
