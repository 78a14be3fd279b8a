"""Each event is emitted by the service where it happens, to the right webhooks: those of the
institutes taking part in the event's project (for guidelines: the required institutes and the
participants of projects that adopted a version), subscribed to the event, active. Institute C
takes part in nothing here: its webhook gets nothing. Bodies hold ids, statuses and links only."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from evaluations.models import EvaluationJob, Participation
from evaluations.services import findings, guidelines
from evaluations.services.jobs import jobs_reap
from tests.evaluations.factories import (
    AccessWindowFactory,
    JobFactory,
    ParticipationFactory,
    ProjectFactory,
    TaskFactory,
    joint_world,
)
from tests.factories import InstituteFactory, member
from tests.webhooks.conftest import ALL_EVENTS, register
from webhooks.models import AccessWindowNotice, Delivery
from webhooks.services import events
from webhooks.tasks import notify_closing_windows

pytestmark = pytest.mark.django_db
URL = "http://127.0.0.1:9/hook"  # never reached: these tests look at the rows


@pytest.fixture
def jw(alice, pm, institute_a, institute_b, institute_c, charlie):
    world = joint_world(alice=alice, pm=pm, institute_a=institute_a, institute_b=institute_b)
    world.hooks = {
        "A": register(alice, institute_a, URL)[0],
        "B": register(world.carol, institute_b, URL)[0],
        "C": register(charlie, institute_c, URL)[0],
    }
    return world


def received(jw, event: str) -> dict[str, dict]:
    """{institute code letter: body} of the deliveries of `event`."""
    by_hook = {hook.pk: name for name, hook in jw.hooks.items()}
    return {
        by_hook[d.webhook_id]: json.loads(d.body)
        for d in Delivery.objects.filter(event=event, webhook_id__in=by_hook)
    }


def test_finding_changes_reach_the_participants_without_their_text(
    jw, alice, django_capture_on_commit_callbacks
):
    Delivery.objects.all().delete()
    with django_capture_on_commit_callbacks() as callbacks:
        finding = findings.finding_create(
            user=alice, project=jw.project, title="Secret title", body="Secret body"
        )
    assert len(callbacks) == 1  # sent on commit
    got = received(jw, "finding.changed")
    assert set(got) == {"A", "B"}
    data = got["A"]["data"]
    assert data["finding"] == {
        "id": finding.pk,
        "status": "draft",
        "change": "created",
        "url": data["finding"]["url"],
        "api_url": data["finding"]["api_url"],
    }
    assert "Secret" not in json.dumps(got)
    assert got["B"]["institute"] == "inst-b"

    Delivery.objects.all().delete()
    findings.finding_update(user=alice, finding=finding, severity="high")
    assert received(jw, "finding.changed") == {}  # neither status nor text changed
    findings.finding_update(user=alice, finding=finding, body="New body")
    assert {b["data"]["finding"]["change"] for b in received(jw, "finding.changed").values()} == {
        "text"
    }
    Delivery.objects.all().delete()
    findings.finding_transition(user=alice, finding=finding, status="agreed")
    got = received(jw, "finding.changed")
    assert set(got) == {"A", "B"}
    assert got["A"]["data"]["finding"]["status"] == "agreed"
    assert got["A"]["data"]["finding"]["change"] == "status"


def test_guideline_approval_reaches_signers_and_adopters(jw, alice, pm, institute_a, charlie):
    # Institute D takes part in another project that adopted v1: it hears of v2's approval.
    institute_d = InstituteFactory(code="inst-d")
    dora = member("dora", institute_d, "lead")
    other = ProjectFactory(slug="other")
    ParticipationFactory(project=other, institute=institute_d, role=Participation.Role.LEAD)
    guidelines.project_adopt_guideline(user=pm, project=other, version=jw.v1)
    jw.hooks["D"] = register(dora, institute_d, URL)[0]
    Delivery.objects.all().delete()

    version = guidelines.guideline_version_approve(user=alice, version=jw.v2, institute=institute_a)
    assert version.status == "approved"
    got = received(jw, "guideline.approved")
    assert set(got) == {"A", "B", "D"}
    data = got["D"]["data"]
    assert data["guideline"]["code"] == "bio-protocol"
    assert data["version"] == {
        "id": jw.v2.pk,
        "number": jw.v2.number,
        "status": "approved",
        "api_url": data["version"]["api_url"],
    }
    assert data["version"]["api_url"].endswith(
        f"/api/v1/guidelines/bio-protocol/versions/{jw.v2.number}/"
    )


def test_a_signature_that_does_not_approve_sends_nothing(jw, alice, institute_a):
    Delivery.objects.all().delete()
    draft = guidelines.guideline_version_submit(user=alice, version=jw.draft)
    guidelines.guideline_version_approve(user=alice, version=draft, institute=institute_a)
    assert received(jw, "guideline.approved") == {}


def test_job_finished_reaches_subscribed_active_webhooks_of_participants(
    jw, alice, institute_a, institute_b
):
    unsubscribed = register(alice, institute_a, URL, ["run.imported"])[0]
    disabled = register(alice, institute_a, URL)[0]
    disabled.active = False
    disabled.save()
    job = JobFactory(
        project=jw.project,
        task=TaskFactory(),
        system=jw.target,
        institute=institute_b,
        status=EvaluationJob.Status.RUNNING,
        attempts=3,
        max_attempts=3,
        started_at=timezone.now() - timedelta(hours=1),
        heartbeat_at=timezone.now() - timedelta(hours=1),
    )
    Delivery.objects.all().delete()
    assert jobs_reap()["failed"] == 1  # the reaper fails a job whose worker is lost
    got = received(jw, "job.finished")
    assert set(got) == {"A", "B"}
    assert got["A"]["data"]["job"]["status"] == "failed"
    assert got["A"]["data"]["institute"] == "inst-b"
    assert not Delivery.objects.filter(webhook__in=[unsubscribed, disabled]).exists()
    assert job.pk == got["B"]["data"]["job"]["id"]


def test_access_window_closing_is_emitted_once_per_window(jw, settings):
    settings.CONCORD_WEBHOOK_WINDOW_NOTICE = timedelta(hours=48)
    far = jw.window  # ends in 19 days
    soon = AccessWindowFactory(
        project=jw.project, system=jw.reference, ends_at=timezone.now() + timedelta(hours=30)
    )
    Delivery.objects.all().delete()
    assert notify_closing_windows() == 1
    assert notify_closing_windows() == 0  # the next beat: already announced
    got = received(jw, "access_window.closing")
    assert set(got) == {"A", "B"}
    assert got["A"]["data"]["access_window"]["id"] == soon.pk
    assert Delivery.objects.filter(event="access_window.closing").count() == 2
    # Moved later, then closing again: announced for its new end.
    soon.ends_at = timezone.now() + timedelta(hours=40)
    soon.save()
    assert notify_closing_windows() == 1
    assert AccessWindowNotice.objects.filter(window=soon).count() == 2
    assert not AccessWindowNotice.objects.filter(window=far).exists()


def test_ping_goes_to_that_webhook_only(jw):
    delivery = events.ping(webhook=jw.hooks["C"])
    assert Delivery.objects.filter(event="ping").count() == 1
    body = json.loads(delivery.body)
    assert body["event"] == "ping"
    assert body["data"]["webhook"]["id"] == jw.hooks["C"].pk
    assert set(ALL_EVENTS) >= set(jw.hooks["C"].events)
