"""API for evaluation runs, their scores and their samples.

Runs are results: visible where the user may see the project's results (embargoes hold). Scores
and their 95% intervals are those of the run page (`evaluations.results.scores`).
Samples are cursor-paginated (stable under inserts, cheap on runs with many rows), in id order
(`?ordering=-id` reverses it), and filtered by score, error and epoch.
"""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from config.api.filters import OrderingFilter
from config.api.pagination import CursorPagination
from config.api.permissions import SIGNED_IN
from evaluations.api.job_filters import RunFilter, SampleFilter
from evaluations.api.job_serializers import RunDetailSerializer, RunSerializer, SampleSerializer
from evaluations.models import SampleResult
from evaluations.results import representative
from evaluations.selectors.runs import run_for, run_samples, runs_for, visible_run_pk, with_job_id

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
        return representative.with_pinned(with_job_id(runs_for(self.request.user)))

    def get_object(self):
        return run_for(self.request.user, self.kwargs["pk"])

    def get_serializer_class(self):
        return RunDetailSerializer if self.action == "retrieve" else RunSerializer


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
