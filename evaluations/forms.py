"""Page forms. They check the shape of the input; the rules live in evaluations.services, whose
ValidationErrors are put back on the form by `add_service_errors` (never a 500).

Choice lists come from selectors, so a form never offers what the user may not pick."""

from __future__ import annotations

from typing import cast

from django import forms
from django.core.exceptions import ValidationError

from evaluations import selectors
from evaluations.models import (
    AISystem,
    Domain,
    EvaluationProject,
    Finding,
    GuidelineVersion,
    Participation,
    Workstream,
)
from institutes import access
from institutes.models import Institute, User

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def model_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    return cast(forms.ModelChoiceField, form.fields[name])


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Attach a service's ValidationError to the form: to the named field when the form has it,
    to the form as a whole otherwise."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        form.add_error(None, exc)


class DateTimeLocalField(forms.DateTimeField):
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "Time in UTC.")
        super().__init__(**kwargs)


class MarkdownField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 14, "class": "markdown-source"})

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text", "Markdown. Raw HTML is cleaned: scripts and event handlers are removed."
        )
        super().__init__(**kwargs)


class PeopleField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.display_name


class GuidelineVersionField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.guideline.code} v{obj.number}: {obj.guideline.title}"


# --- projects -------------------------------------------------------------------------------


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
            *selectors.domains().values_list("slug", "name"),
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
        model_field(self, "institute").queryset = selectors.institutes_user_can_add(user, project)
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
        model_field(self, "system").queryset = selectors.systems_not_in(user, project)


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
        model_field(self, "system").queryset = selectors.systems_in(project)


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
        model_field(self, "domain").queryset = selectors.domains()
        model_field(self, "lead_institute").queryset = selectors.participating_institutes(project)
        model_field(self, "members").queryset = selectors.project_staff(project)
        if editing:
            del self.fields["domain"]


class FindingForm(forms.Form):
    title = forms.CharField(max_length=200)
    severity = forms.ChoiceField(choices=Finding.Severity.choices, initial=Finding.Severity.MEDIUM)
    workstream = forms.ModelChoiceField(queryset=Workstream.objects.none(), required=False)
    body = MarkdownField(required=False)

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        model_field(self, "workstream").queryset = selectors.workstreams_in(project)


class AdoptGuidelineForm(forms.Form):
    version = GuidelineVersionField(
        queryset=GuidelineVersion.objects.none(),
        label="Guideline version",
        help_text="Approved versions the project has not adopted yet.",
    )

    def __init__(self, *args, user, project, **kwargs):
        super().__init__(*args, **kwargs)
        model_field(self, "version").queryset = selectors.adoptable_versions(user, project)


# --- guidelines -----------------------------------------------------------------------------


class GuidelineFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Code or title"}),
    )
    domain = forms.ChoiceField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choice_field(self, "domain").choices = [
            ("", "Any domain"),
            *selectors.domains().values_list("slug", "name"),
        ]

    def filters(self) -> dict[str, str]:
        """The filters given and valid (an unknown value drops only that filter)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {key: value for key, value in self.cleaned_data.items() if value}


class GuidelineCreateForm(forms.Form):
    code = forms.SlugField(
        max_length=60, help_text="A short stable identifier, e.g. 'cyber-ctf-protocol'."
    )
    title = forms.CharField(max_length=200)
    domain = forms.ModelChoiceField(queryset=Domain.objects.none(), required=False)
    owner_institute = forms.ModelChoiceField(
        queryset=Institute.objects.none(), help_text="An institute you lead."
    )
    required_institutes = forms.ModelMultipleChoiceField(
        queryset=Institute.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Institutes whose leads must sign a version before it is approved.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        model_field(self, "domain").queryset = selectors.domains()
        model_field(self, "owner_institute").queryset = (
            access.manageable_institutes(user).filter(is_active=True).order_by("name")
        )
        model_field(self, "required_institutes").queryset = Institute.objects.filter(
            is_active=True
        ).order_by("name")


class GuidelineVersionForm(forms.Form):
    body_markdown = MarkdownField(label="Text")
    change_summary = forms.CharField(
        max_length=300, required=False, help_text="What changed since the previous version."
    )


class ApproveForm(forms.Form):
    """Which institute signs; the service decides whether the user may sign for it."""

    institute = forms.ModelChoiceField(queryset=Institute.objects.filter(is_active=True))
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class DiffForm(forms.Form):
    old = forms.TypedChoiceField(coerce=int, label="From version")
    new = forms.TypedChoiceField(coerce=int, label="To version")

    def __init__(self, *args, numbers: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(n, f"v{n}") for n in numbers]
        choice_field(self, "old").choices = choices
        choice_field(self, "new").choices = choices
