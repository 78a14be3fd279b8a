"""Page forms: they only shape input; webhooks.services decides what is allowed and valid."""

from __future__ import annotations

from typing import cast

from django import forms

from institutes.models import Institute
from webhooks import selectors
from webhooks.models import EVENTS


class WebhookEditForm(forms.Form):
    """What a webhook's page changes: its URL, events and description (its institute stays)."""

    url = forms.CharField(
        max_length=2000,
        label="URL",
        help_text="https:// on a public address: Concord POSTs each event there, signed.",
    )
    events = forms.MultipleChoiceField(
        choices=EVENTS, widget=forms.CheckboxSelectMultiple, help_text="What it is told of."
    )
    description = forms.CharField(max_length=200, required=False)


class WebhookForm(WebhookEditForm):
    """Registering a webhook: the institute whose events it receives, then what it can edit."""

    institute: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=Institute.objects.none(), help_text="Whose events it receives."
    )
    field_order = ["institute", "url", "events", "description"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["institute"])
        field.queryset = selectors.webhook_institutes(user)
        if field.queryset.count() == 1:
            field.initial = field.queryset.first()
