"""Admin for projects, AI systems, domains and findings."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import redirect
from django.urls import reverse

from config.admin import bulk_action
from config.forms import add_service_errors
from evaluations import rules
from evaluations.admin._common import (
    KeepsEvidenceAdmin,
    PlatformAdmin,
    ProjectScopedAdmin,
    ReadOnlyInline,
    ServiceAdminMixin,
    ServiceForm,
)
from evaluations.models import (
    AccessWindow,
    AISystem,
    Domain,
    EvaluationProject,
    Finding,
    Participation,
    ProjectGuideline,
    ProjectSystem,
    Workstream,
)
from evaluations.services import findings as finding_services
from evaluations.services import projects as services
from institutes import access

# --- projects -------------------------------------------------------------------------------


class ParticipationInline(ReadOnlyInline):
    model = Participation
    fields = ["institute", "role", "joined_at"]


class ProjectSystemInline(ReadOnlyInline):
    model = ProjectSystem
    fields = ["system", "is_reference"]
    verbose_name = "AI system"


class AccessWindowInline(ReadOnlyInline):
    model = AccessWindow
    fields = ["system", "starts_at", "ends_at", "terms"]


class WorkstreamInline(ReadOnlyInline):
    model = Workstream
    fields = ["domain", "lead_institute", "member_names"]

    @admin.display(description="Members")
    def member_names(self, obj):
        return ", ".join(m.username for m in obj.members.all()) or "—"


class ProjectGuidelineInline(ReadOnlyInline):
    model = ProjectGuideline
    fields = ["version", "adopted_by", "adopted_at"]
    verbose_name = "adopted guideline version"


def _transition_action(status: EvaluationProject.Status):
    label = status.label.lower()

    @bulk_action(
        description=f"Mark selected projects {label}",
        done=f"project(s) marked {label}",
        name=f"mark_{status.value}",
    )
    def mark(request, project):
        services.project_transition(user=request.user, project=project, status=status)

    return mark


class ProjectAdminForm(ServiceForm):
    class Meta:
        model = EvaluationProject
        fields = ["title", "description", "embargo_until"]

    def service_call(self, instance, cleaned_data) -> None:
        services.project_update(
            user=self.user,
            project=instance,
            title=cleaned_data["title"],
            description=cleaned_data["description"],
            embargo_until=cleaned_data["embargo_until"],
        )


@admin.register(EvaluationProject)
class EvaluationProjectAdmin(KeepsEvidenceAdmin, ServiceAdminMixin, ProjectScopedAdmin):
    """A project with runs or findings is kept: withdraw or close it (the actions) instead."""

    form = ProjectAdminForm
    project_field = ""
    list_display = [
        "title",
        "slug",
        "status",
        "lead_institutes",
        "participant_count",
        "system_count",
        "embargo_until",
        "created_at",
    ]
    list_filter = [
        "status",
        "participations__institute",
        "workstreams__domain",
        ("embargo_until", admin.EmptyFieldListFilter),
    ]
    search_fields = ["title", "slug", "description", "systems__name"]
    date_hierarchy = "created_at"
    fields = ["title", "slug", "status", "description", "embargo_until", "created_by", "created_at"]
    readonly_fields = ["slug", "status", "created_by", "created_at"]
    inlines = [
        ParticipationInline,
        ProjectSystemInline,
        AccessWindowInline,
        WorkstreamInline,
        ProjectGuidelineInline,
    ]
    actions = [_transition_action(s) for s in EvaluationProject.Status if s != "proposed"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _participants=Count("participations", distinct=True),
                _systems=Count("project_systems", distinct=True),
            )
            .prefetch_related("participations__institute")
        )

    @admin.display(description="Lead")
    def lead_institutes(self, obj):
        return ", ".join(
            p.institute.code for p in obj.participations.all() if p.role == Participation.Role.LEAD
        )

    @admin.display(description="Institutes", ordering="_participants")
    def participant_count(self, obj):
        return obj._participants

    @admin.display(description="Systems", ordering="_systems")
    def system_count(self, obj):
        return obj._systems

    def is_kept(self, obj) -> bool:
        return obj.runs.exists() or obj.findings.exists()

    def view_on_site(self, obj):
        return reverse("projects:detail", kwargs={"slug": obj.slug})

    def add_view(self, request, form_url="", extra_context=None):
        # Opening a project names its lead institute and checks who may: the page's form does.
        return redirect("projects:create")


# --- AI systems and domains -----------------------------------------------------------------


class AISystemAdminForm(forms.ModelForm):
    base_url = forms.URLField(
        assume_scheme="https",
        required=False,
        help_text=AISystem._meta.get_field("base_url").help_text,
    )

    class Meta:
        model = AISystem
        fields = [
            "developer",
            "name",
            "version",
            "kind",
            "description",
            "inspect_model",
            "base_url",
            "api_key_env",
        ]

    def clean(self):
        cleaned = super().clean() or self.cleaned_data
        candidate = AISystem(**{f: cleaned.get(f) or "" for f in self.Meta.fields})
        try:
            rules.system_validate(candidate)
        except ValidationError as exc:
            add_service_errors(self, exc)
        return cleaned


@admin.register(AISystem)
class AISystemAdmin(PlatformAdmin):
    form = AISystemAdminForm
    list_display = [
        "__str__",
        "kind",
        "inspect_model",
        "api_key_env",
        "project_count",
        "updated_at",
    ]
    list_filter = ["kind", "developer"]
    search_fields = ["developer", "name", "version", "inspect_model"]

    def get_queryset(self, request):
        return access.visible_systems(request.user, super().get_queryset(request)).annotate(
            _projects=Count("project_systems", distinct=True)
        )

    @admin.display(description="Projects", ordering="_projects")
    def project_count(self, obj):
        return obj._projects

    def save_model(self, request, obj, form, change):
        fields = {f: form.cleaned_data[f] for f in AISystemAdminForm.Meta.fields}
        if change:
            services.system_update(user=request.user, system=obj, **fields)
        else:
            created = services.system_create(user=request.user, **fields)
            obj.pk, obj._state.adding = created.pk, False


@admin.register(Domain)
class DomainAdmin(PlatformAdmin):
    list_display = ["name", "slug", "order"]
    list_editable = ["order"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


# --- findings -------------------------------------------------------------------------------


def _finding_action(status: Finding.Status):
    label = status.label.lower()

    @bulk_action(
        description=f"Mark selected findings {label}",
        done=f"finding(s) marked {label}",
        name=f"mark_{status.value}",
    )
    def mark(request, finding):
        finding_services.finding_transition(user=request.user, finding=finding, status=status)

    return mark


class FindingAdminForm(ServiceForm):
    class Meta:
        model = Finding
        fields = ["workstream", "title", "severity", "body"]

    def service_call(self, instance, cleaned_data) -> None:
        finding_services.finding_update(
            user=self.user,
            finding=instance,
            title=cleaned_data["title"],
            severity=cleaned_data["severity"],
            body=cleaned_data["body"],
            workstream=cleaned_data["workstream"],
        )


@admin.register(Finding)
class FindingAdmin(KeepsEvidenceAdmin, ServiceAdminMixin, ProjectScopedAdmin):
    form = FindingAdminForm
    results = True
    write_needs = "act"
    list_display = ["title", "project", "domain", "severity", "status", "created_by", "created_at"]
    list_filter = ["status", "severity", "workstream__domain", "project"]
    search_fields = ["title", "body", "project__title", "project__slug"]
    list_select_related = ["project", "workstream__domain", "created_by"]
    fields = ["project", "workstream", "title", "severity", "status", "body", "created_by"]
    readonly_fields = ["project", "status", "created_by"]
    actions = [_finding_action(s) for s in Finding.Status]

    @admin.display(description="Domain", ordering="workstream__domain__name")
    def domain(self, obj):
        return obj.workstream.domain.name if obj.workstream else "—"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "workstream":
            finding_id = request.resolver_match.kwargs.get("object_id")
            project_ids = Finding.objects.filter(pk=finding_id).values("project_id")
            kwargs["queryset"] = Workstream.objects.filter(project_id__in=project_ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request):
        return False  # findings are recorded on the project page, by its evaluators and leads

    def is_kept(self, obj) -> bool:
        return obj.status == Finding.Status.PUBLISHED

    def view_on_site(self, obj):
        return reverse("projects:detail", kwargs={"slug": obj.project.slug}) + "#findings"
