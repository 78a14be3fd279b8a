"""API for how a review queue's LLM judges agree with the people who reviewed its items
(`evaluations.results.judges.queue_agreement`): the figures of the agreement page and of its JSON
export, from the same function.

404 for a queue outside the projects whose results the user may see (an embargo included); 400
for a `by` key no sample of the queue has.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from config.api.permissions import SIGNED_IN
from config.api.schema import ErrorSerializer
from evaluations.models import ReviewQueue
from evaluations.results import judges
from institutes import access

QUEUE_ID = OpenApiParameter(
    "queue_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Review queue."
)
BY = OpenApiParameter(
    "by",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    required=False,
    description=(
        "The sample metadata key of the rows (default: the queue's slice key). A key no sample "
        "of the queue has is a 400."
    ),
)


def _interval(**kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.FloatField(), min_length=2, max_length=2, allow_null=True, **kwargs
    )


class ConfusionSerializer(serializers.Serializer):
    judge_pass_human_pass = serializers.IntegerField()
    judge_fail_human_pass = serializers.IntegerField()
    judge_pass_human_fail = serializers.IntegerField()
    judge_fail_human_fail = serializers.IntegerField()


class AgreementRowSerializer(serializers.Serializer):
    slice = serializers.CharField(help_text='The slice value ("all" on the overall row).')
    overall = serializers.BooleanField()
    n = serializers.IntegerField(help_text="Items with a judge verdict and a human majority.")
    discrepancies = serializers.IntegerField()
    discrepancy = serializers.FloatField(allow_null=True)
    discrepancy_ci = _interval(help_text="Wilson 95% interval.")
    kappa = serializers.FloatField(allow_null=True, help_text="Cohen's, judge vs human majority.")
    kappa_ci = _interval()
    kappa_stderr = serializers.FloatField(allow_null=True)
    balanced_accuracy = serializers.FloatField(allow_null=True)
    balanced_accuracy_ci = _interval()
    tpr = serializers.FloatField(allow_null=True)
    tpr_ci = _interval()
    tnr = serializers.FloatField(allow_null=True)
    tnr_ci = _interval()
    confusion = ConfusionSerializer()
    fleiss_kappa = serializers.FloatField(allow_null=True)
    fleiss_kappa_ci = _interval(help_text="Percentile bootstrap over items, fixed seed.")
    fleiss_items = serializers.IntegerField()


class JudgeSerializer(serializers.Serializer):
    scorer = serializers.CharField()
    grader_model = serializers.CharField(allow_blank=True)
    flagged = serializers.BooleanField(help_text="Overall kappa below the threshold.")
    rows = AgreementRowSerializer(many=True)


class ReviewerAgreementSerializer(serializers.Serializer):
    slice = serializers.CharField()
    overall = serializers.BooleanField()
    method = serializers.CharField(help_text="cohen, fleiss or none.")
    kappa = serializers.FloatField(allow_null=True)
    kappa_stderr = serializers.FloatField(allow_null=True)
    observed = serializers.FloatField(allow_null=True)
    items = serializers.IntegerField()
    reviewers = serializers.IntegerField()
    ratings = serializers.IntegerField()


class QueueAgreementSerializer(serializers.Serializer):
    queue = serializers.IntegerField()
    queue_name = serializers.CharField()
    project = serializers.CharField()
    by = serializers.CharField(allow_blank=True)
    keys = serializers.ListField(child=serializers.CharField(), help_text="What `by` accepts.")
    threshold = serializers.FloatField(allow_null=True)
    confidence = serializers.FloatField()
    items = serializers.IntegerField()
    items_with_majority = serializers.IntegerField()
    judges = JudgeSerializer(many=True)
    reviewers = ReviewerAgreementSerializer(many=True)


@extend_schema(tags=["reviews"])
class QueueAgreementViewSet(viewsets.ViewSet):
    """A review queue's judges against its reviewers."""

    permission_classes = SIGNED_IN

    @extend_schema(
        summary="How a review queue's LLM judges agree with its reviewers",
        description=(
            "Per judge (scorer and grader model) and value of `by`, plus an overall row: items, "
            "discrepancy, Cohen's kappa, balanced accuracy, TPR, TNR with 95% intervals, the "
            "confusion matrix, Fleiss' kappa over the judge and each reviewer; and the kappa "
            "among the reviewers themselves. As the agreement page's JSON export."
        ),
        parameters=[QUEUE_ID, BY],
        responses={
            200: QueueAgreementSerializer,
            400: OpenApiResponse(ErrorSerializer, description="An unknown `by` key."),
        },
    )
    def list(self, request, queue_id: str):
        queue = get_object_or_404(
            ReviewQueue.objects.select_related("project", "guideline_version").filter(
                project__in=access.visible_projects(request.user)
            ),
            pk=queue_id,
        )
        if not access.can_see_results(request.user, queue.project):
            raise Http404("No such review queue.")
        by = request.query_params.get("by", "").strip() or None
        try:
            agreement = judges.queue_agreement(queue, by=by)
        except judges.UnknownSliceKey as exc:
            raise ValidationError({"by": [str(exc)]}) from exc
        return Response(judges.agreement_data(agreement))
