"""REST API resources of this app, registered on the /api/v1/ router.

/api/v1/webhooks/                      GET list, POST register (the answer holds the secret, once)
/api/v1/webhooks/<id>/                 GET, PATCH (url, events, active, description), DELETE
/api/v1/webhooks/<id>/test/            POST: send the `ping` event
/api/v1/webhooks/<id>/rotate-secret/   POST: a new secret (in the answer, once)
/api/v1/webhooks/<id>/deliveries/      GET: the delivery log, latest first
"""

from __future__ import annotations

from typing import cast

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from config.api.inputs import validated_input
from config.api.parsers import JSONParser
from config.api.permissions import SIGNED_IN
from institutes import access
from institutes.models import Institute, User
from webhooks import selectors
from webhooks.serializers import (
    DeliverySerializer,
    WebhookCreateSerializer,
    WebhookSerializer,
    WebhookUpdateSerializer,
    WebhookWithSecretSerializer,
)
from webhooks.services import webhooks as services


def _default_institute(user: User) -> Institute:
    """The one institute the user leads, when the request names none."""
    led = [pk for pk, rank in access.institute_ranks(user).items() if rank >= access.MANAGE]
    if len(led) == 1:
        return Institute.objects.get(pk=led[0])
    access.require(bool(led) or access.is_programme_manager(user), services.NOT_A_LEAD)
    raise ValidationError({"institute": "Name the institute (its code) the webhook is for."})


@extend_schema_view(
    list=extend_schema(summary="Webhooks of the institutes you lead", tags=["webhooks"]),
    retrieve=extend_schema(summary="One webhook (never its secret)", tags=["webhooks"]),
    destroy=extend_schema(summary="Delete a webhook and its delivery log", tags=["webhooks"]),
)
class WebhookViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Signed webhooks of an institute (docs/partner-tools.md, "Webhooks"). Leads manage their
    institutes' webhooks, programme managers every institute's; others' are 404."""

    permission_classes = SIGNED_IN
    serializer_class = WebhookSerializer
    parser_classes = [JSONParser]
    ordering = ["institute__code", "-created_at", "-pk"]
    ordering_fields = ["created_at"]

    @property
    def user(self) -> User:
        return cast(User, self.request.user)

    def get_queryset(self):
        return selectors.webhooks_managed_by(self.request.user)

    def _with_secret(self, result, http_status: int) -> Response:
        serializer = WebhookWithSecretSerializer(
            result.webhook, context={**self.get_serializer_context(), "secret": result.secret}
        )
        return Response(serializer.data, status=http_status)

    @extend_schema(
        summary="Register a webhook",
        tags=["webhooks"],
        request=WebhookCreateSerializer,
        responses={201: WebhookWithSecretSerializer},
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        # Someone who may register for no institute is told so before the body is read.
        access.require(selectors.webhook_institutes(self.user).exists(), services.NOT_A_LEAD)
        data = validated_input(WebhookCreateSerializer, request)
        institute = data.pop("institute", None) or _default_institute(self.user)
        result = services.webhook_create(user=self.user, institute=institute, **data)
        return self._with_secret(result, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a webhook's URL, events, description, or enable/disable it",
        tags=["webhooks"],
        request=WebhookUpdateSerializer,
        responses={200: WebhookSerializer},
    )
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        webhook = self.get_object()  # 404 before any 400
        data = validated_input(WebhookUpdateSerializer, request)
        webhook = services.webhook_update(user=self.user, webhook=webhook, **data)
        return Response(self.get_serializer(webhook).data)

    def perform_destroy(self, instance) -> None:
        services.webhook_delete(user=self.user, webhook=instance)

    @extend_schema(
        summary="Send the test event (ping)",
        tags=["webhooks"],
        request=None,
        responses={202: DeliverySerializer},
    )
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk=None) -> Response:
        delivery = services.webhook_test(user=self.user, webhook=self.get_object())
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Rotate the signing secret (the new one is in this answer only)",
        tags=["webhooks"],
        request=None,
        responses={200: WebhookWithSecretSerializer},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret", url_name="rotate-secret")
    def rotate_secret(self, request: Request, pk=None) -> Response:
        result = services.webhook_rotate_secret(user=self.user, webhook=self.get_object())
        return self._with_secret(result, status.HTTP_200_OK)

    @extend_schema(
        summary="The webhook's delivery log, latest first",
        tags=["webhooks"],
        responses={200: DeliverySerializer(many=True)},
    )
    @action(detail=True, methods=["get"], filter_backends=[], ordering=None)
    def deliveries(self, request: Request, pk=None) -> Response:
        queryset = selectors.deliveries_of(self.get_object())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)
