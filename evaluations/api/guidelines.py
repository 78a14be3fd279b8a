"""API for evaluation guidelines: versions drafted, submitted for review and signed by every
required institute. Guidelines are looked up by code, their versions by number:
`/guidelines/<code>/versions/<number>/`."""

from __future__ import annotations

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api.inputs import validated_input
from config.api.parsers import JSONParser
from config.api.permissions import SIGNED_IN
from evaluations.api.guideline_serializers import (
    GuidelineCreateSerializer,
    GuidelineSerializer,
    GuidelineVersionApproveSerializer,
    GuidelineVersionCreateSerializer,
    GuidelineVersionSerializer,
    GuidelineVersionSummarySerializer,
)
from evaluations.api.project_filters import GuidelineFilter
from evaluations.models import GuidelineApproval, GuidelineVersion
from evaluations.services import guidelines as guideline_services
from institutes import access

VERSION_NUMBER = OpenApiParameter(
    "number", int, OpenApiParameter.PATH, description="The version's number within the guideline."
)


@extend_schema_view(
    list=extend_schema(summary="Guidelines of your institutes and of your projects"),
    retrieve=extend_schema(summary="A guideline and its versions"),
)
@extend_schema(tags=["guidelines"])
class GuidelineViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Evaluation protocols that institutes draft, review and approve together. A version is
    approved when every required institute has signed it; approving one supersedes the last."""

    permission_classes = SIGNED_IN
    serializer_class = GuidelineSerializer
    lookup_field = "code"
    filterset_class = GuidelineFilter
    parser_classes = [JSONParser]
    search_fields = ["code", "title"]
    ordering_fields = ["code", "title", "created_at"]
    ordering = ["code"]

    def get_queryset(self):
        return (
            access.visible_guidelines(self.request.user)
            .select_related("domain", "owner_institute")
            .prefetch_related(
                "required_institutes",
                Prefetch(
                    "versions",
                    GuidelineVersion.objects.select_related("created_by").order_by("-number"),
                ),
            )
        )

    def _version(self, guideline, number) -> GuidelineVersion:
        return get_object_or_404(
            GuidelineVersion.objects.select_related("guideline", "created_by").prefetch_related(
                "guideline__required_institutes",
                "review_labels",
                Prefetch("approvals", GuidelineApproval.objects.select_related("user")),
            ),
            guideline=guideline,
            number=number,
        )

    def _version_response(self, guideline, number, http_status=status.HTTP_200_OK) -> Response:
        return Response(
            GuidelineVersionSerializer(self._version(guideline, number)).data, http_status
        )

    @extend_schema(
        summary="Start a guideline for an institute you lead",
        request=GuidelineCreateSerializer,
        responses={201: GuidelineSerializer},
    )
    def create(self, request, *args, **kwargs):
        data = validated_input(GuidelineCreateSerializer, request)
        guideline = guideline_services.guideline_create(user=request.user, **data)
        fresh = self.get_queryset().get(pk=guideline.pk)
        return Response(GuidelineSerializer(fresh).data, status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        summary="The guideline's versions, newest first",
        responses=GuidelineVersionSummarySerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Draft a new version",
        request=GuidelineVersionCreateSerializer,
        responses={201: GuidelineVersionSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="versions",
        pagination_class=None,
        filter_backends=[],
    )
    def versions(self, request, code=None):
        guideline = self.get_object()
        if request.method == "GET":
            return Response(
                GuidelineVersionSummarySerializer(guideline.versions.all(), many=True).data
            )
        data = validated_input(GuidelineVersionCreateSerializer, request)
        version = guideline_services.guideline_version_create(
            user=request.user, guideline=guideline, **data
        )
        return self._version_response(guideline, version.number, status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        summary="A version with its text and signatures",
        parameters=[VERSION_NUMBER],
        responses=GuidelineVersionSerializer,
    )
    @extend_schema(
        methods=["PATCH"],
        summary="Edit a draft version",
        parameters=[VERSION_NUMBER],
        request=GuidelineVersionCreateSerializer,
        responses=GuidelineVersionSerializer,
    )
    @action(
        detail=True,
        methods=["get", "patch"],
        url_path=r"versions/(?P<number>\d+)",
        url_name="version-detail",
        pagination_class=None,
    )
    def version(self, request, code=None, number=None):
        guideline = self.get_object()
        version = self._version(guideline, number)
        if request.method == "PATCH":
            data = validated_input(GuidelineVersionCreateSerializer, request, partial=True)
            guideline_services.guideline_version_update(
                user=request.user,
                version=version,
                body_markdown=data.get("body_markdown", version.body_markdown),
                change_summary=data.get("change_summary", version.change_summary),
                review_labels=data.get("review_labels"),
                judge_min_kappa=data.get("judge_min_kappa", guideline_services.UNCHANGED),
            )
        return self._version_response(guideline, number)

    @extend_schema(
        summary="Submit a draft for review: its text is frozen and institutes can sign",
        parameters=[VERSION_NUMBER],
        request=None,
        responses=GuidelineVersionSerializer,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"versions/(?P<number>\d+)/submit",
        url_name="version-submit",
    )
    def submit(self, request, code=None, number=None):
        guideline = self.get_object()
        version = self._version(guideline, number)
        guideline_services.guideline_version_submit(user=request.user, version=version)
        return self._version_response(guideline, number)

    @extend_schema(
        summary="Sign a version in review for a required institute you lead",
        parameters=[VERSION_NUMBER],
        request=GuidelineVersionApproveSerializer,
        responses=GuidelineVersionSerializer,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"versions/(?P<number>\d+)/approve",
        url_name="version-approve",
    )
    def approve(self, request, code=None, number=None):
        guideline = self.get_object()
        version = self._version(guideline, number)
        data = validated_input(GuidelineVersionApproveSerializer, request)
        guideline_services.guideline_version_approve(user=request.user, version=version, **data)
        return self._version_response(guideline, number)
