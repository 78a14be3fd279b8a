"""`/api/v1/external-runs/`: Inspect evaluations that institutes run on their own machines report
themselves while they run (concord-client's Inspect hook), and anyone in the project reads them.

- `POST` reports a started evaluation: 201 with the new external run, 200 with the one made the
  first time when its eval id was reported before for the project (a retry never makes two);
  400 for an eval id of another project or an invalid field; 403 without the evaluator role at
  the institute (or with a read-scope token); 404 for a project the caller cannot see.
- `PATCH /<id>/` records progress and the outcome: `samples_done` never goes backwards (a
  smaller value is ignored), a final status is final (another one is a 400, the same one a 200).
- `GET` lists (filters `project`, `institute`, `status`; numbered pages) and reads one.

The rules live in `evaluations.services.external_runs`; reads go through
`evaluations.selectors.external_runs` (outside the user's projects: 404).
"""

from __future__ import annotations

import django_filters
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from config.api.inputs import CharField, SlugRelatedField, input_names, validated_input
from config.api.parsers import JSONParser
from config.api.permissions import SIGNED_IN
from config.api.schema import ErrorSerializer
from evaluations.models import EvaluationProject, ExternalRun
from evaluations.selectors.external_runs import external_runs_for
from evaluations.services import external_runs as services
from institutes import access
from institutes.models import Institute, User

INT_MAX = 2**31 - 1  # the columns are PostgreSQL integers


