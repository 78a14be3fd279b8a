"""Serializers for findings: what the evaluation found, moved along draft -> agreed ->
shared with the developer -> published by the project's leads; the comments on them and the AI
developer's responses."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api import inputs
from evaluations import rules
from evaluations.models import (
    EvaluationProject,
    EvaluationRun,
    Finding,
    FindingComment,
    FindingEvidence,
    FindingResponse,
    SampleResult,
    Workstream,
)
from institutes import access

# What a developer contact is never shown of a finding: the runs and samples behind it and who
# at the institutes recorded it.
DEVELOPER_HIDDEN = ("runs", "evidence", "created_by")


def _runs_field(**kwargs) -> inputs.PrimaryKeyRelatedField:
    return inputs.PrimaryKeyRelatedField(
        queryset=EvaluationRun.objects.all(),
        scope=lambda user, qs: qs.filter(project__in=access.results_visible_projects(user)),
        many=True,
        required=False,
        help_text="Ids of runs of the same project that support the finding: shorthand for "
        "evidence of kind `run` (on read: every run the evidence cites).",
        **kwargs,
    )


def _workstream_field(**kwargs) -> inputs.PrimaryKeyRelatedField:
    return inputs.PrimaryKeyRelatedField(
        queryset=Workstream.objects.all(),
        scope=lambda user, qs: qs.filter(project__in=access.visible_projects(user)),
        required=False,
        allow_null=True,
        help_text="Id of a workstream of the same project.",
        **kwargs,
    )


def _visible_runs(user, qs):
    return qs.filter(project__in=access.results_visible_projects(user))


class EvidenceSerializer(serializers.ModelSerializer):
    """One piece of evidence: a run, a sample of a run, or a comparison of two runs."""

    run: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(read_only=True)
    sample: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="Id of the sample (kind `sample`)."
    )
    run_b: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="Id of the other run (kind `comparison`)."
    )

    class Meta:
        model = FindingEvidence
        fields = ["kind", "run", "sample", "run_b"]
        read_only_fields = fields


class EvidenceInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=FindingEvidence.Kind.choices)
    run = inputs.PrimaryKeyRelatedField(
        queryset=EvaluationRun.objects.all(),
        scope=_visible_runs,
        required=False,
        help_text="Id of a run of the finding's project (kinds `run` and `comparison`; "
        "optional for `sample`).",
    )
    sample = inputs.PrimaryKeyRelatedField(
        queryset=SampleResult.objects.select_related("run"),
        scope=lambda user, qs: qs.filter(run__project__in=access.results_visible_projects(user)),
        required=False,
        allow_null=True,
        help_text="Id of a sample of one of the project's runs (kind `sample`).",
    )
    run_b = inputs.PrimaryKeyRelatedField(
        queryset=EvaluationRun.objects.all(),
        scope=_visible_runs,
        required=False,
        allow_null=True,
        help_text="Id of the run compared with `run` (kind `comparison`, same task).",
    )


def _evidence_field() -> EvidenceInputSerializer:
    return EvidenceInputSerializer(
        many=True,
        required=False,
        help_text="What the finding cites, from its own project's runs; replaces the evidence "
        "the finding had.",
    )


class FindingSerializer(serializers.ModelSerializer):
    project: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    workstream: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )
    domain: serializers.SlugRelatedField = serializers.SlugRelatedField(
        source="workstream.domain", slug_field="slug", read_only=True, allow_null=True
    )
    runs: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )
    created_by: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    evidence = EvidenceSerializer(many=True, read_only=True)
    response_window_closes_at = serializers.SerializerMethodField(
        help_text="When the AI developer's response window closes (null: not shared, or the "
        "project gives no window); the finding is published before then only with a lead's "
        "override reason."
    )
    response_window_open = serializers.SerializerMethodField()
    publish_override_by: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Finding
        fields = [
            "id",
            "project",
            "workstream",
            "domain",
            "title",
            "severity",
            "body",
            "status",
            "runs",
            "evidence",
            "shared_at",
            "response_window_closes_at",
            "response_window_open",
            "publish_override_reason",
            "publish_override_by",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_response_window_closes_at(self, finding) -> str | None:
        closes_at = rules.response_window(finding)[1]
        return serializers.DateTimeField().to_representation(closes_at) if closes_at else None

    def get_response_window_open(self, finding) -> bool:
        return rules.response_window(finding)[0]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.project_id in self.context.get("developer_only_projects", ()):
            for name in DEVELOPER_HIDDEN:
                data.pop(name, None)
        return data


class FindingCreateSerializer(serializers.Serializer):
    project: inputs.SlugRelatedField = inputs.SlugRelatedField(
        slug_field="slug",
        queryset=EvaluationProject.objects.all(),
        scope=lambda user, qs: access.results_visible_projects(user, qs),
        help_text="Slug of a project you take part in (as an evaluator or lead).",
    )
    title = inputs.CharField(max_length=200)
    severity = serializers.ChoiceField(choices=Finding.Severity.choices, required=False)
    body = inputs.CharField(required=False, allow_blank=True, help_text="Markdown.")
    workstream = _workstream_field()
    runs = _runs_field()
    evidence = _evidence_field()


class FindingUpdateSerializer(serializers.Serializer):
    title = inputs.CharField(max_length=200, required=False)
    severity = serializers.ChoiceField(choices=Finding.Severity.choices, required=False)
    body = inputs.CharField(required=False, allow_blank=True)
    workstream = _workstream_field()
    runs = _runs_field()
    evidence = _evidence_field()


class FindingTransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=Finding.Status.choices,
        help_text="draft -> agreed -> shared_with_developer -> published; agreed -> draft.",
    )
    override_reason = inputs.CharField(
        required=False,
        allow_blank=True,
        help_text="To publish while the developer's response window is open (leads): why. "
        "Kept with the finding.",
    )


class FindingCommentSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.display_name", read_only=True)
    by_developer = serializers.SerializerMethodField(
        help_text="Written by one of the AI developer's contacts."
    )

    class Meta:
        model = FindingComment
        fields = ["id", "finding", "author", "by_developer", "body", "created_at"]
        read_only_fields = fields

    def get_by_developer(self, comment) -> bool:
        return comment.author_id in self.context.get("developer_user_ids", ())


class FindingCommentCreateSerializer(serializers.Serializer):
    body = inputs.CharField(help_text="Plain text or Markdown.")


class FindingResponseSerializer(serializers.ModelSerializer):
    contact = serializers.CharField(source="contact.name", read_only=True)
    organisation = serializers.CharField(source="contact.organisation.name", read_only=True)

    class Meta:
        model = FindingResponse
        fields = ["id", "finding", "kind", "text", "contact", "organisation", "created_at"]
        read_only_fields = fields


class FindingResponseCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=FindingResponse.Kind.choices)
    text = inputs.CharField(help_text="Plain text or Markdown.")
