from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from config.forms import add_service_errors
from institutes import access
from institutes.models import ApiToken, User
from institutes.services import token_check


class CodeForm(forms.Form):
    """A code from the authenticator app (6 digits) or a recovery code."""

    code = forms.CharField(
        max_length=20,
        strip=True,
        label="Code",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


class ApiTokenForm(forms.Form):
    """A signed-in user asks for an API token of their own. The rules are token_check's (the
    admin and `create_token` obey the same): its refusals become this form's errors, so a blank
    name and a lifetime too long are refused in its words."""

    name = forms.CharField(
        required=False,  # token_check says what a blank name lacks
        max_length=100,
        label="Name",
        help_text="What the token is for, e.g. 'UK harness uploader'.",
        widget=forms.TextInput(attrs={"required": True, "autocomplete": "off"}),
    )
    scope = forms.ChoiceField(choices=ApiToken.Scope.choices, initial=ApiToken.Scope.READ)
    expires_in_days = forms.IntegerField(required=False, label="Expires in (days)")

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        longest = settings.API_TOKEN_MAX_DAYS
        days = self.fields["expires_in_days"]
        days.initial = settings.API_TOKEN_DEFAULT_DAYS
        days.widget.attrs.update({"min": 1, "max": longest})
        days.help_text = f"At most {longest} days."
        scope = self.fields["scope"]
        if access.can_hold_write_token(user):
            scope.help_text = "Read only: GET requests. Read and write: all your roles allow."
        else:
            read = ApiToken.Scope.READ
            scope.choices = [(read.value, read.label)]  # type: ignore[attr-defined]
            scope.help_text = (
                "Your tokens read only: evaluators, leads and programme managers hold write tokens."
            )

    def clean(self):
        cleaned = super().clean() or self.cleaned_data
        if self.errors:
            return cleaned
        try:
            cleaned["expires_in_days"] = token_check(
                user=self.user,
                name=cleaned["name"],
                scope=cleaned["scope"],
                expires_in_days=cleaned["expires_in_days"],
            )
        except ValidationError as exc:
            add_service_errors(self, exc)
        return cleaned
