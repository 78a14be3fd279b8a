"""Helpers for API views that validate input with one serializer and answer with another
(HackSoft's InputSerializer/OutputSerializer), so the write shape and the read shape can differ.

The fields here accept exactly what the OpenAPI schema says: DRF's own turn a number into text,
1 into true, "5" into a primary key and an object into an empty list, which a client reading the
schema does not expect (and schemathesis reports). References to other objects never reach the
database with values it would refuse (a NUL character, a number beyond 64 bits).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.relations import MANY_RELATION_KWARGS, ManyRelatedField

BIGINT_MAX = 2**63 - 1


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


# --- scalar fields ---------------------------------------------------------------------------


def _json_body(field) -> bool:
    """Types are checked strictly in JSON bodies; in form data every value is text."""
    request = field.context.get("request")
    return request is None or (request.content_type or "").startswith("application/json")


class _TextOnly(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str) and _json_body(self):
            self.fail("invalid")
        return super().to_internal_value(data)


class CharField(_TextOnly, serializers.CharField):
    default_error_messages = {"invalid": "Not a valid string."}


class SlugField(_TextOnly, serializers.SlugField):
    pass


class BooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if not isinstance(data, bool) and _json_body(self):
            self.fail("invalid", input=data)
        return super().to_internal_value(data)


@extend_schema_field(
    {
        "oneOf": [{"type": "string", "format": "uri"}, {"type": "string", "maxLength": 0}],
        "description": "A URL, or an empty string for none.",
    }
)
class OptionalURLField(_TextOnly, serializers.URLField):
    def __init__(self, **kwargs):
        super().__init__(allow_blank=True, **kwargs)


# --- references to other objects -------------------------------------------------------------


class StrictManyRelatedField(ManyRelatedField):
    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        return super().to_internal_value(data)


class _StrictMany(serializers.RelatedField):
    @classmethod
    def many_init(cls, *args, **kwargs):
        # As RelatedField.many_init, with a list field that takes only lists.
        list_kwargs: dict[str, Any] = {"child_relation": cls(*args, **kwargs)}
        list_kwargs.update({k: v for k, v in kwargs.items() if k in MANY_RELATION_KWARGS})
        return StrictManyRelatedField(**list_kwargs)


class ScopedQuerysetMixin(serializers.RelatedField):
    """A related field whose choices depend on who asks: `scope(user, queryset)` narrows the
    field's queryset (e.g. to the projects the user sees), so an object outside the user's
    reach reads as "does not exist" instead of being used or revealed."""

    def __init__(self, *, scope=None, **kwargs):
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.scope is None:
            return queryset
        request = self.context.get("request")
        return self.scope(getattr(request, "user", None), queryset)


class PrimaryKeyRelatedField(_StrictMany, ScopedQuerysetMixin, serializers.PrimaryKeyRelatedField):
    """An object named by its integer id (optionally within `scope`)."""

    def to_internal_value(self, data):
        if not _json_body(self) and isinstance(data, str) and data.isascii() and data.isdigit():
            data = int(data)
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 0 < data <= BIGINT_MAX:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


class SlugRelatedField(_StrictMany, ScopedQuerysetMixin, serializers.SlugRelatedField):
    """An object named by a text key (a code, a slug, a username; optionally within `scope`)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", ""))
        return super().to_internal_value(data)


# The names the first version of this module used (other API modules import them).
ScopedPrimaryKeyRelatedField = PrimaryKeyRelatedField
ScopedSlugRelatedField = SlugRelatedField
