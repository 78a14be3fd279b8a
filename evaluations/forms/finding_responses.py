"""Forms of what is said about a finding: a comment, the developer's response, and a lead's
reason for publishing before the developer's response window closes. The services decide who
may send them."""

from __future__ import annotations

from django import forms

from evaluations.models import FindingResponse
from evaluations.services.finding_responses import MAX_TEXT


class FindingCommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Plain text or Markdown.",
    )


class FindingResponseForm(forms.Form):
    kind = forms.ChoiceField(label="Response", choices=FindingResponse.Kind.choices)
    text = forms.CharField(
        label="Explanation",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Plain text or Markdown. A new response replaces the one before; both are kept.",
    )


class PublishOverrideForm(forms.Form):
    override_reason = forms.CharField(
        label="Reason for publishing now",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with the finding, with your name.",
    )
