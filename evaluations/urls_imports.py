"""Route of the import page: upload a log computed elsewhere into a project (issue 5)."""

from django.urls import path

from evaluations.views.imports import run_import

app_name = "imports"

urlpatterns = [
    path("projects/<slug:slug>/runs/import/", run_import, name="run_import"),
]
