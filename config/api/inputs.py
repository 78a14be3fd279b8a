"""Helpers for API views that validate input with one serializer and answer with another
(HackSoft's InputSerializer/OutputSerializer), so the write shape and the read shape can differ."""

from __future__ import annotations

from contextlib import contextmanager

from django.core.exceptions import ValidationError
from rest_framework import serializers


def validated_input(serializer_class, request, *, partial: bool = False) -> dict:
    """The request body checked by `serializer_class`: only the keys the client sent (or that
    have defaults), so services keep their own defaults for the rest. Invalid input -> 400."""
    serializer = serializer_class(data=request.data, partial=partial, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


@contextmanager
def input_names(**renames: str):
    """Report a service's field errors under the names the API input uses, e.g.
    `with input_names(institute="partner_institutes"): ...`."""
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError(
            {renames.get(field, field): errors for field, errors in exc.error_dict.items()}
        ) from exc


class ScopedQuerysetMixin:
    """A related field whose choices depend on who asks: `scope(user, queryset)` narrows the
    field's queryset (e.g. to the projects the user sees), so an object outside the user's
    reach reads as "does not exist" instead of being used or revealed."""

    def __init__(self, *, scope, **kwargs):
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return self.scope(getattr(request, "user", None), super().get_queryset())


class ScopedPrimaryKeyRelatedField(ScopedQuerysetMixin, serializers.PrimaryKeyRelatedField):
    pass


class ScopedSlugRelatedField(ScopedQuerysetMixin, serializers.SlugRelatedField):
    pass
