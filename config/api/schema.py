"""How the API describes itself in OpenAPI 3 (drf-spectacular).

- `AutoSchema` documents the error responses of every operation with the one error shape of
  `config.api.errors`, so no view has to repeat them.
- `BearerTokenScheme` describes `Authorization: Bearer <token>`.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorBodySerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="The HTTP status code, repeated.")
    code = serializers.CharField(
        help_text=(
            "Machine-readable reason: invalid, not_authenticated, authentication_failed, "
            "permission_denied, read_only_token, not_found, method_not_allowed, throttled, ..."
        )
    )
    message = serializers.CharField(help_text="What went wrong, in a sentence a person can read.")
    # A declared field named like Serializer.fields: DRF's metaclass takes it out of the class.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="400 only: each invalid input field and why (non_field_errors for the whole).",
    )
    retry_after_seconds = serializers.IntegerField(
        required=False, help_text="429 only: when to try again."
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()


ERROR_DESCRIPTIONS = {
    "400": "Invalid input or a refused change: `fields` names each field and why.",
    "401": "No credentials, or an invalid, expired or revoked token.",
    "403": "Authenticated, but your role (or a read-only token) does not allow this.",
    "404": "No such object, or it is outside the projects you take part in.",
    "413": "The request body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE (nothing is read).",
    "429": "Too many requests for this token: see `retry_after_seconds`.",
}


class AutoSchema(SpectacularAutoSchema):
    def _error_codes(self) -> list[str]:
        codes = ["401", "403"]
        has_path_params = "{" in self.path
        is_list = self.method == "GET" and self._is_list_view()
        filtered = is_list and bool(getattr(self.view, "filter_backends", None))
        if self.method != "GET" or filtered:
            codes.append("400")  # invalid input, a refused change, or a bad filter value
        if has_path_params or is_list:
            codes.append("404")  # an object outside your projects, or a page past the end
        if self.method in ("POST", "PUT", "PATCH"):
            codes.append("413")  # a body over the limit (config.api.parsers)
        codes.append("429")
        return sorted(codes)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]),
                    code,
                    direction=direction,
                )
        return responses


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "institutes.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "An API token from `python manage.py create_token <username>` or the admin: "
                "`Authorization: Bearer cnc_...`. Read-scope tokens may only use GET."
            ),
        }
