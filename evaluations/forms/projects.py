"""Forms of the project pages: filters, create and edit, participants, systems, windows,
workstreams, findings, adopting a guideline version.
"""

from __future__ import annotations

import re

from django import forms

from evaluations.forms.fields import (
    DateTimeLocalField,
    GuidelineVersionField,
    MarkdownField,
    PeopleField,
    choice_field,
    model_field,
)
from evaluations.models import (
    AISystem,
    Domain,
    EvaluationProject,
    EvaluationRun,
    Finding,
    FindingEvidence,
    GuidelineVersion,
    Participation,
    SampleResult,
    Workstream,
)
from evaluations.selectors import guidelines as guideline_selectors
from evaluations.selectors import projects as project_selectors
from evaluations.selectors import runs as run_selectors
from institutes import access
from institutes.models import Institute, User


class ProjectFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Title, address, system"}),
    )
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *EvaluationProject.Status.choices]
    )
    institute = forms.ChoiceField(required=False)
    domain = forms.ChoiceField(required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "institute").choices = [
            ("", "Any institute"),
            *project_selectors.filter_institutes(user).values_list("code", "name"),
        ]
        choice_field(self, "domain").choices = [
            ("", "Any domain"),
            *guideline_selectors.domains().values_list("slug", "name"),
        ]

    def filters(self) -> dict[str, str]:
        """The filters given and valid (an unknown value drops only that filter)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {key: value for key, value in self.cleaned_data.items() if value}


class ProjectCreateForm(forms.Form):
    title = forms.CharField(max_length=200)
    slug = forms.SlugField(
        label="Address",
        max_length=80,
        required=False,
        help_text="The project's address: /projects/<address>/. Leave empty to derive it from the title.",
    )
    lead_institute = forms.ModelChoiceField(
        queryset=Institute.objects.none(), help_text="An institute you lead."
    )
    partner_institutes = forms.ModelMultipleChoiceField(
        queryset=Institute.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Other institutes you lead. Leads of other institutes add theirs from the project page.",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    embargo_until = DateTimeLocalField(
        required=False,
        help_text="Results stay with the participating institutes until then (UTC).",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        institutes = access.manageable_institutes(user).filter(is_active=True).order_by("name")
        model_field(self, "lead_institute").queryset = institutes
        model_field(self, "partner_institutes").queryset = institutes


class ProjectEditForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    embargo_until = DateTimeLocalField(
        required=False,
        help_text="Results stay with the participating institutes until then (UTC).",
    )
    developer_response_days = forms.IntegerField(
        min_value=0,
        max_value=365,
        required=False,
        label="Developer's response window (days)",
        help_text="Days the AI developer has to respond to a finding shared with them before it "
        "may be published (0: no window; a lead may override it with a reason; empty: unchanged).",
    )


class StatusForm(forms.Form):
    """A status change; the service decides whether the change is allowed."""

    status = forms.CharField(max_length=24)


class ParticipationAddForm(forms.Form):
    institute = forms.ModelChoiceField(queryset=Institute.objects.none())
    role = forms.ChoiceField(choices=Participation.Role.choices, initial=Participation.Role.PARTNER)

    def __init__(self, *args, user, project, **kwargs):
        super().__init__(*args, **kwargs)
        model_field(self, "institute").queryset = project_selectors.institutes_user_can_add(
            user, project
        )
        self.fields["institute"].help_text = (
            "Institutes you lead that are not in the project yet. A lead of another institute "
            "adds it themselves."
        )


class ProjectSystemAddForm(forms.Form):
    system = forms.ModelChoiceField(queryset=AISystem.objects.none(), label="AI system")
    is_reference = forms.BooleanField(
        required=False,
        label="Reference system",
        help_text="Tick for a system the target is compared against; leave empty for a target.",
    )

    def __init__(self, *args, user, project, **kwargs):
        super().__init__(*args, **kwargs)
        model_field(self, "system").queryset = project_selectors.systems_not_in(user, project)


class AISystemForm(forms.Form):
    developer = forms.CharField(max_length=200)
    name = forms.CharField(max_length=200)
    version = forms.CharField(max_length=100, required=False)
    kind = forms.ChoiceField(choices=AISystem.Kind.choices, initial=AISystem.Kind.MODEL)
    inspect_model = forms.CharField(
        max_length=200,
        label="Inspect model",
        help_text="Inspect's provider/model name, e.g. 'mockllm/model' or 'openai-api/lab/frontier-1'.",
    )
    base_url = forms.URLField(
        assume_scheme="https",
        required=False,
        label="Base URL",
        help_text="OpenAI-compatible endpoint, if any.",
    )
    api_key_env = forms.CharField(
        max_length=100,
        required=False,
        label="API key variable",
        help_text="The NAME of the workers' environment variable holding the key (e.g. LAB_API_KEY), never the key.",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    is_reference = forms.BooleanField(
        required=False,
        label="Reference system",
        help_text="Tick for a system the target is compared against; leave empty for a target.",
    )

    SYSTEM_FIELDS = (
        "developer",
        "name",
        "version",
        "kind",
        "inspect_model",
        "base_url",
        "api_key_env",
        "description",
    )

    def system_fields(self) -> dict:
        return {key: self.cleaned_data[key] for key in self.SYSTEM_FIELDS}


class AccessWindowForm(forms.Form):
    system = forms.ModelChoiceField(queryset=AISystem.objects.none(), label="AI system")
    starts_at = DateTimeLocalField(label="Opens")
    ends_at = DateTimeLocalField(label="Closes")
    terms = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Conditions agreed with the developer.",
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        model_field(self, "system").queryset = project_selectors.systems_in(project)


class WorkstreamForm(forms.Form):
    domain = forms.ModelChoiceField(queryset=Domain.objects.none())
    lead_institute = forms.ModelChoiceField(queryset=Institute.objects.none())
    members = PeopleField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Staff of the participating institutes.",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, project, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        model_field(self, "domain").queryset = guideline_selectors.domains()
        model_field(self, "lead_institute").queryset = project_selectors.participating_institutes(
            project
        )
        model_field(self, "members").queryset = project_selectors.project_staff(project)
        if editing:
            del self.fields["domain"]


SAMPLE_ADDRESS = re.compile(r"(?:^|/)runs/(\d+)/samples/(\d+)/?(?:[?#].*)?$")


class FindingForm(forms.Form):
    """A finding and the evidence it cites, picked from the project's own runs: whole runs,
    comparisons of two runs of one task, and samples (by the address of their page)."""

    title = forms.CharField(max_length=200)
    severity = forms.ChoiceField(choices=Finding.Severity.choices, initial=Finding.Severity.MEDIUM)
    workstream = forms.ModelChoiceField(queryset=Workstream.objects.none(), required=False)
    body = MarkdownField(required=False)
    evidence_runs = forms.ModelMultipleChoiceField(
        queryset=EvaluationRun.objects.none(),
        required=False,
        label="Runs cited",
        widget=forms.CheckboxSelectMultiple,
    )
    evidence_comparisons = forms.MultipleChoiceField(
        required=False,
        label="Comparisons cited",
        widget=forms.CheckboxSelectMultiple,
        help_text="Pairs of this project's runs of the same task.",
    )
    evidence_samples = forms.CharField(
        required=False,
        label="Samples cited",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line: the address of a sample's page in this project "
        "(…/runs/12/samples/345/).",
    )

    def __init__(self, *args, project, finding: Finding | None = None, **kwargs):
        if finding is not None:
            kwargs.setdefault("initial", {}).update(self.initial_evidence(finding))
        super().__init__(*args, **kwargs)
        self.project = project
        model_field(self, "workstream").queryset = project_selectors.workstreams_in(project)
        runs = list(run_selectors.project_runs(project, {}))
        self.runs_by_pk = {run.pk: run for run in runs}
        model_field(self, "evidence_runs").queryset = run_selectors.project_runs(project, {})
        choice_field(self, "evidence_comparisons").choices = [
            (f"{a.pk}-{b.pk}", f"Run {a.pk} with run {b.pk} ({a.task}: {a.system} / {b.system})")
            for i, a in enumerate(runs)
            for b in runs[i + 1 :]
            if a.task_id == b.task_id
        ]

    @staticmethod
    def initial_evidence(finding: Finding) -> dict:
        rows = list(finding.evidence.all())
        kinds = FindingEvidence.Kind
        return {
            "evidence_runs": [row.run_id for row in rows if row.kind == kinds.RUN],
            "evidence_comparisons": [
                f"{row.run_id}-{row.run_b_id}" for row in rows if row.kind == kinds.COMPARISON
            ],
            "evidence_samples": "\n".join(
                f"/runs/{row.run_id}/samples/{row.sample_id}/"
                for row in rows
                if row.kind == kinds.SAMPLE
            ),
        }

    def clean_evidence_samples(self) -> list[SampleResult]:
        samples = []
        for line in self.cleaned_data["evidence_samples"].splitlines():
            line = line.strip()
            if not line:
                continue
            match = SAMPLE_ADDRESS.search(line)
            if match is None:
                raise forms.ValidationError(f"“{line}” is not the address of a sample's page.")
            run_pk, sample_pk = int(match[1]), int(match[2])
            sample = (
                SampleResult.objects.filter(pk=sample_pk, run_id=run_pk, run__project=self.project)
                .select_related("run")
                .first()
            )
            if sample is None:
                raise forms.ValidationError(f"“{line}” is not a sample of this project's runs.")
            samples.append(sample)
        return samples

    def evidence(self) -> list[dict]:
        """The evidence picked, in the shape `services.findings` takes."""
        data = self.cleaned_data
        items: list[dict] = [
            {"kind": FindingEvidence.Kind.RUN, "run": run} for run in data["evidence_runs"]
        ]
        for pair in data["evidence_comparisons"]:
            a, b = (int(pk) for pk in pair.split("-"))
            items.append(
                {
                    "kind": FindingEvidence.Kind.COMPARISON,
                    "run": self.runs_by_pk[a],
                    "run_b": self.runs_by_pk[b],
                }
            )
        items += [
            {"kind": FindingEvidence.Kind.SAMPLE, "run": sample.run, "sample": sample}
            for sample in data["evidence_samples"]
        ]
        return items


class AdoptGuidelineForm(forms.Form):
    version = GuidelineVersionField(
        queryset=GuidelineVersion.objects.none(),
        label="Guideline version",
        help_text="Approved versions the project has not adopted yet.",
    )

    def __init__(self, *args, user, project, **kwargs):
        super().__init__(*args, **kwargs)
        model_field(self, "version").queryset = project_selectors.adoptable_versions(user, project)
