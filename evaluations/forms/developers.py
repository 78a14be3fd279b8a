"""Forms of the developer's side: a lead's invitation and the sign-up of an invited contact."""

from __future__ import annotations

from django import forms


class InviteForm(forms.Form):
    email = forms.EmailField(label="E-mail address", max_length=254)
    name = forms.CharField(label="Name", max_length=200)
    organisation = forms.CharField(
        label="Organisation",
        max_length=200,
        help_text="The AI developer they work for: pick a known one or type a new name.",
        widget=forms.TextInput(attrs={"list": "developer-organisations", "autocomplete": "off"}),
    )


class SignUpForm(forms.Form):
    username = forms.CharField(label="Username", max_length=150)
    password = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)
    password_again = forms.CharField(
        label="Password again", widget=forms.PasswordInput, strip=False
    )

    def clean(self):
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", "The two passwords differ.")
        return data
