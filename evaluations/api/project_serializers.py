"""Serializers for projects and AI systems: output shapes (read) and input shapes (write).

Inputs only check the shape of a request and resolve references within the caller's reach;
the rules live in evaluations.services.
"""

from __future__ import annotations

from rest_framework import serializers

from config.api import inputs
from evaluations.models import (
    AccessWindow,
    AISystem,
    Domain,
    EvaluationProject,
    GuidelineVersion,
    Participation,
    ProjectGuideline,
    ProjectSystem,
    Workstream,
)
from institutes import access
from institutes.models import Institute, User


def institute_field(**kwargs) -> inputs.SlugRelatedField:
    """An institute named by its code (every signed-in user may name any active institute)."""
    return inputs.SlugRelatedField(
        slug_field="code", queryset=Institute.objects.filter(is_active=True), **kwargs
    )


def system_field(**kwargs) -> inputs.PrimaryKeyRelatedField:
    """A system the user can see, by id."""
    return inputs.PrimaryKeyRelatedField(
        queryset=AISystem.objects.all(), scope=access.visible_systems, **kwargs
    )


# --- read ------------------------------------------------------------------------------------


class SystemSerializer(serializers.ModelSerializer):
    base_url = serializers.CharField(
        read_only=True, help_text="OpenAI-compatible endpoint, or empty for none."
    )

    class Meta:
        model = AISystem
        fields = [
            "id",
            "developer",
            "name",
            "version",
            "kind",
            "description",
            "inspect_model",
            "base_url",
            "api_key_env",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class SystemSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = AISystem
        fields = ["id", "developer", "name", "version", "kind", "inspect_model"]
        read_only_fields = fields


class ParticipantSerializer(serializers.ModelSerializer):
    institute: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    institute_name = serializers.CharField(source="institute.name", read_only=True)

    class Meta:
        model = Participation
        fields = ["institute", "institute_name", "role", "joined_at"]
        read_only_fields = fields


class ProjectSystemSerializer(serializers.ModelSerializer):
    system = SystemSummarySerializer(read_only=True)

    class Meta:
        model = ProjectSystem
        fields = ["system", "is_reference"]
        read_only_fields = fields


class AccessWindowSerializer(serializers.ModelSerializer):
    system: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(read_only=True)
    is_open = serializers.SerializerMethodField(help_text="Whether access is open right now.")

    class Meta:
        model = AccessWindow
        fields = ["id", "system", "starts_at", "ends_at", "terms", "is_open"]
        read_only_fields = fields

    def get_is_open(self, window: AccessWindow) -> bool:
        return window.is_open()


class WorkstreamSerializer(serializers.ModelSerializer):
    domain: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    domain_name = serializers.CharField(source="domain.name", read_only=True)
    lead_institute: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    members: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", many=True, read_only=True
    )

    class Meta:
        model = Workstream
        fields = ["id", "domain", "domain_name", "lead_institute", "members", "description"]
        read_only_fields = fields


class AdoptionSerializer(serializers.ModelSerializer):
    guideline = serializers.CharField(source="version.guideline.code", read_only=True)
    version: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(read_only=True)
    version_number = serializers.IntegerField(source="version.number", read_only=True)
    adopted_by: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = ProjectGuideline
        fields = ["id", "guideline", "version", "version_number", "adopted_by", "adopted_at"]
        read_only_fields = fields


class ProjectSummarySerializer(serializers.ModelSerializer):
    participants = ParticipantSerializer(source="participations", many=True, read_only=True)
    is_embargoed = serializers.BooleanField(
        read_only=True, help_text="Results and findings stay with the participants until then."
    )

    class Meta:
        model = EvaluationProject
        fields = [
            "id",
            "slug",
            "title",
            "status",
            "embargo_until",
            "is_embargoed",
            "participants",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ProjectSerializer(ProjectSummarySerializer):
    systems = ProjectSystemSerializer(source="project_systems", many=True, read_only=True)
    access_windows = AccessWindowSerializer(many=True, read_only=True)
    workstreams = WorkstreamSerializer(many=True, read_only=True)
    adopted_guidelines = AdoptionSerializer(source="adoptions", many=True, read_only=True)

    class Meta(ProjectSummarySerializer.Meta):
        fields = [
            *ProjectSummarySerializer.Meta.fields,
            "description",
            "developer_response_days",
            "systems",
            "access_windows",
            "workstreams",
            "adopted_guidelines",
        ]
        read_only_fields = fields


# --- write -----------------------------------------------------------------------------------


def _response_days_field() -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=0,
        max_value=365,
        required=False,
        help_text="Days the AI developer has to respond to a finding shared with them before it "
        "may be published (0: no window; default 14).",
    )


