"""Page forms. They only shape input: the rules live in exchanges.services, whose ValidationErrors
the views put back on the form."""

from __future__ import annotations

from typing import cast

from django import forms
from django.db.models import QuerySet

from exchanges.models import Exchange
from institutes import access
from institutes.models import Institute, Role, User


def _choices(form: forms.Form, name: str, queryset: QuerySet) -> None:
    """Narrow a model choice field to what this user may pick."""
    cast(forms.ModelChoiceField, form.fields[name]).queryset = queryset


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.display_name} ({obj.username})"


class ExchangeForm(forms.Form):
    person = PersonChoiceField(
        queryset=User.objects.none(), help_text="A member of the home institute."
    )
    home_institute = forms.ModelChoiceField(
        queryset=Institute.objects.none(), help_text="Where the person works."
    )
    host_institute = forms.ModelChoiceField(
        queryset=Institute.objects.none(), help_text="Where the person is seconded to."
    )
    role_title = forms.CharField(
        max_length=200, label="Role at the host", help_text="e.g. 'Visiting cyber evaluator'."
    )
    host_role = forms.ChoiceField(
        choices=Role.choices,
        initial=Role.EVALUATOR,
        label="Access at the host",
        help_text="The person's role in the linked project while the exchange is active.",
    )
    start_date = forms.DateField(widget=DateInput())
    end_date = forms.DateField(widget=DateInput(), help_text="The last day of the exchange.")
    project = forms.ModelChoiceField(
        queryset=Institute.objects.none(),
        required=False,
        empty_label="No project",
        help_text="Optional: a project the host institute takes part in.",
    )
    objectives = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        institutes = Institute.objects.filter(is_active=True).order_by("name")
        _choices(self, "home_institute", institutes)
        _choices(self, "host_institute", institutes)
        _choices(
            self,
            "person",
            User.objects.filter(is_active=True, memberships__institute__is_active=True)
            .distinct()
            .order_by("first_name", "last_name", "username"),
        )
        _choices(self, "project", access.visible_projects(user).order_by("title"))

    @classmethod
    def initial_for(cls, exchange: Exchange) -> dict:
        return {
            "person": exchange.person_id,
            "home_institute": exchange.home_institute_id,
            "host_institute": exchange.host_institute_id,
            "project": exchange.project_id,
            "role_title": exchange.role_title,
            "host_role": exchange.host_role,
            "start_date": exchange.start_date,
            "end_date": exchange.end_date,
            "objectives": exchange.objectives,
        }


class DecisionForm(forms.Form):
    institute = forms.ModelChoiceField(queryset=Institute.objects.all(), required=False)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class OutcomeForm(forms.Form):
    outcome = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        label="Outcome report",
        help_text="What was done and learnt, and what follows from it.",
    )


class CalendarFeedForm(forms.Form):
    institute = forms.ModelChoiceField(queryset=Institute.objects.none())
    label = forms.CharField(
        max_length=100, required=False, help_text="Where you will use it, e.g. 'Team calendar'."
    )

    def __init__(self, *args, institutes, **kwargs):
        super().__init__(*args, **kwargs)
        _choices(self, "institute", institutes)
