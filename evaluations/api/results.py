"""API for a project's results: the matrix of tasks by systems (each cell the primary score of its
representative run with its 95% interval) and, with ``?by=<field>``, the same cells sliced by a
sample metadata field (`evaluations.results.slices`): the figures of the results page and of its
JSON export, from the same functions.

404 for a project the user may not see; where the results are under an embargo the user may not
lift (`access.can_see_results`), the answer says so and holds no cell, as the page shows a notice.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from config.api.permissions import SIGNED_IN
from config.api.schema import ErrorSerializer
from evaluations import stats
from evaluations.results import exports, slices
from evaluations.results.matrix import build_matrix
from evaluations.selectors import runs as run_selectors
from evaluations.selectors.projects import project_for
from institutes import access

SLUG = OpenApiParameter("slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="Project.")
BY = OpenApiParameter(
    "by",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    required=False,
    description=(
        "A sample metadata field to slice by (e.g. `language`): one item per task, system and "
        "value of the field. A field the samples do not have (or that is not a slice: more than "
        "50 values, or values that are not strings, integers or booleans) is a 400 that lists "
        "the available ones."
    ),
)
INSTITUTE = OpenApiParameter(
    "institute",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    required=False,
    description="Only runs by this institute (its code); an unknown code is a 400.",
)


def embargo_detail(project) -> str:
    """Why a project's results answer holds no cell for someone who may not lift its embargo."""
    if project.embargo_until:
        return (
            f"The project's results are under embargo until {project.embargo_until:%Y-%m-%d}: "
            "only its participants see them."
        )
    return "You may not see this project's results."


def institute_param(project, code: str):
    """The institute of `?institute=<code>` among those with results in the project (None for
    no code); a 400 naming the known codes for an unknown one."""
    if not code:
        return None
    institutes = run_selectors.result_institutes(project)
    institute = next((i for i in institutes if i.code == code), None)
    if institute is None:
        known = ", ".join(i.code for i in institutes) or "none"
        raise ValidationError(
            {"institute": [f"No institute {code!r} has results here. Known: {known}."]}
        )
    return institute


class ResultCellSerializer(serializers.Serializer):
    domain = serializers.CharField()
    task = serializers.CharField(help_text="The task's slug.")
    task_name = serializers.CharField()
    system = serializers.CharField()
    system_role = serializers.CharField(help_text="target or reference.")
    reference = serializers.BooleanField(help_text="The system is a reference system.")
    run_id = serializers.IntegerField(help_text="The cell's representative run.")
    mean = serializers.FloatField(allow_null=True)
    ci_low = serializers.FloatField(allow_null=True, help_text="95% interval.")
    ci_high = serializers.FloatField(allow_null=True)
    ci_method = serializers.CharField()
    n = serializers.IntegerField(help_text="Samples (a sample's epochs count once).")
    observations = serializers.IntegerField(help_text="Sample x epoch observations.")
    slice_key = serializers.CharField(required=False, help_text="With `by` only.")
    slice_value = serializers.CharField(
        required=False, allow_null=True, help_text="With `by` only; null: samples without it."
    )
    clusters = serializers.IntegerField(required=False, help_text="With `by` only: samples.")
    low_n = serializers.BooleanField(
        required=False, help_text="With `by` only: fewer samples than CONCORD_SLICE_MIN_N."
    )


@extend_schema_serializer(many=False)  # one object, though the route is a list route
class ProjectResultsSerializer(serializers.Serializer):
    project = serializers.CharField()
    institute = serializers.CharField(allow_null=True)
    confidence = serializers.FloatField()
    embargoed = serializers.BooleanField(
        help_text="The results are under an embargo you may not lift: no cell is given."
    )
    detail = serializers.CharField(required=False, help_text="Why no cell is given.")
    slice_key = serializers.CharField(allow_null=True)
    min_n = serializers.IntegerField(
        allow_null=True, help_text="With `by`: CONCORD_SLICE_MIN_N, below which low_n is set."
    )
    slice_keys = serializers.ListField(
        child=serializers.CharField(), help_text="The fields `by` accepts."
    )
    cells = ResultCellSerializer(many=True)


@extend_schema(tags=["projects"])
class ProjectResultsViewSet(viewsets.ViewSet):
    """A project's results matrix, optionally sliced by a sample metadata field."""

    permission_classes = SIGNED_IN

    @extend_schema(
        summary="A project's results: tasks x systems, or sliced by a sample metadata field",
        description=(
            "Each cell is the primary score of the cell's representative run (the one a lead "
            "pinned, else the latest complete run) with its 95% interval and samples. With "
            "`by`, one item per task, system and value of the field (null: samples without "
            "it), as the results page's JSON export with `?by=`."
        ),
        parameters=[SLUG, BY, INSTITUTE],
        responses={
            200: ProjectResultsSerializer,
            400: OpenApiResponse(
                ErrorSerializer, description="An unknown `by` field or `institute` code."
            ),
        },
    )
    def list(self, request, slug: str):
        project = project_for(request.user, slug)
        by = request.query_params.get("by", "").strip()
        code = request.query_params.get("institute", "").strip()
        answer: dict[str, Any] = {
            "project": project.slug,
            "institute": code or None,
            "confidence": stats.DEFAULT_CONFIDENCE,
            "embargoed": False,
            "slice_key": by or None,
            "min_n": None,
            "slice_keys": [],
            "cells": [],
        }
        if not access.can_see_results(request.user, project):
            return Response({**answer, "embargoed": True, "detail": embargo_detail(project)})
        institute = institute_param(project, code)
        matrix = build_matrix(project, institute=institute)
        if not by:
            answer["slice_keys"] = slices.available_keys(slices.matrix_runs(matrix))
            answer["cells"] = [
                {
                    **item,
                    "reference": item["system_role"] == "reference",
                    "n": item["samples"],
                }
                for item in exports.matrix_items(matrix)
            ]
            return Response(answer)
        try:
            sliced = slices.build_slice_matrix(project, by=by, institute=institute, matrix=matrix)
        except slices.UnknownSliceKey as exc:
            raise ValidationError({"by": [str(exc)]}) from exc
        answer["min_n"] = sliced.min_n
        answer["slice_keys"] = [k.key for k in sliced.available]
        answer["cells"] = [
            {**item, "reference": item["system_role"] == "reference"}
            for item in exports.slice_items(sliced)
        ]
        return Response(answer)
