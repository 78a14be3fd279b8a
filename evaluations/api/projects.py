"""API for joint evaluation projects and AI systems (routed in `config/api_urls.py`).

Reads go through `institutes.access` (objects outside the user's projects: 404); writes call
`evaluations.services`, which decide who may do what (403) and what is valid (400).
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api.inputs import input_names, validated_input
from config.api.parsers import JSONParser
from config.api.permissions import SIGNED_IN
from evaluations.api import pools as pools_api
from evaluations.api.project_filters import ProjectFilter, SystemFilter
from evaluations.api.project_serializers import (
    AccessWindowCreateSerializer,
    AccessWindowSerializer,
    AdoptionCreateSerializer,
    AdoptionSerializer,
    ParticipantCreateSerializer,
    ParticipantSerializer,
    ProjectCreateSerializer,
    ProjectSerializer,
    ProjectSummarySerializer,
    ProjectSystemCreateSerializer,
    ProjectSystemSerializer,
    ProjectTransitionSerializer,
    ProjectUpdateSerializer,
    SystemSerializer,
    SystemWriteSerializer,
    WorkstreamCreateSerializer,
    WorkstreamSerializer,
    WorkstreamUpdateSerializer,
)
from evaluations.models import (
    AccessWindow,
    ProjectGuideline,
    ProjectSystem,
    Workstream,
)
from evaluations.services import guidelines as guideline_services
from evaluations.services import projects as project_services
from institutes import access
from institutes.models import Institute


def _path_param(name: str, type_, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, type_, OpenApiParameter.PATH, description=description)


INSTITUTE_CODE = _path_param("institute_code", str, "Code of a participating institute.")
SYSTEM_ID = _path_param("system_id", int, "Id of a system in the project.")
WINDOW_ID = _path_param("window_id", int, "Id of an access window of the project.")
WORKSTREAM_ID = _path_param("workstream_id", int, "Id of a workstream of the project.")


@extend_schema_view(
    list=extend_schema(summary="Projects you take part in (all, for programme managers)"),
    retrieve=extend_schema(summary="A project with its systems, windows and workstreams"),
)
@extend_schema(tags=["projects"])
class ProjectViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Joint evaluation projects, looked up by slug."""

    permission_classes = SIGNED_IN
    lookup_field = "slug"
    filterset_class = ProjectFilter
    parser_classes = [JSONParser]
    search_fields = ["title", "slug", "description"]
    ordering_fields = ["created_at", "updated_at", "title", "slug", "status"]
    ordering = ["-created_at"]

    def get_queryset(self):
        qs = access.visible_projects(self.request.user).prefetch_related(
            "participations__institute"
        )
        if self.action == "list":
            return qs
        return qs.prefetch_related(
            Prefetch("project_systems", ProjectSystem.objects.select_related("system")),
            Prefetch("access_windows", AccessWindow.objects.order_by("starts_at")),
            Prefetch(
                "workstreams",
                Workstream.objects.select_related("domain", "lead_institute").prefetch_related(
                    "members"
                ),
            ),
            Prefetch(
                "adoptions",
                ProjectGuideline.objects.select_related("version__guideline", "adopted_by"),
            ),
        )

    def get_serializer_class(self):
        return ProjectSummarySerializer if self.action == "list" else ProjectSerializer

    def _project_response(self, project, http_status=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=project.pk)
        return Response(
            ProjectSerializer(fresh, context=self.get_serializer_context()).data, http_status
        )

    @extend_schema(
        summary="Open a project for an institute you lead",
        request=ProjectCreateSerializer,
        responses={201: ProjectSerializer},
    )
    def create(self, request, *args, **kwargs):
        data = validated_input(ProjectCreateSerializer, request)
        with input_names(institute="partner_institutes"):
            project = project_services.project_create(user=request.user, **data)
        return self._project_response(project, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a project's title, description, embargo or developer's response window",
        request=ProjectUpdateSerializer,
        responses=ProjectSerializer,
    )
    def partial_update(self, request, *args, **kwargs):
        project = self.get_object()
        data = validated_input(ProjectUpdateSerializer, request, partial=True)
        project_services.project_update(user=request.user, project=project, **data)
        return self._project_response(project)

    @extend_schema(
        summary="Move a project along its workflow",
        request=ProjectTransitionSerializer,
        responses=ProjectSerializer,
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, slug=None):
        project = self.get_object()
        data = validated_input(ProjectTransitionSerializer, request)
        project_services.project_transition(user=request.user, project=project, **data)
        return self._project_response(project)

    @extend_schema(
        summary="Add a participating institute",
        request=ParticipantCreateSerializer,
        responses={201: ParticipantSerializer},
    )
    @action(detail=True, methods=["post"], url_path="participants")
    def participants(self, request, slug=None):
        project = self.get_object()
        data = validated_input(ParticipantCreateSerializer, request)
        participation = project_services.participation_add(
            user=request.user, project=project, **data
        )
        return Response(ParticipantSerializer(participation).data, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Remove a participating institute",
        request=None,
        responses={204: None},
        parameters=[INSTITUTE_CODE],
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"participants/(?P<institute_code>[^/.]+)",
        url_name="participant-detail",
    )
    def participant_remove(self, request, slug=None, institute_code=None):
        project = self.get_object()
        institute = get_object_or_404(Institute, code=institute_code)
        project_services.participation_remove(
            user=request.user, project=project, institute=institute
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Add a target or reference system",
        request=ProjectSystemCreateSerializer,
        responses={201: ProjectSystemSerializer},
    )
    @action(detail=True, methods=["post"], url_path="systems")
    def systems(self, request, slug=None):
        project = self.get_object()
        data = validated_input(ProjectSystemCreateSerializer, request)
        link = project_services.project_system_add(user=request.user, project=project, **data)
        return Response(ProjectSystemSerializer(link).data, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Remove a system that has no jobs or runs in the project",
        request=None,
        responses={204: None},
        parameters=[SYSTEM_ID],
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"systems/(?P<system_id>\d+)",
        url_name="system-detail",
    )
    def system_remove(self, request, slug=None, system_id=None):
        project = self.get_object()
        system = get_object_or_404(access.visible_systems(request.user), pk=system_id)
        project_services.project_system_remove(user=request.user, project=project, system=system)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Open a pre-deployment access window for a system of the project",
        request=AccessWindowCreateSerializer,
        responses={201: AccessWindowSerializer},
    )
    @action(detail=True, methods=["post"], url_path="access-windows")
    def access_windows(self, request, slug=None):
        project = self.get_object()
        data = validated_input(AccessWindowCreateSerializer, request)
        window = project_services.access_window_create(user=request.user, project=project, **data)
        return Response(AccessWindowSerializer(window).data, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Delete an access window",
        request=None,
        responses={204: None},
        parameters=[WINDOW_ID],
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"access-windows/(?P<window_id>\d+)",
        url_name="access-window-detail",
    )
    def access_window_delete(self, request, slug=None, window_id=None):
        project = self.get_object()
        window = get_object_or_404(project.access_windows.select_related("project"), pk=window_id)
        project_services.access_window_delete(user=request.user, window=window)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Start a workstream: a domain of the project, led by one institute",
        request=WorkstreamCreateSerializer,
        responses={201: WorkstreamSerializer},
    )
    @action(detail=True, methods=["post"], url_path="workstreams")
    def workstreams(self, request, slug=None):
        project = self.get_object()
        data = validated_input(WorkstreamCreateSerializer, request)
        workstream = project_services.workstream_create(user=request.user, project=project, **data)
        return Response(WorkstreamSerializer(workstream).data, status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        summary="Where each participating institute's jobs run: its worker pool, or Concord's",
        responses=pools_api.ParticipationPoolSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Choose the worker pool that runs an institute's jobs (project leads)",
        request=pools_api.ParticipationPoolInputSerializer,
        responses=pools_api.ParticipationPoolSerializer(many=True),
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="worker-pools",
        url_name="worker-pools",
        pagination_class=None,  # one row per participating institute: a plain list
        filter_backends=[],
    )
    def worker_pools(self, request, slug=None):
        project = self.get_object()
        if request.method == "POST":
            pools_api.project_pool_choose(request, project)
        return Response(pools_api.project_pools(project))

    def _workstream(self, workstream_id) -> Workstream:
        project = self.get_object()
        return get_object_or_404(
            project.workstreams.select_related("project", "domain", "lead_institute"),
            pk=workstream_id,
        )

    @extend_schema(
        summary="Change a workstream's lead institute, members or description",
        request=WorkstreamUpdateSerializer,
        responses=WorkstreamSerializer,
        parameters=[WORKSTREAM_ID],
    )
    @action(
        detail=True,
        methods=["patch"],
        url_path=r"workstreams/(?P<workstream_id>\d+)",
        url_name="workstream-detail",
    )
    def workstream_update(self, request, slug=None, workstream_id=None):
        workstream = self._workstream(workstream_id)
        data = validated_input(WorkstreamUpdateSerializer, request, partial=True)
        workstream = project_services.workstream_update(
            user=request.user, workstream=workstream, **data
        )
        return Response(WorkstreamSerializer(workstream).data)

    @extend_schema(
        summary="Delete a workstream",
        request=None,
        responses={204: None},
        parameters=[WORKSTREAM_ID],
    )
    @workstream_update.mapping.delete
    def workstream_delete(self, request, slug=None, workstream_id=None):
        workstream = self._workstream(workstream_id)
        project_services.workstream_delete(user=request.user, workstream=workstream)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Adopt an approved guideline version",
        request=AdoptionCreateSerializer,
        responses={201: AdoptionSerializer},
    )
    @action(detail=True, methods=["post"])
    def adopt(self, request, slug=None):
        project = self.get_object()
        data = validated_input(AdoptionCreateSerializer, request)
        adoption = guideline_services.project_adopt_guideline(
            user=request.user, project=project, **data
        )
        return Response(AdoptionSerializer(adoption).data, status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="AI systems in your projects, and those in no project yet"),
    retrieve=extend_schema(summary="An AI system"),
)
@extend_schema(tags=["systems"])
class SystemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Models, systems and agents under evaluation or used as references. Concord keeps the
    *name* of the environment variable that holds an API key, never the key."""

    permission_classes = SIGNED_IN
    serializer_class = SystemSerializer
    filterset_class = SystemFilter
    parser_classes = [JSONParser]
    search_fields = ["developer", "name", "version", "inspect_model"]
    ordering_fields = ["developer", "name", "version", "created_at"]
    ordering = ["developer", "name", "version"]

    def get_queryset(self):
        return access.visible_systems(self.request.user)

    @extend_schema(
        summary="Register an AI system (institute leads, programme managers)",
        request=SystemWriteSerializer,
        responses={201: SystemSerializer},
    )
    def create(self, request, *args, **kwargs):
        data = validated_input(SystemWriteSerializer, request)
        system = project_services.system_create(user=request.user, **data)
        return Response(SystemSerializer(system).data, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change an AI system",
        request=SystemWriteSerializer,
        responses=SystemSerializer,
    )
    def partial_update(self, request, *args, **kwargs):
        system = self.get_object()
        data = validated_input(SystemWriteSerializer, request, partial=True)
        system = project_services.system_update(user=request.user, system=system, **data)
        return Response(SystemSerializer(system).data)
