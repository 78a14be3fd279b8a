"""Page routes of the evaluations app, one namespace per area: `dashboard:`, `projects:` (a project,
its setup, findings and results), `guidelines:`, `jobs:`, `runs:` (runs, samples, comparisons,
imports), `external_runs:` (evaluations reported by institutes' own machines), `pools:` (institutes'
worker pools), `reviews:` (review queues, judge agreement, corrected results), `developers:` (the developer's
side: evaluations/developer_urls.py). Included from config.urls; the paths are the public ones (shared/DESIGN.md
section 4)."""

from django.urls import include, path

from evaluations.developer_urls import developer_patterns
from evaluations.views import (
    agreement,
    compare,
    external_runs,
    findings,
    guidelines,
    home,
    imports,
    jobs,
    pools,
    project_results,
    project_setup,
    projects,
    queues,
    reports,
    runs,
    samples,
)

P = "projects/<slug:slug>/"
G = "guidelines/<slug:code>/"
R = "runs/<int:run_id>/"

dashboard_patterns = [
    path("", home.home, name="home"),
    path("dashboard/jobs/", home.dashboard_jobs, name="jobs"),
]

project_patterns = [
    path("projects/", projects.project_list, name="list"),
    path("projects/new/", projects.project_create, name="create"),
    path(P, projects.project_detail, name="detail"),
    path(P + "edit/", projects.project_edit, name="edit"),
    path(P + "status/", projects.project_transition, name="transition"),
    path(P + "participants/add/", project_setup.participation_add, name="participation_add"),
    path(
        P + "participants/<int:institute_id>/remove/",
        project_setup.participation_remove,
        name="participation_remove",
    ),
    path(P + "systems/add/", project_setup.project_system_add, name="system_add"),
    path(P + "systems/new/", project_setup.project_system_create, name="system_create"),
    path(
        P + "systems/<int:system_id>/remove/",
        project_setup.project_system_remove,
        name="system_remove",
    ),
    path(P + "windows/add/", project_setup.access_window_add, name="window_add"),
    path(P + "windows/<int:pk>/delete/", project_setup.access_window_delete, name="window_delete"),
    path(P + "workstreams/add/", project_setup.workstream_add, name="workstream_add"),
    path(P + "workstreams/<int:pk>/edit/", project_setup.workstream_edit, name="workstream_edit"),
    path(
        P + "workstreams/<int:pk>/delete/",
        project_setup.workstream_delete,
        name="workstream_delete",
    ),
    path(
        P + "participants/<int:institute_id>/workers/",
        pools.participation_pool,
        name="participation_pool",
    ),
    path(P + "findings/add/", findings.finding_add, name="finding_add"),
    path(P + "findings/<int:pk>/", findings.finding_detail, name="finding"),
    path(P + "findings/<int:pk>/comments/", findings.finding_comment, name="finding_comment"),
    path(P + "findings/<int:pk>/edit/", findings.finding_edit, name="finding_edit"),
    path(P + "findings/<int:pk>/status/", findings.finding_transition, name="finding_transition"),
    path(P + "guidelines/adopt/", projects.guideline_adopt, name="guideline_adopt"),
    # the project's results
    path(P + "results/", project_results.project_results, name="results"),
    path(
        P + "results.csv",
        project_results.project_results_export,
        {"fmt": "csv"},
        name="results_csv",
    ),
    path(
        P + "results.json",
        project_results.project_results_export,
        {"fmt": "json"},
        name="results_json",
    ),
    path(P + "runs/", project_results.project_runs, name="runs"),
    path(P + "replications/", project_results.project_replications, name="replications"),
]

guideline_patterns = [
    path("guidelines/", guidelines.guideline_list, name="list"),
    path("guidelines/new/", guidelines.guideline_create, name="create"),
    path(G, guidelines.guideline_detail, name="detail"),
    path(G + "diff/", guidelines.guideline_diff, name="diff"),
    path(G + "versions/new/", guidelines.guideline_version_create, name="version_create"),
    path(G + "versions/<int:number>/edit/", guidelines.guideline_version_edit, name="version_edit"),
    path(
        G + "versions/<int:number>/submit/",
        guidelines.guideline_version_submit,
        name="version_submit",
    ),
    path(
        G + "versions/<int:number>/approve/",
        guidelines.guideline_version_approve,
        name="version_approve",
    ),
]

job_patterns = [
    path("jobs/<int:job_id>/", jobs.job_detail, name="detail"),
    path("jobs/<int:job_id>/cancel/", jobs.job_cancel, name="cancel"),
    path("jobs/<int:job_id>/retry/", jobs.job_retry, name="retry"),
    path(P + "jobs/new/", jobs.job_queue, name="queue"),
]

