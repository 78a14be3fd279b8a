"""API for a project's developer contacts (docs/api.md, "Developer contacts"):

/api/v1/projects/<slug>/developer-contacts/        GET list, POST invite (email, name, organisation)
/api/v1/projects/<slug>/developer-contacts/<id>/   DELETE: revoke (access ends at once)

For the leads of a participating institute and programme managers: evaluators and viewers of the
project get 403 (the contacts' addresses are the leads' business), anyone who does not see the
project 404. The invitation e-mail carries the sign-up link; no answer holds the token.
"""

from __future__ import annotations

from typing import cast

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from config.api.inputs import validated_input
from config.api.parsers import JSONParser
from config.api.permissions import SIGNED_IN
from evaluations.api.developer_serializers import (
    DeveloperContactInviteSerializer,
    DeveloperContactSerializer,
)
from evaluations.models import DeveloperContact
from evaluations.selectors import developers as selectors
from evaluations.selectors.projects import project_for
from evaluations.services import developer_contacts as services
from institutes import access
from institutes.models import User

SLUG = OpenApiParameter("slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="Project.")
TAGS = ["developer contacts"]


@extend_schema_view(
    list=extend_schema(
        summary="The project's developer contacts (leads and programme managers)",
        tags=TAGS,
        parameters=[SLUG],
    ),
    destroy=extend_schema(
        summary="Revoke a developer contact (their access ends at once)",
        tags=TAGS,
        parameters=[SLUG],
    ),
)
class ProjectDeveloperContactViewSet(
    mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """People of the AI developer invited to the project (docs/developers.md)."""

    permission_classes = SIGNED_IN
    serializer_class = DeveloperContactSerializer
    parser_classes = [JSONParser]
    ordering_fields = ["invited_at", "name"]
    ordering = ["organisation__name", "name", "pk"]
    lookup_value_regex = r"\d+"

    @property
    def user(self) -> User:
        return cast(User, self.request.user)

    def _project(self):
        project = project_for(self.request.user, self.kwargs["slug"])  # 404 first
        access.require(access.can_manage(self.request.user, project), services.NOT_A_MANAGER)
        return project

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema's generation
            return DeveloperContact.objects.none()
        return selectors.project_contacts(self.request.user, self._project()).order_by(
            *self.ordering
        )

    @extend_schema(
        summary="Invite a developer contact (an e-mail with a sign-up link)",
        tags=TAGS,
        parameters=[SLUG],
        request=DeveloperContactInviteSerializer,
        responses={201: DeveloperContactSerializer},
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        project = self._project()
        data = validated_input(DeveloperContactInviteSerializer, request)
        contact = services.developer_contact_invite(project=project, by=self.user, **data)
        return Response(self.get_serializer(contact).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        services.developer_contact_revoke(contact=self.get_object(), by=self.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
