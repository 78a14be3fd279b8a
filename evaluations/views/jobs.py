"""Job pages: a job's status with a live progress bar, cancel and retry, and the form that queues
a job in a project.

Jobs are reached through `selectors.jobs.job_for` (a user outside the project gets a 404); cancel,
retry and queue call the job services, which decide who may (PermissionDenied: 403) and what is
allowed (ValidationError: a message or a form error). The progress bar polls the `status` partial
every two seconds while the job is not final; the final fragment carries no trigger, so polling
stops by itself.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from config.forms import add_service_errors
from config.views import button_action, is_htmx, post_only, render_page
from evaluations.forms import jobs as job_forms
from evaluations.selectors.jobs import job_cancellation, job_for
from evaluations.services import jobs as job_services
from evaluations.views._helpers import project_view
from institutes import access

TEMPLATE = "evaluations/jobs/detail.html"


def _job(user, job_id):
    return job_for(user, job_id)


def _job_context(user, job) -> dict:
    may_control = access.can_control_job(user, job)
    return {
        "job": job,
        "can_cancel": may_control and not job.is_final,
        "can_retry": may_control
        and job.status in (job.Status.FAILED, job.Status.CANCELLED)
        and access.can_act_for(user, job.project_id, job.institute_id),
        "can_see_run": job.run_id is not None and access.can_see_results(user, job.project),
    }


@login_required
def job_detail(request, job_id: int):
    job = job_for(request.user, job_id)
    context = _job_context(request.user, job)
    if is_htmx(request):
        # The page's messages ("Job 12 is queued.") speak of the status it was loaded with:
        # once the job has moved on, the polled fragment clears them (an out-of-band swap).
        shown = request.GET.get("shown")
        context["status_changed"] = bool(shown) and shown != job.status
    else:  # the polled fragment needs only the status
        context["retries"] = list(job.retries.order_by("-created_at")[:10])
        context["deviations"] = list(job.deviations.all())
        context["cancellation"] = job_cancellation(job)
    return render_page(request, TEMPLATE, context, fragment="status")


@login_required
@post_only(_job)
def job_cancel(request, job_id: int):
    job = job_for(request.user, job_id)
    button_action(
        request,
        job_services.job_cancel,
        job=job,
        user=request.user,
        success="Cancellation requested: a queued job stops at once, a running one within seconds.",
    )
    return redirect("jobs:detail", job_id=job.pk)


@login_required
@post_only(_job)
def job_retry(request, job_id: int):
    job = job_for(request.user, job_id)
    retry = button_action(
        request,
        job_services.job_retry,
        job=job,
        user=request.user,
        success="A new job is queued with the same task, system and parameters.",
    )
    return redirect("jobs:detail", job_id=(retry or job).pk)


@project_view("act")
def job_queue(request, project):
    form = job_forms.JobQueueForm(request.POST or None, user=request.user, project=project)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = job_services.job_queue(
                project=project,
                task=data["task"],
                system=data["system"],
                institute=data["institute"],
                requested_by=request.user,
                params=form.params(),
                guideline_version=data["guideline_version"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Job {job.pk} is queued.")
            return redirect("jobs:detail", job_id=job.pk)
    return render(request, "evaluations/jobs/form.html", {"form": form, "project": project})
