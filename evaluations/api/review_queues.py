"""REST API for review queues (routed in `config/api_urls.py` as "review-queues").

/api/v1/review-queues/                            GET (?project=<slug>, ?status=); POST create
                                                  (leads of the project, programme managers)
/api/v1/review-queues/<id>/                       GET, with progress per reviewer and slice value
/api/v1/review-queues/<id>/next/                  POST: the item to review now (204: none left)
/api/v1/review-queues/<id>/items/<item>/review/   POST: save your review of an item
/api/v1/review-queues/<id>/close/, /reopen/       POST (leads)

Queues are results: visible where the project's results are (`selectors.queues`), 404
elsewhere; the services decide who may do what (403) and what is valid (400).
"""

from __future__ import annotations

import secrets

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from config.api.inputs import validated_input
from config.api.parsers import JSONParser
from config.api.permissions import SIGNED_IN
from evaluations.api.review_queue_serializers import (
    QueueReviewInputSerializer,
    QueueReviewSerializer,
    ReviewQueueCreateSerializer,
    ReviewQueueDetailSerializer,
    ReviewQueueItemSerializer,
    ReviewQueueSerializer,
)
from evaluations.models import ReviewQueue, ReviewQueueItem
from evaluations.selectors import queues as queue_selectors
from evaluations.services import queues as queue_services


class ReviewQueueFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__slug", help_text="Project slug.")
    status = django_filters.ChoiceFilter(choices=ReviewQueue.Status.choices)

    class Meta:
        model = ReviewQueue
        fields = ["project", "status"]


@extend_schema_view(
    list=extend_schema(summary="Review queues of the projects whose results you see"),
    retrieve=extend_schema(
        summary="A review queue with its progress",
        responses=ReviewQueueDetailSerializer,
    ),
)
@extend_schema(tags=["reviews"])
class ReviewQueueViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = SIGNED_IN
    serializer_class = ReviewQueueSerializer
    filterset_class = ReviewQueueFilter
    parser_classes = [JSONParser]
    search_fields = ["name", "description"]
    ordering_fields = ["created_at", "name", "status"]
    ordering = ["-created_at"]

    def get_queryset(self):
        return queue_selectors.visible_queues(self.request.user).prefetch_related(
            "runs", "reviewers", "institutes", "labels"
        )

    def _detail(self, queue, http_status=status.HTTP_200_OK) -> Response:
        queue = self.get_queryset().get(pk=queue.pk)
        context = {
            **self.get_serializer_context(),
            "progress": queue_selectors.queue_progress(queue),
        }
        return Response(ReviewQueueDetailSerializer(queue, context=context).data, http_status)

    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object())

    @extend_schema(
        summary="Create a review queue (leads of the project, programme managers)",
        request=ReviewQueueCreateSerializer,
        responses={201: ReviewQueueDetailSerializer},
    )
    def create(self, request, *args, **kwargs):
        data = validated_input(ReviewQueueCreateSerializer, request)
        if "seed" not in data:
            data["seed"] = secrets.randbelow(2**31)
        queue = queue_services.queue_create(by=request.user, **data)
        return self._detail(queue, status.HTTP_201_CREATED)

    @extend_schema(
        summary="The item for you to review now",
        request=None,
        responses={
            200: ReviewQueueItemSerializer,
            204: OpenApiResponse(description="Nothing is left for you in this queue."),
        },
    )
    @action(detail=True, methods=["post"])
    def next(self, request, pk=None):
        queue = self.get_object()
        item = queue_services.queue_next(queue=queue, reviewer=request.user)
        if item is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        item = ReviewQueueItem.objects.select_related("sample", "queue__project").get(pk=item.pk)
        return Response(ReviewQueueItemSerializer(item, context={"request": request}).data)

    @extend_schema(
        summary="Save your review of an item (one of the queue's labels)",
        request=QueueReviewInputSerializer,
        responses={200: QueueReviewSerializer},
    )
    @action(detail=True, methods=["post"], url_path=r"items/(?P<item_id>\d+)/review")
    def review(self, request, pk=None, item_id=None):
        queue = self.get_object()
        item = get_object_or_404(ReviewQueueItem.objects.filter(queue=queue), pk=item_id)
        data = validated_input(QueueReviewInputSerializer, request)
        saved = queue_services.queue_review_save(item=item, reviewer=request.user, **data)
        return Response(QueueReviewSerializer(saved).data)

    @extend_schema(
        summary="Close the queue (leads)", request=None, responses=ReviewQueueDetailSerializer
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        queue = queue_services.queue_close(queue=self.get_object(), by=request.user)
        return self._detail(queue)

    @extend_schema(
        summary="Reopen the queue (leads)", request=None, responses=ReviewQueueDetailSerializer
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        queue = queue_services.queue_reopen(queue=self.get_object(), by=request.user)
        return self._detail(queue)
