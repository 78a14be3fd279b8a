"""Serializers of a project's developer contacts: what the API shows of a contact (never the
sign-up token, which only the invitation e-mail carries) and the invitation's input."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api import inputs
from evaluations.models import DeveloperContact
from evaluations.services.developer_contacts import contact_status


class DeveloperContactSerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.name", read_only=True)
    status = serializers.SerializerMethodField(
        help_text="invited, expired (invited; the link no longer works), active or revoked."
    )
    username = serializers.CharField(
        source="user.username", read_only=True, allow_null=True, default=None
    )
    invited_by = serializers.CharField(source="invited_by.username", read_only=True)

    class Meta:
        model = DeveloperContact
        fields = [
            "id",
            "name",
            "email",
            "organisation",
            "status",
            "username",
            "invited_by",
            "invited_at",
            "invitation_expires_at",
            "accepted_at",
            "revoked_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(["invited", "expired", "active", "revoked"]))
    def get_status(self, contact: DeveloperContact) -> str:
        return contact_status(contact)


class DeveloperContactInviteSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    name = inputs.CharField(max_length=200)
    organisation = inputs.CharField(
        max_length=200,
        help_text="The AI developer's name: an existing developer organisation (any case) or a "
        "new one.",
    )
