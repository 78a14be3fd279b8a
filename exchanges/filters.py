"""Filters of the exchange list, shared by the page and the API."""

from __future__ import annotations

from datetime import date

import django_filters
from django import forms
from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from exchanges.models import Exchange
from institutes.models import Institute


@extend_schema_field(OpenApiTypes.STR)
class InstituteCodeFilter(django_filters.ModelChoiceFilter):
    """An institute named by its code (a select of institutes on pages)."""


class ExchangeFilter(django_filters.FilterSet):
    institute = InstituteCodeFilter(
        queryset=Institute.objects.filter(is_active=True),
        to_field_name="code",
        method="filter_institute",
        label="Institute",
        empty_label="All institutes",
        help_text="Code of the home or the host institute, e.g. uk-aisi.",
    )
    status = django_filters.ChoiceFilter(
        choices=Exchange.Status.choices, empty_label="Any status", label="Status"
    )
    year = django_filters.NumberFilter(
        method="filter_year",
        label="Year",
        help_text="Exchanges taking place (at least partly) in this year.",
        widget=forms.NumberInput(attrs={"min": 2000, "max": 2100, "placeholder": "Any year"}),
    )
    person = django_filters.CharFilter(
        field_name="person__username", label="Person", help_text="Username of the person."
    )

    class Meta:
        model = Exchange
        fields = ["institute", "status", "year", "person"]

    def filter_institute(self, queryset, name, value):
        return queryset.filter(Q(home_institute=value) | Q(host_institute=value))

    def filter_year(self, queryset, name, value):
        year = int(value)
        if not 1900 <= year <= 2200:
            return queryset.none()
        return queryset.overlapping(date(year, 1, 1), date(year, 12, 31))
