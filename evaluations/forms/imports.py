"""The form of the import page: a log computed elsewhere, and what it is for.

It checks the shape of the input; the rules (who may import, what a log must be, how its task and
model map to Concord's) live in `evaluations.services.imports` and the ingestion service."""

from __future__ import annotations

from django import forms
from django.conf import settings

from evaluations.forms.fields import TaskChoiceField, model_field
from evaluations.models import AISystem, EvaluationProject, EvaluationTask, GuidelineVersion
from evaluations.selectors import projects as project_selectors
from evaluations.selectors.jobs import tasks_for_project
from institutes import access
from institutes.models import Institute

ACCEPT = ".eval,.json,.zip"


class RunImportForm(forms.Form):
    file = forms.FileField(
        label="Log file",
        help_text="An Inspect log (<code>.eval</code> or <code>.json</code>), or "
        "lm-evaluation-harness results: <code>results_*.json</code>, or a <code>.zip</code> of "
        "its output folder with the <code>samples_*.jsonl</code> files.",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )
    institute = forms.ModelChoiceField(
        queryset=Institute.objects.none(),
        empty_label=None,
        help_text="The participating institute that ran the evaluation.",
    )
    task = TaskChoiceField(
        queryset=EvaluationTask.objects.none(),
        required=False,
        empty_label="The task named in the log",
        label="Evaluation task",
    )
    system = forms.ModelChoiceField(
        queryset=AISystem.objects.none(),
        required=False,
        empty_label="The system with the log's model",
        label="AI system",
    )
    guideline_version = forms.ModelChoiceField(
        queryset=GuidelineVersion.objects.none(),
        required=False,
        empty_label="None",
        label="Guideline version followed",
    )
    notes = forms.CharField(
        required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 3})
    )
    override_mismatch = forms.BooleanField(
        required=False,
        label="File it under my choice even though the log says otherwise",
        help_text="A task or system that contradicts the log's own task name or model is refused "
        "unless you confirm it here, with a reason. The run page then says so.",
    )
    override_reason = forms.CharField(
        required=False,
        max_length=2_000,
        label="Reason for the override",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, user, project: EvaluationProject, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["data-max-bytes"] = str(settings.CONCORD_MAX_UPLOAD_BYTES)
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
        model_field(self, "task").queryset = tasks_for_project(project).order_by("name")
        model_field(self, "system").queryset = project_selectors.systems_in(project)
        model_field(self, "guideline_version").queryset = (
            GuidelineVersion.objects.filter(adoptions__project=project)
            .select_related("guideline")
            .order_by("guideline__code", "-number")
        )
