from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.utils.html import format_html
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.forms import add_service_errors
from institutes import access, selectors, two_factor
from institutes.models import ApiToken, AuditEvent, Institute, Membership, User
from institutes.services import token_check, token_create, token_revoke

# Authenticator secrets and recovery codes are not for anyone's eyes, the admin's included
# (django-otp's admin shows a device's QR code): a programme manager resets a user's second
# factor with the action on the user list instead.
for _device in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device):
        admin.site.unregister(_device)

# Concord keeps its permissions in institute roles (institutes/access.py), not in Django's groups.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)

admin.site.site_header = "Concord administration"
admin.site.site_title = "Concord administration"
admin.site.index_title = "Concord"


def _staff_institutes(request):
    """Institutes whose people a staff user who is not a programme manager sees in the admin."""
    return list(access.institute_ranks(request.user))


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user", "institute"]
    fields = ["user", "institute", "role", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Institute)
class InstituteAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "country",
        "member_count",
        "require_two_factor",
        "is_active",
        "updated_at",
    ]
    list_filter = ["country", "is_active", "require_two_factor"]
    search_fields = ["code", "name"]
    ordering = ["name"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_member_count=Count("memberships"))

    @admin.display(description="Members", ordering="_member_count")
    def member_count(self, obj):
        return obj._member_count


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = [
        "username",
        "email",
        "first_name",
        "last_name",
        "institutes_roles",
        "is_programme_manager",
        "is_active",
        "last_login",
    ]
    list_filter = [
        "is_programme_manager",
        "is_staff",
        "is_active",
        "memberships__institute",
        "memberships__role",
    ]
    search_fields = ["username", "email", "first_name", "last_name"]
    inlines = [MembershipInline]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Concord", {"fields": ("is_programme_manager",)}),
    )
    actions = ["reset_two_factor"]

    def get_queryset(self, request):
        qs = super().get_queryset(request).prefetch_related("memberships__institute")
        if access.is_programme_manager(request.user):
            return qs
        # Other staff: the people of their own institutes (and themselves).
        return qs.filter(
            Q(memberships__institute__in=_staff_institutes(request)) | Q(pk=request.user.pk)
        ).distinct()

    @admin.action(description="Reset two-factor sign-in (lost phone): they enrol again")
    def reset_two_factor(self, request, queryset):
        if not access.is_programme_manager(request.user):
            raise PermissionDenied
        removed = sum(two_factor.two_factor_reset(user=u, by=request.user) for u in queryset)
        self.message_user(request, f"{removed} device(s) removed.", messages.SUCCESS)

    @admin.display(description="Institutes and roles")
    def institutes_roles(self, obj):
        return ", ".join(f"{m.institute.code} ({m.role})" for m in obj.memberships.all()) or "—"


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "institute", "role", "created_at"]
    list_filter = ["role", "institute"]
    search_fields = ["user__username", "user__email", "institute__code", "institute__name"]
    autocomplete_fields = ["user", "institute"]
    list_select_related = ["user", "institute"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if access.is_programme_manager(request.user):
            return qs
        return qs.filter(institute__in=_staff_institutes(request))


class ApiTokenCreationForm(forms.ModelForm):
    """Issuing a token: the raw token is made by the service and shown once, after saving."""

    expires_in_days = forms.IntegerField(
        min_value=1,
        initial=lambda: settings.API_TOKEN_DEFAULT_DAYS,
        help_text="Lifetime in days; at most API_TOKEN_MAX_DAYS.",
    )

    class Meta:
        model = ApiToken
        fields = ["user", "name", "scope"]

    def clean(self):
        cleaned = super().clean() or self.cleaned_data
        if self.errors:
            return cleaned
        try:
            token_check(
                user=cleaned["user"],
                name=cleaned["name"],
                scope=cleaned["scope"],
                expires_in_days=cleaned["expires_in_days"],
            )
        except ValidationError as exc:
            add_service_errors(self, exc)
        return cleaned


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "user",
        "prefix",
        "scope",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__username"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    actions = ["revoke"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if access.is_programme_manager(request.user):
            return qs
        return qs.filter(user=request.user)  # other staff: their own tokens

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenCreationForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["user", "name", "scope", "expires_in_days"]
        return [
            "user",
            "name",
            "scope",
            "prefix",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # An issued token keeps its owner, scope and lifetime: revoke it and issue another.
        return ["user", "scope", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # The form ran token_check, so the service does not refuse here.
        token, raw = token_create(
            user=form.cleaned_data["user"],
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            expires_in_days=form.cleaned_data["expires_in_days"],
            by=request.user,
        )
        # The admin goes on with `obj` (history, redirect): make it the issued token.
        for field in ApiToken._meta.concrete_fields:
            setattr(obj, field.attname, getattr(token, field.attname))
        obj._state.adding = False
        obj._state.db = token._state.db
        messages.warning(
            request,
            format_html(
                "Token for {}: <code>{}</code> — copy it now, it is shown only this once.",
                token.user.username,
                raw,
            ),
        )

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            token_revoke(token=token, by=request.user)
            revoked += 1
        self.message_user(request, f"{revoked} token(s) revoked.", messages.SUCCESS)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail, for programme managers: read-only (rows are never edited). Results'
    events of embargoed projects they do not take part in are left out (the embargo holds here
    too). A project's leads see its trail on the project's audit page."""

    list_display = [
        "at",
        "action",
        "actor",
        "actor_kind",
        "token_id",
        "table",
        "object_id",
        "project_id",
        "ip",
        "source",
    ]
    list_filter = ["action", "actor_kind", "table", ("at", admin.DateFieldListFilter)]
    search_fields = ["object_id", "source", "request_id", "actor__username", "=ip"]
    list_select_related = ["actor"]
    date_hierarchy = "at"
    show_full_result_count = False  # the trail is large: no second COUNT(*) per page
    list_per_page = 100

    def get_queryset(self, request):
        return selectors.audit_events_for(request.user).select_related("actor")

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in AuditEvent._meta.fields]

    def has_module_permission(self, request):
        return access.is_programme_manager(request.user)

    def has_view_permission(self, request, obj=None):
        return access.is_programme_manager(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
