"""API shapes of webhooks: one read shape (never the secret), input shapes for the writes, and
the creation's answer, which alone carries the secret."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api import inputs
from institutes.models import Institute
from webhooks.models import EVENT_NAMES, Delivery, DeliveryAttempt, Webhook
from webhooks.services.events import absolute


class WebhookSerializer(serializers.ModelSerializer):
    institute: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    created_by: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    is_failing = serializers.BooleanField(read_only=True)
    page = serializers.SerializerMethodField(help_text="The webhook's page, with its delivery log.")

    class Meta:
        model = Webhook
        fields = [
            "id",
            "institute",
            "url",
            "events",
            "description",
            "active",
            "is_failing",
            "failing_since",
            "consecutive_failures",
            "secret_hint",
            "page",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField())
    def get_page(self, webhook: Webhook) -> str:
        from django.urls import reverse

        return absolute(reverse("webhooks:detail", kwargs={"pk": webhook.pk}))


class WebhookWithSecretSerializer(WebhookSerializer):
    secret = serializers.SerializerMethodField(
        help_text="The signing secret (whsec_...): shown in this answer only, keep it now."
    )

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_secret(self, webhook: Webhook) -> str:
        return self.context["secret"]


def _events_field(**kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_NAMES),
        allow_empty=False,
        max_length=len(EVENT_NAMES),
        help_text="Event names: " + ", ".join(EVENT_NAMES) + ".",
        **kwargs,
    )


class WebhookCreateSerializer(serializers.Serializer):
    url = inputs.CharField(max_length=2000, help_text="An https:// URL on a public address.")
    events = _events_field()
    institute = inputs.SlugRelatedField(
        slug_field="code",
        queryset=Institute.objects.filter(is_active=True),
        required=False,
        help_text="Code of the institute (default: the one institute you lead).",
    )
    description = inputs.CharField(required=False, allow_blank=True, max_length=200)


class WebhookUpdateSerializer(serializers.Serializer):
    url = inputs.CharField(required=False, max_length=2000)
    events = _events_field(required=False)
    active = inputs.BooleanField(required=False)
    description = inputs.CharField(required=False, allow_blank=True, max_length=200)


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ["number", "at", "status_code", "duration_ms", "error"]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    delivery = serializers.UUIDField(
        source="uid", read_only=True, help_text="The X-Concord-Delivery header's value."
    )
    attempt_log = DeliveryAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "delivery",
            "event",
            "status",
            "attempts",
            "created_at",
            "first_attempt_at",
            "next_attempt_at",
            "finished_at",
            "last_status_code",
            "last_error",
            "attempt_log",
        ]
        read_only_fields = fields
