"""API for findings. Findings are results: under an embargo they stay with the
participating institutes (`access.results_visible_projects`); anyone else gets 404. An AI
developer's contact reads only the findings shared with them (without the runs and samples
behind them), comments on them and records the developer's responses."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api.inputs import validated_input
from config.api.parsers import JSONParser
from config.api.permissions import SIGNED_IN
from evaluations.api.finding_serializers import (
    FindingCommentCreateSerializer,
    FindingCommentSerializer,
    FindingCreateSerializer,
    FindingResponseCreateSerializer,
    FindingResponseSerializer,
    FindingSerializer,
    FindingTransitionSerializer,
    FindingUpdateSerializer,
)
from evaluations.api.project_filters import FindingFilter
from evaluations.models import DeveloperContact, Finding
from evaluations.selectors import finding_responses as response_selectors
from evaluations.services import finding_responses as response_services
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
        user = self.request.user
        findings = Finding.objects.filter(project__in=access.results_visible_projects(user))
        if access.developer_project_ids(user):
            findings = findings | access.developer_shared_findings(user)
        return findings.select_related(
            "project", "workstream__domain", "created_by", "publish_override_by"
        ).prefetch_related("runs", "evidence")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), **self._developer_context()}

    def _developer_context(self) -> dict:
        """The user's projects as a developer contact where they are not also a reader of the
        results: their findings are shown without runs and evidence."""
        user = self.request.user
        ids = access.developer_project_ids(user)
        if ids:
            ids -= set(
                access.results_visible_projects(user)
                .filter(pk__in=ids)
                .values_list("pk", flat=True)
            )
        return {"developer_only_projects": ids}

    def _finding_response(self, finding, http_status=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=finding.pk)
        return Response(
            FindingSerializer(fresh, context=self._developer_context()).data, http_status
        )

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

    @extend_schema(
        methods=["GET"],
        summary="Comments on a finding (the developer's contacts: once it is shared with them)",
        request=None,
        responses=FindingCommentSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Comment on a finding (evaluators, leads; the developer's contacts once shared)",
        request=FindingCommentCreateSerializer,
        responses={201: FindingCommentSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def comments(self, request, pk=None):
        finding = self.get_object()
        if request.method == "POST":
            data = validated_input(FindingCommentCreateSerializer, request)
            comment = response_services.finding_comment_add(
                finding=finding, author=request.user, body=data["body"]
            )
            context = {"developer_user_ids": _developer_user_ids([comment.author_id], finding)}
            return Response(
                FindingCommentSerializer(comment, context=context).data, status.HTTP_201_CREATED
            )
        comments = response_selectors.finding_thread(finding).comments
        context = {
            "developer_user_ids": _developer_user_ids([c.author_id for c in comments], finding)
        }
        return Response(FindingCommentSerializer(comments, many=True, context=context).data)

    @extend_schema(
        methods=["GET"],
        summary="The developer's responses to a finding, oldest first (the last one stands)",
        request=None,
        responses=FindingResponseSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Record the developer's response to a finding shared with them (its contacts)",
        request=FindingResponseCreateSerializer,
        responses={201: FindingResponseSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def responses(self, request, pk=None):
        finding = self.get_object()
        if request.method == "POST":
            data = validated_input(FindingResponseCreateSerializer, request)
            response = response_services.finding_respond(finding=finding, by=request.user, **data)
            return Response(FindingResponseSerializer(response).data, status.HTTP_201_CREATED)
        responses = response_selectors.finding_thread(finding).responses
        return Response(FindingResponseSerializer(responses, many=True).data)


def _developer_user_ids(user_ids, finding) -> set[int]:
    """Which of these users are developer contacts of the finding's project."""
    return set(
        DeveloperContact.objects.filter(
            project_id=finding.project_id, user_id__in=set(user_ids)
        ).values_list("user_id", flat=True)
    )