class WholeNumberField(serializers.IntegerField):
    """A JSON number without a fraction: not a string of digits, not a boolean."""

    def __init__(self, **kwargs):
        super().__init__(min_value=0, max_value=INT_MAX, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


# --- read ------------------------------------------------------------------------------------


class ExternalRunSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="Its page in Concord (absolute).")
    project: serializers.SlugRelatedField[EvaluationProject] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    institute: serializers.SlugRelatedField[Institute] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    run_id = serializers.CharField(source="inspect_run_id", read_only=True)
    task = serializers.CharField(source="task_name", read_only=True)
    reported_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    is_stale = serializers.BooleanField(
        read_only=True,
        help_text="Running, and no word from it for CONCORD_EXTERNAL_RUN_STALE_SECONDS "
        "(default 600).",
    )
    run = serializers.SerializerMethodField(
        help_text="Id of the run its log was imported as: null until then, and null to whoever "
        "may not see the project's results (an embargo keeps them with the participants)."
    )

    class Meta:
        model = ExternalRun
        fields = [
            "id",
            "url",
            "project",
            "institute",
            "eval_id",
            "run_id",
            "task",
            "model",
            "status",
            "samples_done",
            "samples_total",
            "host",
            "inspect_version",
            "reported_by",
            "started_at",
            "heartbeat_at",
            "finished_at",
            "error",
            "is_stale",
            "run",
        ]
        read_only_fields = fields

    def get_url(self, obj: ExternalRun) -> str:
        path = reverse("external_runs:detail", kwargs={"external_run_id": obj.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_run(self, obj: ExternalRun) -> int | None:
        if obj.run_id is None:
            return None
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return obj.run_id if access.can_see_results(user, obj.project) else None


# --- write -----------------------------------------------------------------------------------


class ExternalRunReportSerializer(serializers.Serializer):
    project = CharField(max_length=100, help_text="Slug of the project.")
    institute = SlugRelatedField(
        slug_field="code",
        queryset=Institute.objects.filter(is_active=True),
        help_text="Code of the participating institute that runs the evaluation.",
    )
    eval_id = CharField(max_length=100, help_text="Inspect's eval id (`eval.eval_id`).")
    run_id = CharField(
        max_length=100, required=False, allow_blank=True, help_text="Inspect's run id."
    )
    task = CharField(max_length=300, help_text="The task as Inspect names it (`eval.task`).")
    model = CharField(max_length=300, help_text="The model as Inspect names it (`eval.model`).")
    samples_total = WholeNumberField(required=False, help_text="Samples to run; 0: not known.")
    host = CharField(max_length=255, required=False, allow_blank=True)
    inspect_version = CharField(max_length=50, required=False, allow_blank=True)


class ExternalRunProgressSerializer(serializers.Serializer):
    samples_done = WholeNumberField(
        required=False, help_text="Samples done; a smaller value than before is ignored."
    )
    samples_total = WholeNumberField(required=False)
    status = serializers.ChoiceField(
        choices=ExternalRun.Status.choices,
        required=False,
        help_text="A final status (succeeded, failed, cancelled) is final.",
    )
    error = CharField(
        required=False,
        allow_blank=True,
        help_text="What went wrong; a long text keeps its last 20,000 characters.",
    )


class ExternalRunFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__slug", help_text="Project slug.")
    institute = django_filters.CharFilter(field_name="institute__code", help_text="Institute code.")
    status = django_filters.MultipleChoiceFilter(
        choices=ExternalRun.Status.choices, help_text="One or more statuses.", distinct=False
    )

    class Meta:
        model = ExternalRun
        fields = ["project", "institute", "status"]


NOT_VISIBLE = OpenApiResponse(
    ErrorSerializer, description="No such project, or one you do not take part in."
)


@extend_schema_view(
    list=extend_schema(summary="External runs in the projects you see, latest first"),
    retrieve=extend_schema(summary="An external run: status, progress, last word, run"),
)
@extend_schema(tags=["external runs"])
class ExternalRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Evaluations institutes run on their own machines, reported while they run."""

    permission_classes = SIGNED_IN
    serializer_class = ExternalRunSerializer
    filterset_class = ExternalRunFilter
    parser_classes = [JSONParser]
    ordering_fields = ["started_at", "heartbeat_at", "finished_at", "status"]
    ordering = ["-started_at", "-id"]

    def get_queryset(self):
        return external_runs_for(self.request.user)

    def _answer(self, external_run: ExternalRun, http_status: int) -> Response:
        fresh = self.get_queryset().get(pk=external_run.pk)
        return Response(self.get_serializer(fresh).data, http_status)

    @extend_schema(
        summary="Report an evaluation that started (evaluators of a participating institute)",
        description=(
            "201 with the new external run; 200 with the existing one when the same eval id was "
            "reported before for the project (a retried report never makes two); 400 when the "
            "eval id belongs to another project, or a field is invalid; 403 without the "
            "evaluator role at the institute; 404 for a project you cannot see."
        ),
        request=ExternalRunReportSerializer,
        responses={201: ExternalRunSerializer, 200: ExternalRunSerializer, 404: NOT_VISIBLE},
    )
    def create(self, request, *args, **kwargs):
        data = validated_input(ExternalRunReportSerializer, request)
        project = access.get_project_or_404(request.user, slug=data["project"])
        with input_names(task_name="task", inspect_run_id="run_id"):
            external_run, created = services.external_run_report(
                user=request.user,
                project=project,
                institute=data["institute"],
                eval_id=data["eval_id"],
                task_name=data["task"],
                model=data["model"],
                inspect_run_id=data.get("run_id", ""),
                samples_total=data.get("samples_total", 0),
                host=data.get("host", ""),
                inspect_version=data.get("inspect_version", ""),
            )
        return self._answer(
            external_run, status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(
        summary="Report progress or the outcome",
        description=(
            "All fields optional. `samples_done` never goes backwards (a smaller value is "
            "ignored: messages may arrive out of order). A final status (succeeded, failed, "
            "cancelled) is final: another status later is a 400, the same one again a 200."
        ),
        request=ExternalRunProgressSerializer,
        responses=ExternalRunSerializer,
    )
    def partial_update(self, request, *args, **kwargs):
        external_run = self.get_object()
        data = validated_input(ExternalRunProgressSerializer, request)
        external_run = services.external_run_progress(
            user=request.user, external_run=external_run, **data
        )
        return self._answer(external_run, status.HTTP_200_OK)
