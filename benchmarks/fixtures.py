"""The small world every benchmark needs in its database (idempotent): institutes, a user with a
session and an API token, the benchmark task and the mockllm system. Call after `setup_django`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from benchmarks.logs import INSPECT_REF, MODEL

USERNAME = "bench-lead"
INSTITUTE = "bench-aisi"
OTHER_INSTITUTE = "bench-partner"


@dataclass
class World:
    user: object
    institute: object
    other: object
    task: object
    system: object


def world():
    from evaluations.models import AISystem, Domain, EvaluationTask
    from institutes.models import Institute, Membership, User

    institute, _ = Institute.objects.get_or_create(
        code=INSTITUTE, defaults={"name": "Benchmark Institute", "country": "GB"}
    )
    other, _ = Institute.objects.get_or_create(
        code=OTHER_INSTITUTE, defaults={"name": "Benchmark Partner Institute", "country": "US"}
    )
    user, created = User.objects.get_or_create(username=USERNAME, defaults={"email": "b@x.test"})
    if created:
        user.set_unusable_password()
        user.save()
    Membership.objects.get_or_create(user=user, institute=institute, defaults={"role": "lead"})
    domain = Domain.objects.filter(slug="other").first()
    task, _ = EvaluationTask.objects.get_or_create(
        slug="concord-bench-qa",
        defaults={
            "name": "Benchmark QA (generated)",
            "inspect_ref": INSPECT_REF,
            "domain": domain,
            "default_params": {},
        },
    )
    system, _ = AISystem.objects.get_or_create(
        developer="Inspect", name="mockllm", version="bench", defaults={"inspect_model": MODEL}
    )
    return World(user=user, institute=institute, other=other, task=task, system=system)


def project(w: World, slug: str, *, reference_window: bool = True):
    """A project of the benchmark institute (lead) and its partner, with the mockllm system."""
    from django.utils import timezone

    from evaluations.models import AccessWindow, EvaluationProject, Participation, ProjectSystem

    p, _ = EvaluationProject.objects.get_or_create(
        slug=slug, defaults={"title": f"Benchmark {slug}", "status": "active"}
    )
    Participation.objects.get_or_create(project=p, institute=w.institute, defaults={"role": "lead"})
    Participation.objects.get_or_create(project=p, institute=w.other, defaults={"role": "partner"})
    ProjectSystem.objects.get_or_create(project=p, system=w.system)
    if reference_window and not AccessWindow.objects.filter(project=p, system=w.system).exists():
        now = timezone.now()
        AccessWindow.objects.create(
            project=p,
            system=w.system,
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=3650),
        )
    return p


def api_token(w: World) -> str:
    """A fresh bearer token (tokens are stored hashed: a new one per benchmark run)."""
    from institutes.services import token_create

    _, raw = token_create(user=w.user, name="benchmark", expires_in_days=7)
    return raw


def session_cookie(w: World) -> str:
    """A signed-in session for the benchmark user, made as Django's test client makes one."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(w.user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
