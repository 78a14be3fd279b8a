"""Fields and helpers shared by the evaluations forms."""

from __future__ import annotations

from typing import cast

from django import forms

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def model_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    return cast(forms.ModelChoiceField, form.fields[name])


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


class TaskChoiceField(forms.ModelChoiceField):
    """Evaluation tasks, an import-only one labelled so (Concord cannot run it here)."""

    def label_from_instance(self, obj) -> str:
        return f"{obj.name} (import only)" if not obj.runnable else str(obj.name)


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
