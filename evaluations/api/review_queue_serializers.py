"""Serializers for review queues: the queue (with its progress on the detail route), the input
that creates one, the item "Next" hands out, and a review saved through the queue."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api import inputs
from evaluations.models import (
    EvaluationProject,
    EvaluationRun,
    GuidelineVersion,
    ReviewLabel,
    ReviewQueue,
    ReviewQueueItem,
    SampleReview,
)
from evaluations.services.queues import SEED_MAX
from institutes import access
from institutes.models import Institute, User


class TallySerializer(serializers.Serializer):
    items = serializers.IntegerField(read_only=True)
    done = serializers.IntegerField(
        read_only=True, help_text="Items holding the reviews they need."
    )
    reviews = serializers.IntegerField(read_only=True)


class ReviewerProgressSerializer(serializers.Serializer):
    username = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    assigned = serializers.IntegerField(read_only=True, help_text="Items 'Next' gave them.")
    done = serializers.IntegerField(read_only=True, help_text="Items they reviewed.")


class SliceProgressSerializer(TallySerializer):
    value = serializers.CharField(read_only=True, help_text="The slice value ('' for none).")
    share = serializers.FloatField(read_only=True, allow_null=True, help_text="done / items.")


class ProgressSerializer(serializers.Serializer):
    total = TallySerializer(read_only=True)
    reviewers = ReviewerProgressSerializer(many=True, read_only=True)
    slices = SliceProgressSerializer(many=True, read_only=True)


class ReviewQueueSerializer(serializers.ModelSerializer):
    project: serializers.SlugRelatedField[EvaluationProject] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    created_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    runs: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )
    reviewers: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", many=True, read_only=True
    )
    institutes: serializers.SlugRelatedField[Institute] = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )
    labels: serializers.SlugRelatedField[ReviewLabel] = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True
    )

    class Meta:
        model = ReviewQueue
        fields = [
            "id",
            "project",
            "name",
            "description",
            "status",
            "runs",
            "run_filter",
            "selection",
            "per_slice_count",
            "per_slice_percent",
            "slice_key",
            "seed",
            "reviews_per_item",
            "reviewers",
            "institutes",
            "blind",
            "labels",
            "guideline_version",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class ReviewQueueDetailSerializer(ReviewQueueSerializer):
    progress = serializers.SerializerMethodField()

    class Meta(ReviewQueueSerializer.Meta):
        fields = [*ReviewQueueSerializer.Meta.fields, "progress"]
        read_only_fields = fields

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, obj) -> dict:
        return ProgressSerializer(self.context["progress"]).data


def _visible_runs(user, qs):
    return qs.filter(project__in=access.results_visible_projects(user))


class ReviewQueueCreateSerializer(serializers.Serializer):
    project = inputs.SlugRelatedField(
        slug_field="slug",
        queryset=EvaluationProject.objects.all(),
        scope=lambda user, qs: access.visible_projects(user, qs),
        help_text="Slug of the project.",
    )
    name = inputs.CharField(max_length=200)
    description = inputs.CharField(required=False, allow_blank=True, max_length=5000)
    runs = inputs.PrimaryKeyRelatedField(
        queryset=EvaluationRun.objects.all(),
        scope=_visible_runs,
        many=True,
        help_text="Ids of the project's runs whose samples are reviewed.",
    )
    selection = serializers.ChoiceField(
        choices=ReviewQueue.Selection.choices, default=ReviewQueue.Selection.ALL
    )
    per_slice_count = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**31 - 1
    )
    per_slice_percent = serializers.FloatField(
        required=False, allow_null=True, help_text="Above 0, at most 100."
    )
    slice_key = inputs.CharField(
        required=False, allow_blank=True, max_length=100, help_text="A sample metadata key."
    )
    seed = serializers.IntegerField(
        required=False, min_value=0, max_value=SEED_MAX, help_text="Random when left out."
    )
    reviews_per_item = serializers.IntegerField(default=1, min_value=1, max_value=3)
    reviewers = inputs.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        many=True,
        required=False,
        help_text="Usernames of the reviewers.",
    )
    institutes = inputs.SlugRelatedField(
        slug_field="code",
        queryset=Institute.objects.all(),
        many=True,
        required=False,
        help_text="Codes of institutes whose evaluators and leads review.",
    )
    blind = inputs.BooleanField(default=True)
    labels = inputs.SlugRelatedField(
        slug_field="slug",
        queryset=ReviewLabel.objects.all(),
        many=True,
        required=False,
        help_text="Label slugs; left out: the guideline version's set, else the default set.",
    )
    guideline_version = inputs.PrimaryKeyRelatedField(
        queryset=GuidelineVersion.objects.all(),
        required=False,
        allow_null=True,
        help_text="Id of a guideline version the project adopted.",
    )


class ReviewQueueItemSerializer(serializers.ModelSerializer):
    sample = serializers.IntegerField(source="sample.pk", read_only=True)
    sample_id = serializers.CharField(source="sample.sample_id", read_only=True)
    run = serializers.IntegerField(source="sample.run_id", read_only=True)
    epoch = serializers.IntegerField(source="sample.epoch", read_only=True)
    transcript = serializers.SerializerMethodField(help_text="The item's page (its transcript).")

    class Meta:
        model = ReviewQueueItem
        fields = [
            "id",
            "sample",
            "sample_id",
            "run",
            "epoch",
            "position",
            "slice_value",
            "transcript",
        ]
        read_only_fields = fields

    def get_transcript(self, obj) -> str:
        url = reverse(
            "reviews:item",
            kwargs={"slug": obj.queue.project.slug, "queue_id": obj.queue_id, "item_id": obj.pk},
        )
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class QueueReviewInputSerializer(serializers.Serializer):
    label = inputs.SlugRelatedField(  # type: ignore[assignment]  # the field, not Field.label
        slug_field="slug",
        queryset=ReviewLabel.objects.all(),
        help_text="One of the queue's labels.",
    )
    manual_score = serializers.FloatField(
        required=False, allow_null=True, min_value=0.0, max_value=1.0
    )
    note = inputs.CharField(required=False, allow_blank=True, max_length=5000)


class QueueReviewSerializer(serializers.ModelSerializer):
    label: serializers.SlugRelatedField[ReviewLabel] = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="slug", read_only=True
    )
    reviewer: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = SampleReview
        fields = [
            "id",
            "sample",
            "reviewer",
            "label",
            "manual_score",
            "note",
            "blind",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
