"""REST API resources of this app, registered on the /api/v1/ router.

`institutes`: the directory of institutes, readable by every signed-in user (projects and
guidelines name them by `code`). An institute's members and their roles are shown only to its own
staff and to programme managers (`access.sees_staff_of`); others get `members: null`.
"""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets

from config.api.inputs import OptionalURLField
from config.api.permissions import SIGNED_IN
from institutes import access
from institutes.models import Institute, Membership, Role


class MemberSerializer(serializers.Serializer):
    username = serializers.CharField(source="user.username")
    display_name = serializers.CharField(source="user.display_name")
    role = serializers.ChoiceField(choices=Role.choices)


class InstituteSerializer(serializers.ModelSerializer):
    # Blank when unknown: the schema says "a URL, or an empty string" (a plain URLField says
    # format uri, which "" breaks; found by tests/api/test_schemathesis.py).
    website = OptionalURLField(read_only=True)
    members = serializers.SerializerMethodField(
        help_text="Active members and their roles; null unless you are staff of this institute "
        "or a programme manager."
    )

    class Meta:
        model = Institute
        fields = ["id", "code", "name", "country", "website", "is_active", "members"]
        read_only_fields = fields

    @extend_schema_field(MemberSerializer(many=True, allow_null=True))
    def get_members(self, institute):
        if not access.sees_staff_of(self.context["request"].user, institute):
            return None
        return MemberSerializer(institute.active_memberships, many=True).data


class InstituteFilter(django_filters.FilterSet):
    country = django_filters.CharFilter(
        field_name="country", lookup_expr="iexact", help_text="ISO 3166-1 alpha-2 code, e.g. GB."
    )
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Institute
        fields = ["country", "is_active"]


@extend_schema(tags=["institutes"])
class InstituteViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Institutes taking part in Concord, looked up by their stable `code`."""

    permission_classes = SIGNED_IN
    serializer_class = InstituteSerializer
    lookup_field = "code"
    filterset_class = InstituteFilter
    search_fields = ["code", "name"]
    ordering_fields = ["name", "code", "country"]
    ordering = ["name"]

    def get_queryset(self):
        return Institute.objects.prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.filter(user__is_active=True)
                .select_related("user")
                .order_by("user__username"),
                to_attr="active_memberships",
            )
        )
