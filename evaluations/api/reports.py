"""REST API for a project's joint reports (routed in `config/api_urls.py` as
"projects/<slug>/reports", looked up by version number).

/api/v1/projects/<slug>/reports/                 GET the versions; POST draft one (title,
                                                 optional sections, optional based_on)
/api/v1/projects/<slug>/reports/<number>/        GET a version (a frozen one with its content);
                                                 PATCH title/sections while it is a draft
/api/v1/projects/<slug>/reports/<number>/submit/  POST: draft -> submitted
/api/v1/projects/<slug>/reports/<number>/approve/ POST {institute, comment}: sign for it
/api/v1/projects/<slug>/reports/<number>/share/   POST: share a frozen version with the developer
/api/v1/projects/<slug>/reports/<number>/pdf/     GET the frozen version's PDF
/api/v1/projects/<slug>/reports/<number>/bundle/  GET its ZIP bundle (participants only)

Participants and programme managers see the versions as they see the project's results; the
developer's contacts only the frozen versions shared with them (and their PDF); everyone else 404.
The services decide who may do what (403) and what is valid (400).
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api.inputs import validated_input
from config.api.parsers import JSONParser
from config.api.permissions import SIGNED_IN
from config.api.schema import ErrorSerializer
from evaluations.api.runs import FileNegotiation
from evaluations.models import Report, ReportApproval
from evaluations.selectors import reports as selectors
from evaluations.services import reports as services
from evaluations.views.reports import bundle_response, pdf_response

SLUG = OpenApiParameter("slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="Project.")
NUMBER = OpenApiParameter(
    "number", OpenApiTypes.INT, OpenApiParameter.PATH, description="Version number."
)


class SectionSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True)
    title = serializers.CharField(max_length=services.MAX_SECTION_TITLE)
    markdown = serializers.CharField(
        allow_blank=True,
        required=False,
        default="",
        max_length=services.MAX_SECTION_MARKDOWN,
        help_text="Markdown, sanitised when shown (no raw HTML, scripts or images).",
    )


class ReportApprovalSerializer(serializers.ModelSerializer):
    institute = serializers.CharField(source="institute.code")
    user = serializers.CharField(source="user.username")

    class Meta:
        model = ReportApproval
        fields = ["institute", "user", "at", "comment"]


class ReportSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.slug")
    sections = SectionSerializer(many=True)
    based_on = serializers.IntegerField(source="based_on.number", allow_null=True, default=None)
    approvals = ReportApprovalSerializer(many=True)

    class Meta:
        model = Report
        fields = [
            "project",
            "number",
            "title",
            "status",
            "sections",
            "based_on",
            "approvals",
            "content_hash",
            "created_at",
            "submitted_at",
            "frozen_at",
            "shared_at",
        ]


class ReportDetailSerializer(ReportSerializer):
    content = serializers.JSONField(
        allow_null=True,
        help_text="The frozen content (results, methods, findings); null until frozen.",
    )

    class Meta(ReportSerializer.Meta):
        fields = [*ReportSerializer.Meta.fields, "content"]


class ReportCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    sections = SectionSerializer(many=True, required=False)
    based_on = serializers.IntegerField(
        required=False, min_value=1, help_text="A frozen version's number to start from."
    )


class ReportUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    sections = SectionSerializer(many=True, required=False)


class ReportApproveSerializer(serializers.Serializer):
    institute = serializers.CharField(help_text="Code of the institute you sign for.")
    comment = serializers.CharField(required=False, allow_blank=True, default="")


def _sections(data: dict) -> list | None:
    if "sections" not in data:
        return None
    return [{"title": s["title"], "markdown": s.get("markdown", "")} for s in data["sections"]]


@extend_schema_view(
    list=extend_schema(summary="A project's report versions, newest first", parameters=[SLUG]),
    retrieve=extend_schema(
        summary="A report version (with its content once frozen)",
        parameters=[SLUG, NUMBER],
        responses=ReportDetailSerializer,
    ),
)
@extend_schema(tags=["reports"])
class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Joint reports: drafted by a lead, signed by each participating institute, frozen."""

    permission_classes = SIGNED_IN
    serializer_class = ReportSerializer
    parser_classes = [JSONParser]
    lookup_field = "number"
    lookup_value_regex = r"\d+"
    ordering_fields = ["number", "created_at"]
    ordering = ["-number"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def _reader(self) -> selectors.ReportReader:
        if not hasattr(self, "_report_reader"):
            self._report_reader = selectors.reader_for(self.request.user, self.kwargs["slug"])
        return self._report_reader

    def _participant(self) -> selectors.ReportReader:
        reader = self._reader()
        if reader.developer:
            raise Http404("No such report.")
        return reader

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema's generation
            return Report.objects.none()
        return selectors.reports_for(self._reader()).select_related("project", "based_on")

    def get_object(self):
        return selectors.report_for(self._reader(), self.kwargs["number"])

    def _detail(self, report: Report, http_status=status.HTTP_200_OK) -> Response:
        report = selectors.report_for(self._reader(), report.number)
        return Response(ReportDetailSerializer(report).data, http_status)

    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object())

    @extend_schema(
        summary="Draft a report version (leads, programme managers)",
        parameters=[SLUG],
        request=ReportCreateSerializer,
        responses={201: ReportDetailSerializer, 400: ErrorSerializer},
    )
    def create(self, request, *args, **kwargs):
        project = self._participant().project
        data = validated_input(ReportCreateSerializer, request)
        based_on = None
        if "based_on" in data:
            based_on = project.reports.filter(number=data["based_on"]).first()
            if based_on is None:
                raise serializers.ValidationError({"based_on": "No such version."})
        report = services.report_draft(
            project=project,
            by=request.user,
            title=data.get("title", ""),
            sections=_sections(data),
            based_on=based_on,
        )
        return self._detail(report, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit a draft's title or sections (a submitted or frozen version: 400)",
        parameters=[SLUG, NUMBER],
        request=ReportUpdateSerializer,
        responses={200: ReportDetailSerializer, 400: ErrorSerializer},
    )
    def partial_update(self, request, *args, **kwargs):
        self._participant()
        report = self.get_object()
        data = validated_input(ReportUpdateSerializer, request, partial=True)
        report = services.report_update(
            report=report, by=request.user, title=data.get("title"), sections=_sections(data)
        )
        return self._detail(report)

    @extend_schema(
        summary="Submit a draft for the institutes' signatures",
        parameters=[SLUG, NUMBER],
        request=None,
        responses={200: ReportDetailSerializer, 400: ErrorSerializer},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, slug=None, number=None):
        self._participant()
        report = services.report_submit(report=self.get_object(), by=request.user)
        return self._detail(report)

    @extend_schema(
        summary="Sign a submitted version for your institute (the last signature freezes it)",
        parameters=[SLUG, NUMBER],
        request=ReportApproveSerializer,
        responses={200: ReportDetailSerializer, 400: ErrorSerializer},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, slug=None, number=None):
        reader = self._participant()
        report = self.get_object()
        data = validated_input(ReportApproveSerializer, request)
        institute = reader.project.institutes.filter(code=data["institute"]).first()
        if institute is None:
            raise serializers.ValidationError(
                {"institute": "No institute of this project has that code."}
            )
        report = services.report_approve(
            report=report, by=request.user, institute=institute, comment=data.get("comment", "")
        )
        return self._detail(report)

    @extend_schema(
        summary="Share a frozen version with the developer's contacts",
        parameters=[SLUG, NUMBER],
        request=None,
        responses={200: ReportDetailSerializer, 400: ErrorSerializer},
    )
    @action(detail=True, methods=["post"])
    def share(self, request, slug=None, number=None):
        self._participant()
        report = services.report_share(report=self.get_object(), by=request.user)
        return self._detail(report)

    @extend_schema(
        summary="The frozen version's PDF",
        parameters=[SLUG, NUMBER],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            404: OpenApiResponse(ErrorSerializer, description="No such frozen version."),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        pagination_class=None,
        filter_backends=[],
        content_negotiation_class=FileNegotiation,
    )
    def pdf(self, request, slug=None, number=None):
        return pdf_response(request, self.get_object())

    @extend_schema(
        summary="The frozen version's bundle: PDF, results CSV/JSON and the runs' logs (ZIP)",
        parameters=[SLUG, NUMBER],
        responses={
            (200, "application/zip"): OpenApiTypes.BINARY,
            404: OpenApiResponse(ErrorSerializer, description="No such frozen version."),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        pagination_class=None,
        filter_backends=[],
        content_negotiation_class=FileNegotiation,
    )
    def bundle(self, request, slug=None, number=None):
        self._participant()
        return bundle_response(request, self.get_object())
