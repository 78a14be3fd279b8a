"""Hooks that keep the audit trail complete: security events from Django's auth signals and
django-axes' lockouts, and the worker's identity in Celery tasks. The database triggers (audit,
sessions) are installed by a migration, not here."""

from __future__ import annotations

from axes.signals import user_locked_out
from celery.signals import task_postrun, task_prerun
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from institutes import audit, sessions


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    audit.record("login", request=request, user=user, table="institutes_user", object_id=user.pk)
    if request is not None and hasattr(request, "session"):
        sessions.start(request.session)  # the idle and absolute limits count from here


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record(
            "logout", request=request, user=user, table="institutes_user", object_id=user.pk
        )


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    audit.record(
        "login_failed", request=request, username=str(credentials.get("username", ""))[:150]
    )


@receiver(user_locked_out)
def on_lockout(sender, request=None, username=None, ip_address=None, **kwargs):
    audit.record(
        "lockout",
        request=request,
        username=str(username or "")[:150],
        locked_ip=ip_address or "",
    )


@receiver(task_prerun)
def on_task_start(sender=None, task_id=None, task=None, **kwargs):
    audit.set_context(
        actor_kind="worker", request_id=task_id or "", source=getattr(task, "name", "")[:200]
    )


@receiver(task_postrun)
def on_task_end(sender=None, **kwargs):
    audit.clear_context()