external_run_patterns = [
    path(
        "external-runs/<int:external_run_id>/",
        external_runs.external_run_detail,
        name="detail",
    ),
]

run_patterns = [
    path("runs/compare/", compare.run_compare, name="compare"),
    path(R, runs.run_detail, name="detail"),
    path(R + "log/", runs.run_log, name="log"),
    path(R + "log/reviewed.eval", runs.run_reviewed_log, name="reviewed_log"),
    path(R + "pin/", runs.run_pin, name="pin"),
    path(R + "unpin/", runs.run_unpin, name="unpin"),
    path(R + "samples.csv", runs.run_samples_export, {"fmt": "csv"}, name="samples_csv"),
    path(R + "samples.json", runs.run_samples_export, {"fmt": "json"}, name="samples_json"),
    path(R + "samples/<int:sample_pk>/", samples.sample_detail, name="sample_detail"),
    path(R + "samples/<int:sample_pk>/review/", samples.sample_review, name="sample_review"),
    path(P + "runs/import/", imports.run_import, name="import"),
    path(P + "runs/import/register-task/", imports.register_task, name="import_register_task"),
]

# A project's joint reports (participants; the developer's contacts: frozen shared versions)
N = P + "reports/<int:number>/"
report_patterns = [
    path(P + "reports/", reports.report_list, name="list"),
    path(P + "reports/new/", reports.report_create, name="create"),
    path(N, reports.report_detail, name="detail"),
    path(N + "edit/", reports.report_edit, name="edit"),
    path(N + "submit/", reports.report_submit, name="submit"),
    path(N + "approve/", reports.report_approve, name="approve"),
    path(N + "share/", reports.report_share, name="share"),
    path(N + "new-version/", reports.report_new_version, name="new_version"),
    path(N + "report.pdf", reports.report_pdf, name="pdf"),
    path(N + "bundle.zip", reports.report_bundle, name="bundle"),
]

# An institute's worker pools (its leads and programme managers).
pool_patterns = [
    path("institutes/<slug:code>/pools/", pools.pool_list, name="list"),
    path("institutes/<slug:code>/pools/<int:pk>/revoke/", pools.pool_revoke, name="revoke"),
    path("institutes/<slug:code>/pools/<int:pk>/default/", pools.pool_default, name="default"),
]

# Review queues, the agreement of LLM judges with people, and results corrected by reviews.
review_patterns: list = [
    path(P + "reviews/", queues.queue_list, name="queues"),
    path(P + "reviews/new/", queues.queue_create, name="queue_create"),
    path(P + "reviews/<int:queue_id>/", queues.queue_detail, name="queue"),
    path(P + "reviews/<int:queue_id>/next/", queues.queue_next, name="next"),
    path(P + "reviews/<int:queue_id>/close/", queues.queue_close, name="queue_close"),
    path(P + "reviews/<int:queue_id>/reopen/", queues.queue_reopen, name="queue_reopen"),
    path(P + "reviews/<int:queue_id>/items/<int:item_id>/", queues.queue_item, name="item"),
    # how the queue's judges agree with its reviewers, and results corrected by reviews
    path(P + "reviews/<int:queue_id>/agreement/", agreement.queue_agreement, name="agreement"),
    path(
        P + "reviews/<int:queue_id>/agreement.csv",
        agreement.queue_agreement_export,
        {"fmt": "csv"},
        name="agreement_csv",
    ),
    path(
        P + "reviews/<int:queue_id>/agreement.json",
        agreement.queue_agreement_export,
        {"fmt": "json"},
        name="agreement_json",
    ),
    path(P + "results/corrected/", agreement.corrected_results, name="corrected"),
    path(
        P + "results/corrected.csv",
        agreement.corrected_results_export,
        {"fmt": "csv"},
        name="corrected_csv",
    ),
    path(
        P + "results/corrected.json",
        agreement.corrected_results_export,
        {"fmt": "json"},
        name="corrected_json",
    ),
]

urlpatterns = [
    path("", include((dashboard_patterns, "dashboard"))),
    path("", include((project_patterns, "projects"))),
    path("", include((guideline_patterns, "guidelines"))),
    path("", include((job_patterns, "jobs"))),
    path("", include((run_patterns, "runs"))),
    path("", include((external_run_patterns, "external_runs"))),
    path("", include((pool_patterns, "pools"))),
    path("", include((review_patterns, "reviews"))),
    path("", include((developer_patterns, "developers"))),
    path("", include((report_patterns, "reports"))),
]
