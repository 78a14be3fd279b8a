"""API for evaluation tasks and jobs (routed in `config/api_urls.py`).

Reads go through `evaluations.selectors.jobs` (objects outside the user's projects: 404); writes
call `evaluations.services`, which decide who may do what (403) and what is valid (400).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api.inputs import validated_input
from config.api.parsers import JSONParser
from config.api.permissions import SIGNED_IN
from evaluations.api.job_filters import JobFilter, TaskFilter
from evaluations.api.job_serializers import (
    JobCreateSerializer,
    JobSerializer,
    TaskCreateSerializer,
    TaskSerializer,
)
from evaluations.selectors.jobs import jobs_for, tasks_for
from evaluations.services import jobs as job_services
from evaluations.services import tasks as task_services
from institutes import access
from institutes.models import Institute


@extend_schema_view(
    list=extend_schema(summary="Evaluation tasks that jobs can run"),
    retrieve=extend_schema(summary="An evaluation task"),
)
@extend_schema(tags=["jobs"])
class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The task registry: Concord's shipped suites, global tasks programme managers registered,
    and the own tasks of the projects you see; import-only tasks (`runnable` false) among them."""

    permission_classes = SIGNED_IN
    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    parser_classes = [JSONParser]
    search_fields = ["name", "slug", "description", "inspect_ref"]
    ordering_fields = ["name", "slug", "created_at"]
    ordering = ["name"]
    lookup_field = "slug"

    def get_queryset(self):
        return tasks_for(self.request.user)

    @extend_schema(
        summary="Register an Inspect task (programme managers; a project's leads for it)",
        description=(
            "Without `project`, a global task (programme managers). With `project`, a task of "
            "that project, which its leads may register. A reference that does not resolve on "
            "this server makes an import-only task: 201 with `runnable` false and "
            "`runnable_note` saying why; its logs are imported, jobs are refused. A malformed "
            "reference is a 400."
        ),
        request=TaskCreateSerializer,
        responses={201: TaskSerializer},
    )
    def create(self, request, *args, **kwargs):
        data = validated_input(TaskCreateSerializer, request)
        task = task_services.task_register(user=request.user, **data)
        return Response(TaskSerializer(task).data, status.HTTP_201_CREATED)


def _default_institute(user, project) -> Institute:
    """The user's one participating institute, when the request names none (whether the user may
    act for it is the service's question)."""
    candidates = [
        institute
        for institute in Institute.objects.filter(participations__project=project).order_by("pk")
        if access.institute_rank(user, institute) > 0
    ]
    if len(candidates) == 1:
        return candidates[0]
    raise ValidationError({"institute": "Say which institute the job runs for (its code)."})


@extend_schema_view(
    list=extend_schema(summary="Jobs in the projects you see, newest first"),
    retrieve=extend_schema(summary="A job: status, progress, attempts, timings, error, run"),
)
@extend_schema(tags=["jobs"])
class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Evaluation jobs: a task run against a system by a worker."""

    permission_classes = SIGNED_IN
    serializer_class = JobSerializer
    filterset_class = JobFilter
    parser_classes = [JSONParser]
    ordering_fields = ["created_at", "started_at", "finished_at", "status"]
    ordering = ["-created_at"]

    def get_queryset(self):
        return jobs_for(self.request.user)

    def _job_response(self, job, http_status=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=job.pk)
        return Response(self.get_serializer(fresh).data, http_status)

    @extend_schema(
        summary="Queue a job (evaluators of a participating institute)",
        description=(
            "Refused with 403 without the evaluator role at the institute, and with 400 when the "
            "system is not in the project or outside its access window, or when params are "
            "invalid. The job is sent to a worker when the request commits."
        ),
        request=JobCreateSerializer,
        responses={201: JobSerializer},
    )
    def create(self, request, *args, **kwargs):
        data = validated_input(JobCreateSerializer, request)
        project = data["project"]
        institute = data.get("institute") or _default_institute(request.user, project)
        job = job_services.job_queue(
            project=project,
            task=data["task"],
            system=data["system"],
            institute=institute,
            requested_by=request.user,
            params=data.get("params") or {},
            guideline_version=data.get("guideline_version"),
        )
        return self._job_response(job, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Cancel a job: at once when queued, within seconds when running",
        request=None,
        responses=JobSerializer,
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        job = job_services.job_cancel(job=self.get_object(), user=request.user)
        return self._job_response(job)

    @extend_schema(
        summary="Retry a failed or cancelled job: queues a new job with the same settings",
        request=None,
        responses={201: JobSerializer},
    )
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        job = job_services.job_retry(job=self.get_object(), user=request.user)
        return self._job_response(job, status.HTTP_201_CREATED)
