"""API for a project's results corrected by reviews: for each results-matrix cell's
representative run, the scorer's figure and the figure with the human majority of reviewed
samples in place of the scorer's score (`evaluations.results.corrected`), as the corrected
results page and its JSON export give them.

404 for a project the user may not see; under an embargo the user may not lift
(`access.can_see_results`), the answer says so and holds no cell, as the page shows a notice.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from config.api.permissions import SIGNED_IN
from config.api.schema import ErrorSerializer
from evaluations import stats
from evaluations.api.results import embargo_detail, institute_param
from evaluations.results import corrected
from evaluations.selectors.projects import project_for
from institutes import access

SLUG = OpenApiParameter("slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="Project.")
INSTITUTE = OpenApiParameter(
    "institute",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    required=False,
    description="Only runs by this institute (its code); an unknown code is a 400.",
)


class CorrectedCellSerializer(serializers.Serializer):
    domain = serializers.CharField()
    task = serializers.CharField(help_text="The task's slug.")
    task_name = serializers.CharField()
    system = serializers.CharField()
    system_role = serializers.CharField(help_text="target or reference.")
    institute = serializers.CharField()
    run_id = serializers.IntegerField(help_text="The cell's representative run.")
    scorer = serializers.CharField(help_text="The run's headline scorer.")
    judge_based = serializers.BooleanField(help_text="The headline scorer is an LLM judge.")
    judge_mean = serializers.FloatField(allow_null=True, help_text="As the results matrix.")
    judge_ci_low = serializers.FloatField(allow_null=True)
    judge_ci_high = serializers.FloatField(allow_null=True)
    judge_ci_method = serializers.CharField()
    samples = serializers.IntegerField()
    corrected_mean = serializers.FloatField(
        allow_null=True, help_text="Human majority where there is one, else the scorer's score."
    )
    corrected_ci_low = serializers.FloatField(allow_null=True)
    corrected_ci_high = serializers.FloatField(allow_null=True)
    corrected_ci_method = serializers.CharField()
    corrected_observations = serializers.IntegerField()
    n_corrected = serializers.IntegerField(help_text="Sample results that took the human label.")
    difference = serializers.FloatField(allow_null=True, help_text="Corrected minus judge-only.")
    judge_flags = serializers.CharField(
        help_text="The judge the headline depends on, when its kappa is below the threshold."
    )


class CorrectedResultsSerializer(serializers.Serializer):
    project = serializers.CharField()
    institute = serializers.CharField(allow_null=True)
    confidence = serializers.FloatField()
    embargoed = serializers.BooleanField(
        help_text="The results are under an embargo you may not lift: no cell is given."
    )
    detail = serializers.CharField(required=False, help_text="Why no cell is given.")
    cells = CorrectedCellSerializer(many=True)


@extend_schema(tags=["projects"])
class ProjectCorrectedResultsViewSet(viewsets.ViewSet):
    """A project's results, judge-only and corrected by reviews."""

    permission_classes = SIGNED_IN

    @extend_schema(
        summary="A project's results corrected by people's reviews",
        description=(
            "One item per results-matrix cell (the same representative runs): the headline "
            "scorer's mean with its 95% interval, and the mean with the human majority of each "
            "reviewed sample in its place, with its interval, how many samples took the human "
            "label, and the difference."
        ),
        parameters=[SLUG, INSTITUTE],
        responses={
            200: CorrectedResultsSerializer,
            400: OpenApiResponse(ErrorSerializer, description="An unknown `institute` code."),
        },
    )
    def list(self, request, slug: str):
        project = project_for(request.user, slug)
        code = request.query_params.get("institute", "").strip()
        answer: dict = {
            "project": project.slug,
            "institute": code or None,
            "confidence": stats.DEFAULT_CONFIDENCE,
            "embargoed": False,
            "cells": [],
        }
        if not access.can_see_results(request.user, project):
            return Response({**answer, "embargoed": True, "detail": embargo_detail(project)})
        institute = institute_param(project, code)
        results = corrected.corrected_results(project, institute=institute)
        answer["cells"] = corrected.corrected_items(results)
        return Response(answer)
