"""Routes of the results pages: jobs, runs, samples and their reviews, a project's results,
comparisons and replications, exports, and the dashboard's live fragment."""

from django.urls import path

from evaluations.views import dashboard, jobs, results

app_name = "results"

P = "projects/<slug:slug>/"
R = "runs/<int:run_id>/"

urlpatterns = [
    # jobs
    path("jobs/<int:job_id>/", jobs.job_detail, name="job_detail"),
    path("jobs/<int:job_id>/cancel/", jobs.job_cancel, name="job_cancel"),
    path("jobs/<int:job_id>/retry/", jobs.job_retry, name="job_retry"),
    path(P + "jobs/new/", jobs.job_queue, name="job_queue"),
    # runs and samples
    path("runs/compare/", results.run_compare, name="run_compare"),
    path(R, results.run_detail, name="run_detail"),
    path(R + "log/", results.run_log, name="run_log"),
    path(R + "samples.csv", results.run_samples_export, {"fmt": "csv"}, name="run_samples_csv"),
    path(R + "samples.json", results.run_samples_export, {"fmt": "json"}, name="run_samples_json"),
    path(R + "samples/<int:sample_pk>/", results.sample_detail, name="sample_detail"),
    path(R + "samples/<int:sample_pk>/review/", results.sample_review, name="sample_review"),
    # a project's results
    path(P + "results/", results.project_results, name="project_results"),
    path(P + "results.csv", results.project_results_export, {"fmt": "csv"}, name="results_csv"),
    path(P + "results.json", results.project_results_export, {"fmt": "json"}, name="results_json"),
    path(P + "runs/", results.project_runs, name="project_runs"),
    path(P + "replications/", results.project_replications, name="project_replications"),
    # the home dashboard's live panel
    path("dashboard/jobs/", dashboard.dashboard_jobs, name="dashboard_jobs"),
]
