"""API for findings. Findings are results: under an embargo they stay with the
participating institutes (`access.results_visible_projects`); anyone else gets 404."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api.inputs import validated_input
from config.api.parsers import JSONParser
from config.api.permissions import SIGNED_IN
from evaluations.api.finding_serializers import (
    FindingCreateSerializer,
    FindingSerializer,
    FindingTransitionSerializer,
    FindingUpdateSerializer,
)
from evaluations.api.project_filters import FindingFilter
from evaluations.models import Finding
from evaluations.services import findings as finding_services
from institutes import access


@extend_schema_view(
    list=extend_schema(summary="Findings of your projects (embargoed ones: participants only)"),
    retrieve=extend_schema(summary="A finding"),
)
@extend_schema(tags=["findings"])
class FindingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = SIGNED_IN
    serializer_class = FindingSerializer
    filterset_class = FindingFilter
    parser_classes = [JSONParser]
    search_fields = ["title", "body"]
    ordering_fields = ["created_at", "updated_at", "severity", "status", "title"]
    ordering = ["-created_at"]

    def get_queryset(self):
        return (
            Finding.objects.filter(project__in=access.results_visible_projects(self.request.user))
            .select_related("project", "workstream__domain", "created_by")
            .prefetch_related("runs", "evidence")
        )

    def _finding_response(self, finding, http_status=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=finding.pk)
        return Response(FindingSerializer(fresh).data, http_status)

    @extend_schema(
        summary="Record a finding (evaluators and leads of the project)",
        request=FindingCreateSerializer,
        responses={201: FindingSerializer},
    )
    def create(self, request, *args, **kwargs):
        data = validated_input(FindingCreateSerializer, request)
        finding = finding_services.finding_create(user=request.user, **data)
        return self._finding_response(finding, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit a finding (a draft: evaluators and leads; later: leads)",
        request=FindingUpdateSerializer,
        responses=FindingSerializer,
    )
    def partial_update(self, request, *args, **kwargs):
        finding = self.get_object()
        data = validated_input(FindingUpdateSerializer, request, partial=True)
        finding_services.finding_update(user=request.user, finding=finding, **data)
        return self._finding_response(finding)

    @extend_schema(
        summary="Move a finding along its workflow (leads)",
        request=FindingTransitionSerializer,
        responses=FindingSerializer,
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        finding = self.get_object()
        data = validated_input(FindingTransitionSerializer, request)
        finding_services.finding_transition(user=request.user, finding=finding, **data)
        return self._finding_response(finding)
