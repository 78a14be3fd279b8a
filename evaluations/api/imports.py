"""`POST /api/v1/runs/import/`: partner tools upload results computed elsewhere.

The body is multipart: `file` (an Inspect `.eval` or `.json` log, lm-evaluation-harness results
`results_*.json` or a `.zip` of its output folder), `project` (slug), `institute` (code), and
optionally `task` (slug), `system` (id), `guideline_version` (id) and `notes`. An explicit `task` or
`system` only chooses among what matches the log's task name / model: one that contradicts it is a
400 naming both, unless `override_mismatch` is true with an `override_reason` (kept on the run).

The upload streams to a temporary file on disk (`evaluations.uploads`): a Content-Length over
CONCORD_MAX_UPLOAD_BYTES is refused before the body is read, and a body that passes it while
streaming is cut off there (413). The import itself is `evaluations.services.imports.run_import`
(access, the one ingestion service, the file kept in the log storage). Answers: 201 with the run,
200 with the existing run when the same log was imported before, 400 naming what is wrong with
the file or what is missing in Concord (a task, a system), 403 without the evaluator role at the
institute, 413 for a file over the limit.
"""

from __future__ import annotations

from pathlib import Path

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import ErrorDetail, PermissionDenied, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from config.api.inputs import ScopedPrimaryKeyRelatedField, ScopedSlugRelatedField
from config.api.parsers import FormParser
from config.api.permissions import TokenScopeAllowsMethod
from config.api.schema import ErrorSerializer
from evaluations import uploads
from evaluations.api.job_serializers import RunDetailSerializer
from evaluations.ingestion import LogReadError, LogRejected
from evaluations.ingestion.errors import UnsafeInput
from evaluations.models import (
    AISystem,
    EvaluationProject,
    EvaluationRun,
    EvaluationTask,
    GuidelineVersion,
    RunScore,
)
from evaluations.selectors.jobs import visible_tasks
from evaluations.services.imports import import_message, run_import
from institutes import access
from institutes.models import Institute

TOO_LARGE = OpenApiResponse(
    ErrorSerializer, description="The file is larger than the upload limit (nothing is kept)."
)
NOT_MULTIPART = OpenApiResponse(
    ErrorSerializer, description="The body is not multipart/form-data (or a form)."
)


class RunImportSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=False,
        use_url=False,
        help_text="The log: an Inspect `.eval` or `.json` log, or lm-evaluation-harness results "
        "(`results_*.json`, or a `.zip` of its output folder with the `samples_*.jsonl` files).",
    )
    project = ScopedSlugRelatedField(
        slug_field="slug",
        queryset=EvaluationProject.objects.all(),
        scope=access.visible_projects,
        help_text="Slug of the project.",
    )
    institute = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Institute.objects.filter(is_active=True),
        help_text="Code of the participating institute that ran the evaluation.",
    )
    task = ScopedSlugRelatedField(
        slug_field="slug",
        queryset=EvaluationTask.objects.filter(is_active=True),
        scope=visible_tasks,
        required=False,
        allow_null=True,
        help_text="Slug of the evaluation task; default: the task matching the log's task name.",
    )
    system = ScopedPrimaryKeyRelatedField(
        queryset=AISystem.objects.all(),
        scope=access.visible_systems,
        required=False,
        allow_null=True,
        help_text="Id of a system of the project; default: the system with the log's model.",
    )
    guideline_version = serializers.PrimaryKeyRelatedField(
        queryset=GuidelineVersion.objects.all(),
        required=False,
        allow_null=True,
        help_text="Id of the adopted guideline version the evaluation followed.",
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    override_mismatch = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Confirm a `task` or `system` that contradicts the log's own task name or model "
        "(refused otherwise); needs `override_reason`.",
    )
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2_000,
        help_text="Why the run is filed under a task or system its log contradicts: kept on the "
        "run, with the uploader, and shown on its page and in the API.",
    )


