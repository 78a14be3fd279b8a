"""Ordering of API lists: `?ordering=field` (`-field` descending, several comma-separated).

DRF drops the names it does not know and falls back to the default order, so a client asking
for `?ordering=-score` could read an unsorted list as sorted. Here an unknown name is a 400 that
names `ordering` and lists the values the list accepts.
"""

from __future__ import annotations

from rest_framework import filters
from rest_framework.exceptions import ValidationError


class OrderingFilter(filters.OrderingFilter):
    def allowed_values(self, queryset, view, request=None) -> list[str]:
        names = [name for name, _ in self.get_valid_fields(queryset, view, {"request": request})]
        return [value for name in names for value in (name, f"-{name}")]

    def remove_invalid_fields(self, queryset, fields, view, request):
        terms = [term for term in fields if term]
        allowed = self.allowed_values(queryset, view, request)
        unknown = [term for term in terms if term not in allowed]
        if unknown:
            raise ValidationError(
                {
                    self.ordering_param: [
                        f"Unknown ordering: {', '.join(unknown)}. "
                        f"Allowed values: {', '.join(allowed)}."
                    ]
                }
            )
        return terms

    def get_schema_operation_parameters(self, view):
        fields = getattr(view, "ordering_fields", self.ordering_fields)
        if not isinstance(fields, (list, tuple)):
            return super().get_schema_operation_parameters(view)
        names = [field if isinstance(field, str) else field[0] for field in fields]
        values = [value for name in names for value in (name, f"-{name}")]
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": (
                    "Order of the results: a field name, `-` before it for descending; "
                    "several, comma-separated, order by the first, then the next. "
                    "Any other value is a 400."
                ),
                "schema": {"type": "array", "items": {"type": "string", "enum": values}},
                "style": "form",
                "explode": False,
            }
        ]
