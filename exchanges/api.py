"""REST API resources of this app, registered on the /api/v1/ router.

/api/v1/exchanges/            GET list (filters: institute, status, year, person), POST propose
/api/v1/exchanges/<id>/       GET
/api/v1/exchanges/<id>/approve|decline|activate|complete|cancel/   POST
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
from exchanges import rules, selectors, services
from exchanges.filters import ExchangeFilter
from exchanges.models import Exchange
from exchanges.serializers import (
    DecisionSerializer,
    ExchangeCreateSerializer,
    ExchangeSerializer,
    OutcomeSerializer,
    ReasonSerializer,
)
from institutes import access
from institutes.models import Institute, User


def _member_named(username: str, institute: Institute) -> User:
    """The active member of `institute` with this username. Anyone else, whether the username
    belongs to nobody, to a disabled account or to someone of another institute, gets the same
    refusal: the answer says nothing about who has an account."""
    person = (
        User.objects.filter(username=username, is_active=True, memberships__institute=institute)
        .distinct()
        .first()
    )
    if person is None:
        raise ValidationError(
            {"person": f"No member of {institute.name} has the username '{username}'."}
        )
    return person


@extend_schema_view(
    list=extend_schema(summary="Exchanges you may see", tags=["exchanges"]),
    retrieve=extend_schema(
        summary="One exchange, with its approvals and checklist", tags=["exchanges"]
    ),
)
class ExchangeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Personnel exchanges between institutes. You see your own exchanges and those of your
    institutes (home or host); programme managers see all."""

    permission_classes = SIGNED_IN
    serializer_class = ExchangeSerializer
    parser_classes = [JSONParser]
    filterset_class = ExchangeFilter
    ordering_fields = ["start_date", "end_date", "created_at"]
    ordering = ["-start_date", "-pk"]
    search_fields = ["person__username", "person__first_name", "person__last_name", "role_title"]

    @property
    def user(self) -> User:
        return cast(User, self.request.user)  # IsAuthenticated has let only signed-in users in

    def get_queryset(self):
        return selectors.exchange_detail(self.request.user).select_related(
            "proposed_by", "activated_by", "ended_by"
        )

    def _respond(self, exchange: Exchange, http_status: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=exchange.pk)
        return Response(self.get_serializer(fresh).data, status=http_status)

    @extend_schema(
        summary="Propose an exchange",
        tags=["exchanges"],
        request=ExchangeCreateSerializer,
        responses={201: ExchangeSerializer},
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        # Who may propose at all is decided before the body is read, and whether this proposer
        # may propose between these institutes before the person is looked up: someone without
        # the right learns nothing from the answer (always 403, whatever the body names).
        # Staff who may only request their own secondment learn nothing either: naming anyone
        # else is refused the same way, before the username is looked up.
        access.require(rules.may_propose_any(self.user), rules.NOT_A_PROPOSER)
        data = validated_input(ExchangeCreateSerializer, request)
        home, host = data["home_institute"], data["host_institute"]
        if not rules.may_propose_for_others(self.user, home_institute=home, host_institute=host):
            access.require(
                data["person"] == self.user.username
                and rules.may_request_own(self.user, home_institute=home),
                rules.NOT_A_PROPOSER,
            )
        data["person"] = _member_named(data["person"], home)
        exchange = services.exchange_propose(user=self.user, **data)
        return self._respond(exchange, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Approve for your side",
        tags=["exchanges"],
        request=DecisionSerializer,
        responses={200: ExchangeSerializer},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk=None) -> Response:
        exchange = self.get_object()  # 404 before any 400
        data = validated_input(DecisionSerializer, request)
        exchange = services.exchange_approve(
            user=self.user, exchange=exchange, institute=data.get("institute")
        )
        return self._respond(exchange)

    @extend_schema(
        summary="Decline for your side, with a reason",
        tags=["exchanges"],
        request=DecisionSerializer,
        responses={200: ExchangeSerializer},
    )
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk=None) -> Response:
        exchange = self.get_object()  # 404 before any 400
        data = validated_input(DecisionSerializer, request)
        exchange = services.exchange_decline(
            user=self.user,
            exchange=exchange,
            institute=data.get("institute"),
            reason=data.get("reason", ""),
        )
        return self._respond(exchange)

    @extend_schema(
        summary="Activate an approved exchange",
        tags=["exchanges"],
        request=None,
        responses={200: ExchangeSerializer},
    )
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk=None) -> Response:
        exchange = services.exchange_activate(user=self.user, exchange=self.get_object())
        return self._respond(exchange)

    @extend_schema(
        summary="Complete with the outcome report",
        tags=["exchanges"],
        request=OutcomeSerializer,
        responses={200: ExchangeSerializer},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk=None) -> Response:
        exchange = self.get_object()  # 404 before any 400
        data = validated_input(OutcomeSerializer, request)
        exchange = services.exchange_complete(
            user=self.user, exchange=exchange, outcome=data.get("outcome", "")
        )
        return self._respond(exchange)

    @extend_schema(
        summary="Cancel, with a reason",
        tags=["exchanges"],
        request=ReasonSerializer,
        responses={200: ExchangeSerializer},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk=None) -> Response:
        exchange = self.get_object()  # 404 before any 400
        data = validated_input(ReasonSerializer, request)
        exchange = services.exchange_cancel(
            user=self.user, exchange=exchange, reason=data.get("reason", "")
        )
        return self._respond(exchange)
