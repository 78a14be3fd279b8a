"""Page routes of the evaluations app. One block per area; append new areas at the end."""

from django.urls import path

from evaluations.views import guidelines, home, projects

app_name = "evaluations"

urlpatterns = [
    path("", home, name="home"),
]

# --- projects -----------------------------------------------------------------------------
P = "projects/<slug:slug>/"
urlpatterns += [
    path("projects/", projects.project_list, name="project_list"),
    path("projects/new/", projects.project_create, name="project_create"),
    path(P, projects.project_detail, name="project_detail"),
    path(P + "edit/", projects.project_edit, name="project_edit"),
    path(P + "status/", projects.project_transition, name="project_transition"),
    path(P + "participants/add/", projects.participation_add, name="participation_add"),
    path(
        P + "participants/<int:institute_id>/remove/",
        projects.participation_remove,
        name="participation_remove",
    ),
    path(P + "systems/add/", projects.project_system_add, name="project_system_add"),
    path(P + "systems/new/", projects.project_system_create, name="project_system_create"),
    path(
        P + "systems/<int:system_id>/remove/",
        projects.project_system_remove,
        name="project_system_remove",
    ),
    path(P + "windows/add/", projects.access_window_add, name="access_window_add"),
    path(
        P + "windows/<int:pk>/delete/", projects.access_window_delete, name="access_window_delete"
    ),
    path(P + "workstreams/add/", projects.workstream_add, name="workstream_add"),
    path(P + "workstreams/<int:pk>/edit/", projects.workstream_edit, name="workstream_edit"),
    path(P + "workstreams/<int:pk>/delete/", projects.workstream_delete, name="workstream_delete"),
    path(P + "findings/add/", projects.finding_add, name="finding_add"),
    path(P + "findings/<int:pk>/edit/", projects.finding_edit, name="finding_edit"),
    path(P + "findings/<int:pk>/status/", projects.finding_transition, name="finding_transition"),
    path(P + "guidelines/adopt/", projects.guideline_adopt, name="guideline_adopt"),
]

# --- guidelines ---------------------------------------------------------------------------
G = "guidelines/<slug:code>/"
urlpatterns += [
    path("guidelines/", guidelines.guideline_list, name="guideline_list"),
    path("guidelines/new/", guidelines.guideline_create, name="guideline_create"),
    path(G, guidelines.guideline_detail, name="guideline_detail"),
    path(G + "diff/", guidelines.guideline_diff, name="guideline_diff"),
    path(G + "versions/new/", guidelines.guideline_version_create, name="guideline_version_create"),
    path(
        G + "versions/<int:number>/edit/",
        guidelines.guideline_version_edit,
        name="guideline_version_edit",
    ),
    path(
        G + "versions/<int:number>/submit/",
        guidelines.guideline_version_submit,
        name="guideline_version_submit",
    ),
    path(
        G + "versions/<int:number>/approve/",
        guidelines.guideline_version_approve,
        name="guideline_version_approve",
    ),
]