class ProjectCreateSerializer(serializers.Serializer):
    title = inputs.CharField(max_length=200)
    slug = inputs.SlugField(
        max_length=80,
        required=False,
        help_text="The project's address; made from the title if empty.",
    )
    description = inputs.CharField(required=False, allow_blank=True)
    embargo_until = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Results stay with the participants until then."
    )
    lead_institute = institute_field(help_text="Code of an institute you lead.")
    partner_institutes = institute_field(
        many=True, required=False, help_text="Codes of other institutes you lead."
    )
    developer_response_days = _response_days_field()


class ProjectUpdateSerializer(serializers.Serializer):
    title = inputs.CharField(max_length=200, required=False)
    description = inputs.CharField(required=False, allow_blank=True)
    embargo_until = serializers.DateTimeField(required=False, allow_null=True)
    developer_response_days = _response_days_field()


class ProjectTransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=EvaluationProject.Status.choices,
        help_text="proposed -> active -> reporting -> closed; proposed/active -> withdrawn; "
        "reporting -> active.",
    )


class ParticipantCreateSerializer(serializers.Serializer):
    institute = institute_field(help_text="Code of an institute you lead.")
    role = serializers.ChoiceField(choices=Participation.Role.choices, required=False)


class ProjectSystemCreateSerializer(serializers.Serializer):
    system = system_field()
    is_reference = inputs.BooleanField(
        required=False, help_text="A reference system the target is compared against."
    )


class AccessWindowCreateSerializer(serializers.Serializer):
    system = system_field()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    terms = inputs.CharField(required=False, allow_blank=True)


class WorkstreamCreateSerializer(serializers.Serializer):
    domain: inputs.SlugRelatedField = inputs.SlugRelatedField(
        slug_field="slug", queryset=Domain.objects.all()
    )
    lead_institute = institute_field()
    members: inputs.SlugRelatedField = inputs.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        many=True,
        required=False,
        help_text="Usernames of staff of participating institutes.",
    )
    description = inputs.CharField(required=False, allow_blank=True)


class WorkstreamUpdateSerializer(serializers.Serializer):
    lead_institute = institute_field(required=False)
    members: inputs.SlugRelatedField = inputs.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        many=True,
        required=False,
        help_text="Replaces the members; omit to keep them.",
    )
    description = inputs.CharField(required=False, allow_blank=True)


class AdoptionCreateSerializer(serializers.Serializer):
    version: inputs.PrimaryKeyRelatedField = inputs.PrimaryKeyRelatedField(
        queryset=GuidelineVersion.objects.all(),
        scope=lambda user, qs: qs.filter(guideline__in=access.visible_guidelines(user)),
        help_text="Id of an approved guideline version.",
    )


class SystemWriteSerializer(serializers.Serializer):
    """Create needs developer, name and inspect_model; an update (PATCH) any subset."""

    developer = inputs.CharField(max_length=200)
    name = inputs.CharField(max_length=200)
    version = inputs.CharField(max_length=100, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=AISystem.Kind.choices, required=False)
    description = inputs.CharField(required=False, allow_blank=True)
    inspect_model = inputs.CharField(
        max_length=200, help_text="Inspect's provider/model, e.g. 'openai-api/lab/frontier-1'."
    )
    base_url = inputs.OptionalURLField(required=False)
    api_key_env = inputs.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="Name of the workers' environment variable holding the key, never the key.",
    )
