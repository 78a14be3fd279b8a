"""API shapes of exchanges: one output shape, separate input shapes for each write."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api import inputs
from evaluations.models import EvaluationProject
from exchanges import rules
from exchanges.models import ChecklistItem, Exchange, ExchangeApproval
from institutes import access
from institutes.models import Institute, Role


class ExchangeApprovalSerializer(serializers.ModelSerializer):
    institute: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    user: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = ExchangeApproval
        fields = ["institute", "user", "decision", "reason", "at"]


class ChecklistItemSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="item_type.name", read_only=True)
    done_by: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = ChecklistItem
        fields = ["id", "name", "mandatory", "done_at", "done_by", "note"]


class ExchangeSerializer(serializers.ModelSerializer):
    person: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    person_name = serializers.CharField(source="person.display_name", read_only=True)
    home_institute: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    host_institute: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    project = serializers.SerializerMethodField(
        help_text="Slug of the linked project; null when there is none or you may not see it."
    )
    proposed_by: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    activated_by: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    ended_by: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    approvals = ExchangeApprovalSerializer(many=True, read_only=True)
    checklist = ChecklistItemSerializer(many=True, read_only=True)

    class Meta:
        model = Exchange
        fields = [
            "id",
            "person",
            "person_name",
            "home_institute",
            "host_institute",
            "project",
            "role_title",
            "host_role",
            "start_date",
            "end_date",
            "status",
            "objectives",
            "outcome",
            "status_reason",
            "proposed_by",
            "activated_at",
            "activated_by",
            "ended_at",
            "ended_by",
            "approvals",
            "checklist",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_project(self, exchange: Exchange) -> str | None:
        # A project the reader may not see does not exist for them: not even its slug shows.
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None or not rules.shows_project(user, exchange):
            return None
        return exchange.project.slug if exchange.project else None


def _institute_field(**kwargs) -> inputs.SlugRelatedField:
    return inputs.SlugRelatedField(
        slug_field="code", queryset=Institute.objects.filter(is_active=True), **kwargs
    )


class ExchangeCreateSerializer(serializers.Serializer):
    """Only the shape of a proposal; exchanges.services decides what is allowed and valid."""

    # A username, looked up among the home institute's members only after the proposer is known
    # to lead the home or the host institute (exchanges.api): an unknown username and one of
    # someone elsewhere get the same answer, so proposing tells nobody who has an account.
    person = inputs.CharField(
        max_length=150,
        help_text="Username of the person, a member of the home institute.",
    )
    home_institute = _institute_field(help_text="Code of the person's institute.")
    host_institute = _institute_field(help_text="Code of the institute the person goes to.")
    project = inputs.SlugRelatedField(
        slug_field="slug",
        queryset=EvaluationProject.objects.all(),
        scope=access.visible_projects,
        required=False,
        allow_null=True,
        help_text="Slug of a project the host institute takes part in.",
    )
    role_title = inputs.CharField(max_length=200)
    host_role = serializers.ChoiceField(
        choices=Role.choices,
        default=Role.EVALUATOR,
        help_text="The person's role in the linked project while the exchange is active.",
    )
    start_date = serializers.DateField()
    end_date = serializers.DateField(help_text="The last day of the exchange.")
    objectives = inputs.CharField(required=False, allow_blank=True, max_length=20000)


class DecisionSerializer(serializers.Serializer):
    institute = _institute_field(
        required=False,
        allow_null=True,
        help_text="The side you decide for, when you may decide for both (programme managers).",
    )
    reason = inputs.CharField(
        required=False, allow_blank=True, max_length=5000, help_text="Required to decline."
    )


class ReasonSerializer(serializers.Serializer):
    reason = inputs.CharField(
        allow_blank=True, max_length=5000, help_text="Why the exchange is cancelled."
    )


class OutcomeSerializer(serializers.Serializer):
    outcome = inputs.CharField(allow_blank=True, max_length=20000, help_text="The outcome report.")
