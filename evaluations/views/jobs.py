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
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render

from evaluations.forms import jobs as job_forms
from evaluations.selectors.jobs import job_for
from evaluations.services import jobs as job_services
from evaluations.views._helpers import FAILED, is_htmx, project_view, run_action, run_service
from institutes import access

TEMPLATE = "evaluations/results/job_detail.html"


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
        return render(request, TEMPLATE + "#status", context)
    context["retries"] = list(job.retries.order_by("-created_at")[:10])
    context["deviations"] = list(job.deviations.all())
    return render(request, TEMPLATE, context)


@login_required
def job_cancel(request, job_id: int):
    job = job_for(request.user, job_id)  # 404 first: an outsider learns nothing from a 405
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    run_action(
        request,
        lambda: job_services.job_cancel(job=job, user=request.user),
        "Cancellation requested: a queued job stops at once, a running one within seconds.",
    )
    return redirect("results:job_detail", job_id=job.pk)


@login_required
def job_retry(request, job_id: int):
    job = job_for(request.user, job_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    created = []
    ok = run_action(
        request,
        lambda: created.append(job_services.job_retry(job=job, user=request.user)),
        "A new job is queued with the same task, system and parameters.",
    )
    if ok:
        return redirect("results:job_detail", job_id=created[0].pk)
    return redirect("results:job_detail", job_id=job.pk)


@project_view("act")
def job_queue(request, project):
    form = job_forms.JobQueueForm(request.POST or None, user=request.user, project=project)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        job = run_service(
            form,
            lambda: job_services.job_queue(
                project=project,
                task=data["task"],
                system=data["system"],
                institute=data["institute"],
                requested_by=request.user,
                params=form.params(),
                guideline_version=data["guideline_version"],
            ),
        )
        if job is not FAILED:
            messages.success(request, f"Job {job.pk} is queued.")
            return redirect("results:job_detail", job_id=job.pk)
    return render(request, "evaluations/results/job_form.html", {"form": form, "project": project})
