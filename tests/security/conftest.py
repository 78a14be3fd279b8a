"""Fixtures of the security tests.

They build on the permission matrices' world (the `world` fixture of tests/conftest.py:
project `frontier` and `results-perm` led by institute A with B as partner; alice lead, bob
evaluator, vera viewer at A; charlie at C; pm a programme manager) and add what the matrix does
not have: a user with no grant at all (`nobody`, no membership, not staff), an exchange, a
calendar feed, and API tokens.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from evaluations.models import (
    Domain,
    EvaluationJob,
    ExternalRun,
    Finding,
    Guideline,
    Participation,
    Workstream,
)
from evaluations.services.pools import pool_create
from institutes.models import Membership, Role
from tests.evaluations.factories import (
    AISystemFactory,
    ParticipationFactory,
    ProjectFactory,
    ProjectSystemFactory,
    add_samples,
)
from tests.evaluations.results_world import make_run
from tests.exchanges.factories import ExchangeFactory
from tests.factories import InstituteFactory, UserFactory, member

FEED_TOKEN = "security-feed-token-0123456789"


ROOT = Path(__file__).resolve().parents[2]
# Variables of the test run that must not leak into a probe of production settings.
TEST_ONLY_VARIABLES = {
    "DEBUG",
    "SECRET_KEY",
    "SECURE_SSL_REDIRECT",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "CONCORD_REQUIRE_OTP",
    "CONCORD_TRUSTED_PROXY_COUNT",
}


def production_env(**extra: str) -> dict[str, str]:
    """The environment of a production process: DEBUG off, no .env, the test database."""
    env = {k: v for k, v in os.environ.items() if k not in TEST_ONLY_VARIABLES}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "0",
            "SECRET_KEY": "k3y-" + "z9" * 30,
            "ALLOWED_HOSTS": "concord.example.org",
            "DATABASE_URL": os.environ.get(
                "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/concord"
            ),
            "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        }
    )
    env.update(extra)
    return env


def settings_probe(expressions: dict[str, str], **env: str) -> dict:
    """Evaluate `settings.<expression>` in a fresh process with production settings (run from
    a folder without a .env)."""
    code = (
        f"import sys, json, django; sys.path.insert(0, {str(ROOT)!r}); django.setup(); "
        "from django.conf import settings; "
        f"print(json.dumps({{k: eval(v) for k, v in {expressions!r}.items()}}, default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=production_env(**env),
        capture_output=True,
        text=True,
        cwd="/",
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def nobody(db):
    """Signed in, but with no membership, no exchange and no platform role: no grant at all."""
    return UserFactory(username="nobody")


@pytest.fixture
def security_world(world, nobody, institute_b):
    """The matrix world plus an exchange (bob from A to B), its checklist, a calendar feed of A
    and an auth group, so that every route with an object in its address has one to name."""
    from exchanges.models import ChecklistItem
    from tests.exchanges.factories import CalendarFeedFactory, ExchangeFactory

    exchange = ExchangeFactory(
        person=world.users["evaluator"],
        home_institute=world.institute_a,
        host_institute=institute_b,
        proposed_by=world.users["lead"],
        checklist=True,
    )
    world.extra.update(
        {
            "exchange": exchange,
            "checklist_item": ChecklistItem.objects.filter(exchange=exchange).first(),
            "feed": CalendarFeedFactory(institute=world.institute_a, token=FEED_TOKEN),
            "feed_token": FEED_TOKEN,
            "group": Group.objects.create(name="Auditors"),
            "nobody": nobody,
        }
    )
    return world


FOREIGN = "FOREIGN"


@pytest.fixture
def two_worlds(security_world):
    """Beside A's projects, project `foreign`: led by C (charlie) with D as partner, with a
    system, a run and its samples, a failed job, a finding, a workstream, a guideline of C and an
    exchange from D to C, each with FOREIGN in its text. dan: an evaluator at B (a partner of A's
    projects)."""
    w = security_world
    institute_d = InstituteFactory(code="inst-d", name="Institute D", country="FR")
    dmitri = member("dmitri", institute_d, Role.EVALUATOR)
    dan = UserFactory(username="dan")
    Membership.objects.get_or_create(
        user=dan, institute=w.institute_b, defaults={"role": Role.EVALUATOR}
    )
    project = ProjectFactory(
        slug="foreign", title=f"{FOREIGN} joint study", description=f"{FOREIGN} description"
    )
    ParticipationFactory(project=project, institute=w.institute_c, role=Participation.Role.LEAD)
    ParticipationFactory(project=project, institute=institute_d)
    system = AISystemFactory(developer=f"{FOREIGN} Lab", name=f"{FOREIGN}-Zeta")
    ProjectSystemFactory(project=project, system=system)
    run = make_run(project, w.rw.qa, system, w.institute_c, [1, 0], inspect_task=f"{FOREIGN}-task")
    add_samples(run, {f"{FOREIGN}-sample": 1.0}, input=f"{FOREIGN} input")
    job = EvaluationJob.objects.create(
        project=project,
        task=w.rw.qa,
        system=system,
        institute=w.institute_c,
        status=EvaluationJob.Status.FAILED,
        error=f"{FOREIGN} error",
    )
    finding = Finding.objects.create(
        project=project, title=f"{FOREIGN} finding", body=f"{FOREIGN} body"
    )
    external_run = ExternalRun.objects.create(
        project=project,
        institute=w.institute_c,
        eval_id="foreign-external-eval",
        task_name=f"{FOREIGN}-external-task",
        model="mockllm/model",
        host=f"{FOREIGN}-host",
    )
    # C's own machines (a pool of C's, made by its lead charlie).
    pool, _ = pool_create(institute=w.institute_c, name=f"{FOREIGN}-pool", by=w.users["outsider"])
    Workstream.objects.create(
        project=project,
        domain=Domain.objects.get(slug="cyber"),
        lead_institute=w.institute_c,
        description=f"{FOREIGN} workstream",
    )
    guideline = Guideline.objects.create(
        code="foreign-protocol", title=f"{FOREIGN} protocol", owner_institute=w.institute_c
    )
    guideline.required_institutes.add(w.institute_c)
    exchange = ExchangeFactory(
        person=dmitri,
        home_institute=institute_d,
        host_institute=w.institute_c,
        role_title=f"{FOREIGN} secondment",
        objectives=f"{FOREIGN} objectives",
        proposed_by=w.users["outsider"],
    )
    # A review queue of C's run, planned by its lead charlie.
    from evaluations.models import ReviewLabel
    from evaluations.services.queues import queue_create
    from institutes import access

    access.forget(w.users["outsider"])  # charlie's roles, worked out before this project
    queue = queue_create(
        project=project,
        by=w.users["outsider"],
        name=f"{FOREIGN} queue",
        runs=[run],
        labels=list(ReviewLabel.objects.filter(slug="refusal")),
    )
    w.extra.update(
        {
            "dan": dan,
            "foreign": {
                "project": project,
                "system": system,
                "run": run,
                "job": job,
                "finding": finding,
                "guideline": guideline,
                "exchange": exchange,
                "external_run": external_run,
                "pool": pool,
                "queue": queue,
            },
        }
    )
    return w
