"""Admin for the developer's side (read-mostly): AI developer organisations, and a project's
developer contacts, which programme managers (and staff, in the projects they manage) read,
revoke or re-invite through `evaluations.services.developer_contacts`. Invitations are made on
the project's "Developer contacts" page or the API, where the rules apply; the sign-up token's
hash is never shown."""

from __future__ import annotations

from django.contrib import admin

from config.admin import bulk_action
from evaluations.admin._common import PlatformAdmin, ProjectScopedAdmin
from evaluations.models import DeveloperContact, Organisation
from evaluations.services import developer_contacts as services

CONTACT_FIELDS: tuple[str, ...] = (
    "project",
    "organisation",
    "name",
    "email",
    "user",
    "invited_by",
    "invited_at",
    "invitation_expires_at",
    "accepted_at",
    "revoked_at",
)


@admin.register(Organisation)
class OrganisationAdmin(PlatformAdmin):
    list_display = ["name", "kind", "website", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name"]
    fields = ["name", "kind", "website", "created_at"]
    readonly_fields = ["created_at"]

    def has_delete_permission(self, request, obj=None):
        return False  # contacts refer to it (PROTECT)


@bulk_action(description="Revoke the selected developer contacts", done="contacts revoked")
def revoke(request, contact):
    services.developer_contact_revoke(contact=contact, by=request.user)


@bulk_action(description="Send a new sign-up link", done="invitations sent")
def reinvite(request, contact):
    services.developer_contact_reinvite(contact=contact, by=request.user)


@admin.register(DeveloperContact)
class DeveloperContactAdmin(ProjectScopedAdmin):
    list_display = ["name", "organisation", "email", "project", "status", "invited_at"]
    list_filter = ["organisation"]
    list_select_related = ["project", "organisation", "user"]
    search_fields = ["name", "email", "organisation__name", "project__slug"]
    fields = CONTACT_FIELDS
    readonly_fields = CONTACT_FIELDS
    actions = [revoke, reinvite]

    @admin.display(description="Status")
    def status(self, obj) -> str:
        return services.contact_status(obj)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
