"""Page forms. They only shape input: the rules live in exchanges.services, whose ValidationErrors
the views put back on the form."""

from __future__ import annotations

from typing import cast

from django import forms
from django.db.models import QuerySet

from exchanges import rules
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
    """Leads (and programme managers) propose for any member of the home institute; evaluators
    request their own secondment from their own institute. The person list offers the chosen
    home institute's staff (only the user themselves for a request of their own); the page reloads
    it when the home institute changes."""

    home_institute = forms.ModelChoiceField(
        queryset=Institute.objects.none(), help_text="Where the person works."
    )
    person = PersonChoiceField(
        queryset=User.objects.none(),
        help_text="Staff of the home institute: choose the home institute first.",
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

    def __init__(self, *args, user, reload_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        institutes = Institute.objects.filter(is_active=True).order_by("name")
        for_others = rules.proposes_for_others(user)
        homes = (
            institutes
            if for_others
            else institutes.filter(
                pk__in=[
                    pk for pk, rank in access.institute_ranks(user).items() if rank >= access.ACT
                ]
            )
        )
        _choices(self, "home_institute", homes)
        _choices(self, "host_institute", institutes)
        home = self._chosen_home(homes)
        if home is None and not for_others:
            home = homes.first()  # staff request from their own institute: start there
            if home is not None and not self.is_bound:
                self.initial["home_institute"] = home.pk
        people = User.objects.none()
        if home is not None:
            people = User.objects.filter(is_active=True, memberships__institute=home).distinct()
            if not for_others:
                people = people.filter(pk=user.pk)
                self.fields["person"].help_text = "You request your own secondment."
                if not self.is_bound:
                    self.initial["person"] = user.pk
        _choices(self, "person", people.order_by("first_name", "last_name", "username"))
        _choices(self, "project", access.visible_projects(user).order_by("title"))
        if reload_url:
            self._reload_people_from(reload_url)

    def _reload_people_from(self, url: str) -> None:
        # Changing the home institute reloads the person list with its staff (the page answers
        # a GET carrying ?home_institute= with the form for that institute).
        self.fields["home_institute"].widget.attrs.update(
            {
                "hx-get": url,
                "hx-trigger": "change",
                "hx-include": "this",
                "hx-select": "#id_person",
                "hx-target": "#id_person",
                "hx-swap": "outerHTML",
            }
        )

    def _chosen_home(self, homes: QuerySet) -> Institute | None:
        key = self.add_prefix("home_institute")
        value = self.data.get(key) if self.is_bound else self.initial.get("home_institute")
        value = getattr(value, "pk", value)
        if not value or not str(value).isdigit():
            return None
        return homes.filter(pk=int(value)).first()

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
