"""Forms of the project pages: filters, create and edit, participants, systems, windows,
workstreams, findings, adopting a guideline version.
"""

from __future__ import annotations

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
    Finding,
    GuidelineVersion,
    Participation,
    Workstream,
)
from evaluations.selectors import guidelines as guideline_selectors
from evaluations.selectors import projects as project_selectors
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "institute").choices = [
            ("", "Any institute"),
            *Institute.objects.order_by("name").values_list("code", "name"),
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


class FindingForm(forms.Form):
    title = forms.CharField(max_length=200)
    severity = forms.ChoiceField(choices=Finding.Severity.choices, initial=Finding.Severity.MEDIUM)
    workstream = forms.ModelChoiceField(queryset=Workstream.objects.none(), required=False)
    body = MarkdownField(required=False)

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        model_field(self, "workstream").queryset = project_selectors.workstreams_in(project)


class AdoptGuidelineForm(forms.Form):
    version = GuidelineVersionField(
        queryset=GuidelineVersion.objects.none(),
        label="Guideline version",
        help_text="Approved versions the project has not adopted yet.",
    )

    def __init__(self, *args, user, project, **kwargs):
        super().__init__(*args, **kwargs)
        model_field(self, "version").queryset = project_selectors.adoptable_versions(user, project)
