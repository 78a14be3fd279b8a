"""Forms of joint reports: a version's title and its Markdown sections (a formset: one blank
section to add, a box to remove one), and the signature's comment."""

from __future__ import annotations

from django import forms

from evaluations.services.reports import MAX_SECTION_MARKDOWN, MAX_SECTIONS


class ReportForm(forms.Form):
    title = forms.CharField(max_length=200)


class SectionForm(forms.Form):
    title = forms.CharField(max_length=200, required=False)
    markdown = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=MAX_SECTION_MARKDOWN,
        required=False,
        label="Text (Markdown)",
        help_text="Markdown; raw HTML, scripts and images are removed when it is shown.",
    )

    def clean(self):
        data = super().clean() or {}
        if data.get("markdown", "").strip() and not data.get("title", "").strip():
            self.add_error("title", "A section with text needs a title.")
        return data


SectionFormSet = forms.formset_factory(
    SectionForm, extra=1, can_delete=True, max_num=MAX_SECTIONS, validate_max=True
)


def sections_from(formset) -> list[dict[str, str]]:
    """The sections kept, in order: blank and removed ones dropped."""
    out = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data or data.get("DELETE") or not data.get("title", "").strip():
            continue
        out.append({"title": data["title"], "markdown": data.get("markdown", "")})
    return out


class ApproveForm(forms.Form):
    institute = forms.IntegerField(widget=forms.HiddenInput)
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
