"""Admin for guidelines and their versions, and the review labels a version may choose from.
Signatures are given on the guideline page by the leads of the required institutes; here they
are shown, not edited."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count
from django.shortcuts import redirect
from django.urls import reverse

from config.admin import bulk_action
from evaluations.admin._common import (
    PlatformAdmin,
    ReadOnlyInline,
    ServiceAdminMixin,
    ServiceForm,
)
from evaluations.models import Guideline, GuidelineApproval, GuidelineVersion, ReviewLabel
from evaluations.services import guidelines as services
from institutes import access


class GuidelineVersionInline(ReadOnlyInline):
    model = GuidelineVersion
    fields = [
        "number",
        "status",
        "change_summary",
        "created_by",
        "created_at",
        "approved_at",
    ]
    show_change_link = True


@admin.register(Guideline)
class GuidelineAdmin(PlatformAdmin):
    list_display = ["code", "title", "domain", "owner_institute", "must_sign", "version_count"]
    list_filter = ["domain", "owner_institute", "required_institutes"]
    search_fields = ["code", "title"]
    filter_horizontal = ["required_institutes"]
    inlines = [GuidelineVersionInline]

    def get_queryset(self, request):
        qs = access.visible_guidelines(request.user, super().get_queryset(request))
        return qs.annotate(_versions=Count("versions", distinct=True)).prefetch_related(
            "required_institutes"
        )

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []

    @admin.display(description="Must sign")
    def must_sign(self, obj):
        return ", ".join(i.code for i in obj.required_institutes.all())

    @admin.display(description="Versions", ordering="_versions")
    def version_count(self, obj):
        return obj._versions

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or access.can_edit_guideline(request.user, obj))

    def add_view(self, request, form_url="", extra_context=None):
        # Starting a guideline checks who may own it: the page's form does, through the service.
        return redirect("guidelines:create")

    def view_on_site(self, obj):
        return reverse("guidelines:detail", kwargs={"code": obj.code})


class GuidelineApprovalInline(ReadOnlyInline):
    model = GuidelineApproval
    fields = ["institute", "user", "at", "comment"]


class GuidelineVersionForm(ServiceForm):
    class Meta:
        model = GuidelineVersion
        fields = ["body_markdown", "change_summary", "review_labels", "judge_min_kappa"]

    def service_call(self, instance, cleaned_data) -> None:
        if "body_markdown" not in cleaned_data:
            return  # the text is frozen (read-only) once the version left draft
        services.guideline_version_update(
            user=self.user,
            version=instance,
            body_markdown=cleaned_data["body_markdown"],
            change_summary=cleaned_data["change_summary"],
            review_labels=cleaned_data["review_labels"],
            judge_min_kappa=cleaned_data["judge_min_kappa"],
        )


@bulk_action(
    description="Submit selected drafts for review", done="version(s) submitted for review"
)
def submit_for_review(request, version):
    services.guideline_version_submit(user=request.user, version=version)


@admin.register(GuidelineVersion)
class GuidelineVersionAdmin(ServiceAdminMixin, PlatformAdmin):
    form = GuidelineVersionForm
    list_display = ["__str__", "guideline", "status", "signatures", "created_by", "approved_at"]
    list_filter = ["status", "guideline"]
    search_fields = ["guideline__code", "guideline__title", "change_summary"]
    list_select_related = ["guideline", "created_by"]
    fields = [
        "guideline",
        "number",
        "status",
        "change_summary",
        "body_markdown",
        "review_labels",
        "judge_min_kappa",
        "created_by",
        "approved_at",
    ]
    filter_horizontal = ["review_labels"]
    inlines = [GuidelineApprovalInline]
    actions = [submit_for_review]

    def get_queryset(self, request):
        guidelines = access.visible_guidelines(request.user)
        return (
            super()
            .get_queryset(request)
            .filter(guideline__in=guidelines.values("pk"))
            .annotate(
                _signatures=Count("approvals", distinct=True),
                _required=Count("guideline__required_institutes", distinct=True),
            )
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = ["guideline", "number", "status", "created_by", "approved_at"]
        if obj is not None and obj.status != GuidelineVersion.Status.DRAFT:
            # frozen once submitted
            readonly += ["body_markdown", "change_summary", "review_labels", "judge_min_kappa"]
        return readonly

    @admin.display(description="Signatures")
    def signatures(self, obj):
        return f"{obj._signatures} of {obj._required}"

    def has_add_permission(self, request):
        return False  # new versions are drafted on the guideline page

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or access.can_edit_guideline(request.user, obj.guideline))

    def view_on_site(self, obj):
        url = reverse("guidelines:detail", kwargs={"code": obj.guideline.code})
        return f"{url}#v{obj.number}"


@admin.register(ReviewLabel)
class ReviewLabelAdmin(PlatformAdmin):
    """The labels reviewers give answers. A guideline version chooses its set among them;
    `default` ones make the set of queues under a version that chooses none."""

    list_display = ["name", "slug", "verdict", "default", "order"]
    list_editable = ["verdict", "default", "order"]
    list_filter = ["default"]
    search_fields = ["slug", "name", "description"]
    fields = ["slug", "name", "description", "verdict", "default", "order"]

    def get_readonly_fields(self, request, obj=None):
        return ["slug"] if obj else []  # reviews, queues and API clients name labels by slug
