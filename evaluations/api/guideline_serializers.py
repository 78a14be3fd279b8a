"""Serializers for evaluation guidelines, their versions and the institutes' signatures."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api import inputs
from evaluations.api.project_serializers import institute_field
from evaluations.models import Domain, Guideline, GuidelineVersion, ReviewLabel
from evaluations.rules import approval_state

# --- read ------------------------------------------------------------------------------------


class GuidelineVersionSummarySerializer(serializers.ModelSerializer):
    created_by: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = GuidelineVersion
        fields = [
            "id",
            "number",
            "status",
            "change_summary",
            "created_by",
            "created_at",
            "approved_at",
        ]
        read_only_fields = fields


class SignatureSerializer(serializers.Serializer):
    """One required institute and its signature (or its absence) on a version."""

    institute = serializers.CharField(help_text="Code of an institute that must approve.")
    institute_name = serializers.CharField()
    signed = serializers.BooleanField()
    signed_by = serializers.CharField(allow_null=True, help_text="Username of the signing lead.")
    signed_at = serializers.DateTimeField(allow_null=True)
    comment = serializers.CharField(allow_blank=True)

    def to_representation(self, instance):
        institute, approval = instance
        return {
            "institute": institute.code,
            "institute_name": institute.name,
            "signed": approval is not None,
            "signed_by": approval.user.username if approval else None,
            "signed_at": serializers.DateTimeField().to_representation(approval.at)
            if approval
            else None,
            "comment": approval.comment if approval else "",
        }


class GuidelineVersionSerializer(GuidelineVersionSummarySerializer):
    guideline: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    signatures = serializers.SerializerMethodField(
        help_text="Each institute that must approve, and whether it has signed."
    )
    review_labels: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug",
        many=True,
        read_only=True,
        help_text="Slugs of the labels reviewers choose from in review queues under this "
        "version; empty: the default set.",
    )
    judge_min_kappa = serializers.FloatField(
        read_only=True,
        allow_null=True,
        help_text="An LLM judge whose Cohen's kappa with the reviewers' majority is below this "
        "is flagged on the results that depend on it; null: no threshold.",
    )

    class Meta(GuidelineVersionSummarySerializer.Meta):
        fields = [
            *GuidelineVersionSummarySerializer.Meta.fields,
            "guideline",
            "body_markdown",
            "review_labels",
            "judge_min_kappa",
            "signatures",
        ]
        read_only_fields = fields

    @extend_schema_field(SignatureSerializer(many=True))
    def get_signatures(self, version):
        return SignatureSerializer(approval_state(version), many=True).data


class GuidelineSerializer(serializers.ModelSerializer):
    domain: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    owner_institute: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    required_institutes: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )
    versions = GuidelineVersionSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Guideline
        fields = [
            "id",
            "code",
            "title",
            "domain",
            "owner_institute",
            "required_institutes",
            "created_at",
            "versions",
        ]
        read_only_fields = fields


# --- write -----------------------------------------------------------------------------------


class GuidelineCreateSerializer(serializers.Serializer):
    code = inputs.SlugField(max_length=60, help_text="Stable identifier, e.g. bio-uplift.")
    title = inputs.CharField(max_length=200)
    domain: inputs.SlugRelatedField = inputs.SlugRelatedField(
        slug_field="slug", queryset=Domain.objects.all(), required=False, allow_null=True
    )
    owner_institute = institute_field(help_text="Code of an institute you lead.")
    required_institutes = institute_field(
        many=True, help_text="Codes of the institutes that must sign each version."
    )


class GuidelineVersionCreateSerializer(serializers.Serializer):
    body_markdown = inputs.CharField(help_text="The protocol, in Markdown.")
    change_summary = inputs.CharField(max_length=300, required=False, allow_blank=True)
    review_labels = inputs.SlugRelatedField(
        slug_field="slug",
        queryset=ReviewLabel.objects.all(),
        many=True,
        required=False,
        help_text="Slugs of the labels reviewers choose from in review queues under this "
        "version; empty: the default set. Omitted: a new version keeps the latest version's, "
        "an edit leaves them as they are.",
    )
    judge_min_kappa = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=-1,
        max_value=1,
        help_text="Flag LLM judges whose Cohen's kappa with the reviewers' majority is below "
        "this (from -1 to 1; null: no threshold). Omitted: a new version keeps the latest "
        "version's, an edit leaves it as it is.",
    )


class GuidelineVersionApproveSerializer(serializers.Serializer):
    institute = institute_field(help_text="Code of a required institute you lead.")
    comment = inputs.CharField(required=False, allow_blank=True)