class RunImportResultSerializer(RunDetailSerializer):
    """The run, and what the import did in words."""

    message = serializers.SerializerMethodField(
        help_text='"Imported run N: K samples." or "This log was already imported as run N; '
        'nothing was added."'
    )

    class Meta(RunDetailSerializer.Meta):
        fields = [*RunDetailSerializer.Meta.fields, "message"]
        read_only_fields = fields

    def get_message(self, obj: EvaluationRun) -> str:
        return self.context["message"]


def _file_error(exc: Exception) -> ValidationError:
    code = "unsafe_file" if isinstance(exc, UnsafeInput) else "invalid_log"
    if isinstance(exc, LogRejected):
        code, text = "log_rejected", " ".join(exc.messages)
    else:
        text = str(exc)
    return ValidationError({"file": [ErrorDetail(text, code=code)]})


@extend_schema(tags=["runs"])
class RunImportViewSet(viewsets.GenericViewSet):
    """Import results computed elsewhere into a run."""

    serializer_class = RunImportSerializer
    parser_classes = [MultiPartParser, FormParser]
    # Signed in (session or token), and a write-scope token (config.api.permissions.SIGNED_IN).
    permission_classes = (IsAuthenticated, TokenScopeAllowsMethod)

    def initialize_request(self, request, *args, **kwargs):
        # Before anything reads the body (authentication's CSRF check reads it for sessions).
        uploads.install(request)
        return super().initialize_request(request, *args, **kwargs)

    @extend_schema(
        summary="Import a log computed elsewhere (Inspect or lm-evaluation-harness)",
        description=(
            "Multipart upload. 201 with the new run; 200 with the existing run when the same log "
            "was imported before; 400 when the file is not a readable log, breaks a safety limit "
            "(ZIP bomb, path traversal, nesting), is incomplete (status `started`), or when its "
            "task or model matches nothing in Concord (the message names it: register it, or "
            "give `task` / `system`), or when a `task` / `system` given contradicts the log's "
            "own task name or model (the message names both; `override_mismatch` with an "
            "`override_reason` files it anyway, and the run says so); 403 without the evaluator role at the institute; 413 over "
            "the upload limit. Logs with status `error` or `cancelled` are imported, marked so."
        ),
        request={"multipart/form-data": RunImportSerializer},
        responses={
            201: RunImportResultSerializer,
            200: RunImportResultSerializer,
            413: TOO_LARGE,
            415: NOT_MULTIPART,
        },
    )
    def create(self, request, *args, **kwargs):
        serializer = RunImportSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        upload = data["file"]
        try:
            result = run_import(
                path=Path(upload.temporary_file_path()),
                filename=upload.name,
                project=data["project"],
                institute=data["institute"],
                uploaded_by=request.user,
                task=data.get("task"),
                system=data.get("system"),
                guideline_version=data.get("guideline_version"),
                notes=data.get("notes", ""),
                override_mismatch=data.get("override_mismatch", False),
                override_reason=data.get("override_reason", ""),
                disposable=True,  # the upload's temporary file
            )
        except (LogReadError, LogRejected) as exc:
            raise _file_error(exc) from exc
        finally:
            upload.close()  # the temporary file goes now, not at the end of the response
        if not result.created and not access.can_see_results(request.user, result.run.project):
            raise PermissionDenied(
                "This log was imported before; the project's results are under embargo."
            )
        body = RunImportResultSerializer(
            _fresh(result.run), context={"message": import_message(result)}
        ).data
        return Response(body, status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


def _fresh(run: EvaluationRun) -> EvaluationRun:
    """The run as the runs API shows it (scores in order, the job if any)."""
    return (
        EvaluationRun.objects.select_related(
            "project", "task", "system", "institute", "job", "uploaded_by"
        )
        .prefetch_related(Prefetch("scores", RunScore.objects.order_by("scorer", "metric")))
        .get(pk=run.pk)
    )
