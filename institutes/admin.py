from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Count

from institutes.models import ApiToken, Institute, Membership, User


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
    readonly_fields = ["prefix", "token_hash", "created_at", "last_used_at"]
