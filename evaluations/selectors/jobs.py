"""Evaluation tasks and jobs, scoped to the user: jobs are visible to whoever sees their project."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from evaluations.models import EvaluationJob, EvaluationTask
from institutes import access
from institutes.models import AuditEvent


def tasks_for(user) -> QuerySet[EvaluationTask]:
    """The tasks a user sees: the global ones and the own tasks of the projects they see
    (`access.visible_projects`); programme managers see every task, retired ones too."""
    if user is None or not user.is_authenticated:
        return EvaluationTask.objects.none()
    qs = EvaluationTask.objects.select_related("domain", "project")
    if access.is_programme_manager(user):
        return qs
    return qs.filter(
        Q(project__isnull=True) | Q(project__in=access.visible_projects(user)), is_active=True
    )


def visible_tasks(user, queryset: QuerySet[EvaluationTask]) -> QuerySet[EvaluationTask]:
    """`queryset` narrowed to the tasks `tasks_for(user)` holds (the scope of API fields that
    name a task: another project's task reads as "does not exist")."""
    return queryset.filter(pk__in=tasks_for(user).values("pk"))


def tasks_for_project(project, *, runnable: bool | None = None) -> QuerySet[EvaluationTask]:
    """The active tasks that work in `project` can use: the global ones and the project's own
    (`runnable=True`: only those Concord can run here, for the job form)."""
    qs = EvaluationTask.objects.select_related("domain", "project").filter(
        Q(project__isnull=True) | Q(project=project), is_active=True
    )
    if runnable is not None:
        qs = qs.filter(runnable=runnable)
    return qs


def jobs_for(user) -> QuerySet[EvaluationJob]:
    return (
        EvaluationJob.objects.filter(project__in=access.visible_projects(user))
        .select_related("project", "task", "system", "institute", "requested_by", "run", "pool")
        .order_by("-created_at", "-pk")
    )


def job_for(user, pk) -> EvaluationJob:
    try:
        return jobs_for(user).get(pk=pk)
    except (EvaluationJob.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such job.") from exc


def job_cancellation(job: EvaluationJob) -> AuditEvent | None:
    """Who asked to cancel the job, and when: the audit trail's record of the write that set
    `cancel_requested` (its `actor` is None when the system or a worker did). None for a job
    nobody cancelled."""
    if not job.cancel_requested:
        return None
    return (
        AuditEvent.objects.filter(
            table=EvaluationJob._meta.db_table,
            object_id=str(job.pk),
            action="update",
            changes__has_key="cancel_requested",
        )
        .select_related("actor")
        .order_by("at", "pk")
        .first()
    )
