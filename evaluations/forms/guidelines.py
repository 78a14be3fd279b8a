"""Forms of the guideline pages: filters, new guidelines and versions, approval, diffs."""

from __future__ import annotations

from django import forms

from evaluations.forms.fields import (
    MarkdownField,
    choice_field,
    model_field,
)
from evaluations.models import (
    Domain,
)
from evaluations.selectors import guidelines as guideline_selectors
from institutes import access
from institutes.models import Institute


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
            *guideline_selectors.domains().values_list("slug", "name"),
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
        model_field(self, "domain").queryset = guideline_selectors.domains()
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
