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
    GuidelineVersion,
    ReviewLabel,
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


def label_says(label: ReviewLabel) -> str:
    """What a review label says about the answer, in words."""
    if label.verdict is None:
        return "says nothing about the answer"
    if label.verdict == 1:
        return "says: right"
    if label.verdict == 0:
        return "says: wrong"
    return f"says: {label.verdict:g} right"


class ReviewLabelsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        described = f"{obj.name} — {obj.description}" if obj.description else obj.name
        return f"{described} ({label_says(obj)})"


class GuidelineVersionForm(forms.Form):
    body_markdown = MarkdownField(label="Text")
    change_summary = forms.CharField(
        max_length=300, required=False, help_text="What changed since the previous version."
    )
    review_labels = ReviewLabelsField(
        queryset=ReviewLabel.objects.order_by("order", "name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Review labels",
        help_text="The labels reviewers choose from in review queues under this version. "
        "None ticked: the default set.",
    )
    judge_min_kappa = forms.FloatField(
        label="Flag LLM judges whose kappa is below",
        required=False,
        min_value=-1,
        max_value=1,
        widget=forms.NumberInput(attrs={"step": "0.01"}),
        help_text="An LLM judge whose Cohen's kappa with the reviewers' majority is below this "
        "is flagged on every result that depends on it. Empty: no threshold.",
    )

    @staticmethod
    def initial_from(version: GuidelineVersion, *, summary: bool = True) -> dict:
        """The form's fields as `version` has them (`summary=False`: a new version's form,
        starting from this one's text and settings with a summary of its own)."""
        initial = {
            "body_markdown": version.body_markdown,
            "review_labels": list(version.review_labels.all()),
            "judge_min_kappa": version.judge_min_kappa,
        }
        if summary:
            initial["change_summary"] = version.change_summary
        return initial

    def service_kwargs(self) -> dict:
        """The cleaned fields, as the guideline services take them."""
        data = self.cleaned_data
        return {
            "body_markdown": data["body_markdown"],
            "change_summary": data["change_summary"],
            "review_labels": list(data["review_labels"]),
            "judge_min_kappa": data["judge_min_kappa"],
        }


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
