from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.html import format_html

from institutes.models import ApiToken, Institute, Membership, User
from institutes.services import token_check, token_create, token_revoke


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user", "institute"]
    fields = ["user", "institute", "role", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Institute)
class InstituteAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "country", "member_count", "is_active", "updated_at"]
    list_filter = ["country", "is_active"]
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
        *BaseUserAdmin.fieldsets,
        ("Concord", {"fields": ("is_programme_manager",)}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("memberships__institute")

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
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
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
