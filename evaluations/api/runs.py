"""API for evaluation runs, their scores and their samples.

Runs are results: visible where the user may see the project's results (embargoes hold). Scores
and their 95% intervals are those of the run page (`evaluations.results.scores`).
`reviewed-log/` answers the run's Inspect log with people's reviews added as Inspect score edits
(`evaluations.results.reviewed_logs`), the same access as the run.
Samples are cursor-paginated (stable under inserts, cheap on runs with many rows), in id order
(`?ordering=-id` reverses it), and filtered by score, error and epoch.
"""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound
from rest_framework.negotiation import BaseContentNegotiation

from config.api.filters import OrderingFilter
from config.api.pagination import CursorPagination
from config.api.permissions import SIGNED_IN
from config.api.schema import ErrorSerializer
from evaluations.api.job_filters import RunFilter, SampleFilter
from evaluations.api.job_serializers import (
    RunDetailSerializer,
    RunSerializer,
    SampleSerializer,
    SystemBriefSerializer,
    TaskBriefSerializer,
)
from evaluations.models import SampleResult
from evaluations.results import representative, reviewed_logs
from evaluations.selectors.runs import (
    listed_runs_for,
    run_for,
    run_samples,
    visible_run_pk,
    with_job_id,
)


class LogNotEditable(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "log_not_editable"
    default_detail = "The run has no Inspect log to add reviews to."


class FileNegotiation(BaseContentNegotiation):
    """A file download: the answer is the file whatever the client accepts (a client asking
    for `application/octet-stream` gets it, not a 406), and an error is the JSON error body."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


# What a runs list reads: `RunSerializer`'s fields and the moments its estimates come from, not
# the joined rows whole (a page reads and converts half the columns).
LIST_COLUMNS = (
    *(
        name
        for name in RunSerializer.Meta.fields
        if name not in {"project", "task", "system", "institute", "job", "pinned", "scorers"}
        and not name.startswith("primary_")
    ),
    "primary_scorer",
    "primary_metric",
    "primary_value",
    "primary_stderr",
    "score_moments",
    "project__slug",
    *(f"task__{name}" for name in TaskBriefSerializer.Meta.fields),
    *(f"system__{name}" for name in SystemBriefSerializer.Meta.fields),
    "institute__code",
)

RUN_ID = OpenApiParameter("run_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Run id.")


@extend_schema_view(
    list=extend_schema(summary="Runs whose results you may see, newest first"),
    retrieve=extend_schema(
        summary="A run with every scorer and metric, standard errors and 95% intervals"
    ),
)
@extend_schema(tags=["runs"])
class RunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Evaluation runs: ingested Inspect logs, from jobs or uploads."""

    permission_classes = SIGNED_IN
    filterset_class = RunFilter
    ordering_fields = ["created_at", "completed_at", "primary_value"]
    ordering = ["-created_at"]
    search_fields = ["inspect_eval_id", "inspect_task", "inspect_model"]

    def get_queryset(self):
        return (
            representative.with_pinned(with_job_id(listed_runs_for(self.request.user)))
            .only(*LIST_COLUMNS)
            .prefetch_related("scorers")
        )

    def get_object(self):
        return run_for(self.request.user, self.kwargs["pk"])

    def get_serializer_class(self):
        return RunDetailSerializer if self.action == "retrieve" else RunSerializer

    @extend_schema(
        summary="The run's Inspect log with people's reviews as Inspect score edits",
        description="The run's `.eval` (or `.json`) log, with the headline scorer's value of every "
        "sample whose reviews have a human majority edited to it (Inspect `ScoreEdit`s with "
        "provenance: the reviewers, their labels and notes, the review ids) and the metrics "
        "recomputed. The stored log is not changed. A run without reviews answers its log with "
        "no score edited. The header `X-Concord-Score-Edits` says how many scores were edited.",
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            409: OpenApiResponse(
                ErrorSerializer,
                description="The run has no Inspect log to edit (lm-evaluation-harness results) "
                "or its log cannot be read.",
            ),
            503: OpenApiResponse(ErrorSerializer, description="The log storage does not answer."),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="reviewed-log",
        pagination_class=None,
        filter_backends=[],
        content_negotiation_class=FileNegotiation,
    )
    def reviewed_log(self, request, pk=None):
        """Same access as the run; the export is audited like the page's log downloads."""
        run = self.get_object()
        try:
            handle, edited = reviewed_logs.reviewed_log_file(run)
        except FileNotFoundError as exc:
            raise NotFound("The log file of this run is not available.") from exc
        except reviewed_logs.ReviewedLogUnavailable as exc:
            raise LogNotEditable(str(exc)) from exc
        return reviewed_logs.reviewed_log_response(request, run, handle, edited)


@extend_schema_view(
    list=extend_schema(summary="A run's samples (cursor-paginated)", parameters=[RUN_ID]),
    retrieve=extend_schema(summary="One sample of a run", parameters=[RUN_ID]),
)
@extend_schema(tags=["runs"])
class RunSampleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Per-sample results of a run: input, target, output, scores, error."""

    permission_classes = SIGNED_IN
    serializer_class = SampleSerializer
    pagination_class = CursorPagination
    # No search. A cursor needs a unique, unchanging order: the id, either way.
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = SampleFilter
    ordering_fields = ["id"]
    ordering = "id"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no run
            return SampleResult.objects.none()
        # 404 outside your results; the run itself is not needed, only that it may be read.
        return run_samples(visible_run_pk(self.request.user, self.kwargs["run_id"]))

    def list(self, request, *args, **kwargs):
        """A page read as rows of the serializer's fields: each row is already the sample's JSON
        (`SampleSerializer` only copies these columns), without building a model instance and a
        serializer per sample."""
        rows = self.filter_queryset(self.get_queryset()).values(*SampleSerializer.Meta.fields)
        return self.get_paginated_response(self.paginate_queryset(rows))
