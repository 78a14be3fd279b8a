"""Delivering: a real receiver on loopback gets the signed event, verifies it with the secret
shown at creation; failures are retried on the schedule, for 24 h, then failed; a webhook whose
deliveries keep failing is marked failing; the reconciler re-sends what is due."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest
from django.utils import timezone

from evaluations.models import EvaluationJob
from evaluations.runner.supervisor import Outcome, record_outcome
from evaluations.services.jobs import job_cancel
from tests.evaluations.factories import JobFactory
from tests.evaluations.runner.logs import run_qa
from tests.webhooks.conftest import register
from webhooks import signing
from webhooks.models import Delivery, Webhook
from webhooks.services import delivery as delivery_service
from webhooks.services.delivery import delivery_attempt, retry_delay

pytestmark = pytest.mark.django_db


@pytest.fixture
def running_job(project, target_system, institute_a, qa_task, bob):
    return JobFactory(
        project=project,
        task=qa_task,
        system=target_system,
        institute=institute_a,
        requested_by=bob,
        status=EvaluationJob.Status.RUNNING,
        attempts=1,
        params={"limit": 2},
    )


def _send_all(captured) -> None:
    """Run the deliveries the commit would have sent, in this thread."""
    for delivery in Delivery.objects.filter(status="pending").order_by("pk"):
        delivery_attempt(delivery_id=delivery.pk)


def _verified(secret: str, request) -> bool:
    return signing.verify(
        secret,
        body=request.body,
        timestamp=request.headers["X-Concord-Timestamp"],
        signature=request.headers["X-Concord-Signature"],
    )


def test_a_job_that_finishes_is_delivered_signed_to_the_receiver(
    running_job, alice, institute_a, receiver, tmp_path, django_capture_on_commit_callbacks
):
    webhook, secret = register(alice, institute_a, receiver.url, ["job.finished"])
    with django_capture_on_commit_callbacks() as callbacks:
        record_outcome(running_job, Outcome(stop="cancel", done=1, total=2), tmp_path)
    assert len(callbacks) == 1  # the message goes out only once the job's final state commits
    _send_all(callbacks)

    [request] = receiver.requests
    assert request.path == "/hook"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "Concord-Webhooks"
    assert request.headers["X-Concord-Event"] == "job.finished"
    delivery = Delivery.objects.get(webhook=webhook)
    assert request.headers["X-Concord-Delivery"] == str(delivery.uid)
    assert _verified(secret, request)
    body = json.loads(request.body)
    assert body["event"] == "job.finished"
    assert body["id"] == str(delivery.uid)
    assert body["data"]["job"]["id"] == running_job.pk
    assert body["data"]["job"]["status"] == "cancelled"
    assert body["data"]["job"]["url"].endswith(f"/jobs/{running_job.pk}/")
    assert body["data"]["job"]["api_url"].endswith(f"/api/v1/jobs/{running_job.pk}/")
    assert body["data"]["project"]["slug"] == "joint"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    [attempt] = delivery.attempt_log.all()
    assert attempt.status_code == 200
    assert attempt.number == 1
    assert attempt.error == ""


def test_tampered_body_or_old_timestamp_fails_verification(
    running_job, alice, institute_a, receiver, tmp_path
):
    _, secret = register(alice, institute_a, receiver.url, ["job.finished"])
    record_outcome(running_job, Outcome(stop="time_limit"), tmp_path)
    _send_all(None)
    [request] = receiver.requests
    headers = request.headers
    assert json.loads(request.body)["data"]["job"]["status"] == "failed"
    assert _verified(secret, request)
    tampered = request.body.replace(b'"failed"', b'"succeeded"')
    assert not signing.verify(
        secret,
        body=tampered,
        timestamp=headers["X-Concord-Timestamp"],
        signature=headers["X-Concord-Signature"],
    )
    sent = int(headers["X-Concord-Timestamp"])
    assert not signing.verify(
        secret,
        body=request.body,
        timestamp=headers["X-Concord-Timestamp"],
        signature=headers["X-Concord-Signature"],
        now=sent + 301,
    )
    # A fresh timestamp on the old signature does not pass either: the timestamp is signed.
    assert not signing.verify(
        secret,
        body=request.body,
        timestamp=str(sent + 200),
        signature=headers["X-Concord-Signature"],
        now=sent + 200,
    )
    assert not signing.verify(
        "whsec_other",
        body=request.body,
        timestamp=headers["X-Concord-Timestamp"],
        signature=headers["X-Concord-Signature"],
    )


def test_a_job_that_succeeds_sends_job_finished_with_its_run_and_run_imported(
    running_job, alice, institute_a, receiver, tmp_path, settings
):
    settings.CONCORD_LOG_DIR = tmp_path
    register(alice, institute_a, receiver.url, ["job.finished", "run.imported"])
    log = run_qa(tmp_path / "jobs" / str(running_job.pk), limit=2)
    message = {"event": "finished", "status": "success", "location": str(log)}
    record_outcome(running_job, Outcome(message=message, done=2, total=2), log.parent)
    _send_all(None)
    running_job.refresh_from_db()
    bodies = {r.headers["X-Concord-Event"]: json.loads(r.body)["data"] for r in receiver.requests}
    assert bodies["job.finished"]["job"]["status"] == "succeeded"
    assert bodies["job.finished"]["run"]["id"] == running_job.run_id
    assert bodies["run.imported"]["run"]["id"] == running_job.run_id
    assert bodies["run.imported"]["run"]["source"] == "job"
    assert bodies["run.imported"]["job"] == running_job.pk
    # Ids and links only: no scores.
    assert "score" not in json.dumps(bodies)
    assert "value" not in json.dumps(bodies)


def test_cancelling_a_queued_job_sends_job_finished(
    project, target_system, qa_task, alice, institute_a, receiver
):
    job = JobFactory(
        project=project,
        task=qa_task,
        system=target_system,
        institute=institute_a,
        requested_by=alice,
    )
    register(alice, institute_a, receiver.url, ["job.finished"])
    job_cancel(job=job, user=alice)
    _send_all(None)
    assert json.loads(receiver.requests[0].body)["data"]["job"]["status"] == "cancelled"


def test_retry_schedule_doubles_from_a_minute_to_an_hour_with_jitter(settings):
    rng = random.Random(7)
    for attempt, base in [(1, 60), (2, 120), (3, 240), (4, 480), (6, 1920), (7, 3600), (12, 3600)]:
        delay = retry_delay(attempt, rng=rng)
        assert base <= delay <= base * 1.1


def test_a_500_is_retried_after_the_backoff_and_then_delivered(alice, institute_a, receiver):
    webhook, secret = register(alice, institute_a, receiver.url)
    receiver.statuses = [500]
    from webhooks.services import events

    delivery = events.ping(webhook=webhook)
    first = delivery_attempt(delivery_id=delivery.pk)
    assert first is not None
    assert first.status == "pending"
    assert 60 <= first.retry_in <= 66
    delivery.refresh_from_db()
    assert delivery.last_status_code == 500
    due = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=55) < due <= timedelta(seconds=66)
    # Not due yet: a second message does nothing.
    assert delivery_attempt(delivery_id=delivery.pk) is None
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    second = delivery_attempt(delivery_id=delivery.pk)
    assert second.status == "delivered"
    assert second.retry_in is None
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert [a.status_code for a in delivery.attempt_log.order_by("number")] == [500, 200]
    # Both tries carry the same delivery id and body, each signed with its own timestamp.
    first_req, second_req = receiver.requests
    assert first_req.body == second_req.body
    assert first_req.headers["X-Concord-Delivery"] == second_req.headers["X-Concord-Delivery"]
    assert _verified(secret, second_req)


def test_a_closed_port_is_retried_with_growing_delays(alice, institute_a, closed_port_url):
    webhook, _ = register(alice, institute_a, closed_port_url)
    from webhooks.services import events

    delivery = events.ping(webhook=webhook)
    delays = []
    for _ in range(4):
        result = delivery_attempt(delivery_id=delivery.pk, rng=random.Random(1))
        delays.append(result.retry_in)
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    for delay, base in zip(delays, [60, 120, 240, 480], strict=True):
        assert base <= delay <= base * 1.1
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert delivery.attempts == 4
    assert all(
        a.status_code is None and "Connection" in a.error for a in delivery.attempt_log.all()
    )


def test_after_24_hours_of_failures_the_delivery_fails_and_the_webhook_is_marked_failing(
    alice, institute_a, closed_port_url, settings
):
    settings.CONCORD_WEBHOOK_FAILING_AFTER = 2
    webhook, _ = register(alice, institute_a, closed_port_url)
    from webhooks.services import events

    for n in range(2):
        delivery = events.ping(webhook=webhook)
        assert delivery_attempt(delivery_id=delivery.pk).status == "pending"
        # The first attempt was a day ago: the next retry would fall past the 24 h window.
        Delivery.objects.filter(pk=delivery.pk).update(
            next_attempt_at=timezone.now(),
            first_attempt_at=timezone.now() - timedelta(hours=23, minutes=59, seconds=30),
        )
        result = delivery_attempt(delivery_id=delivery.pk)
        assert result.status == "failed"
        assert result.retry_in is None
        delivery.refresh_from_db()
        assert delivery.finished_at is not None
        assert delivery.next_attempt_at is None
        webhook.refresh_from_db()
        assert webhook.consecutive_failures == n + 1
        assert webhook.is_failing == (n == 1)
    # A failed delivery is never tried again.
    assert delivery_attempt(delivery_id=delivery.pk) is None


def test_a_delivered_event_clears_the_failing_mark(alice, institute_a, receiver):
    webhook, _ = register(alice, institute_a, receiver.url)
    Webhook.objects.filter(pk=webhook.pk).update(
        consecutive_failures=9, failing_since=timezone.now()
    )
    from webhooks.services import events

    delivery = events.ping(webhook=webhook)
    assert delivery_attempt(delivery_id=delivery.pk).status == "delivered"
    webhook.refresh_from_db()
    assert webhook.consecutive_failures == 0
    assert not webhook.is_failing


def test_two_workers_never_send_the_same_attempt(alice, institute_a, receiver):
    webhook, _ = register(alice, institute_a, receiver.url)
    from webhooks.services import events

    delivery = events.ping(webhook=webhook)
    assert delivery_service._claim(delivery.pk, timezone.now()) is not None
    # The second message finds the attempt taken (its lease has not run out).
    assert delivery_attempt(delivery_id=delivery.pk) is None
    assert receiver.requests == []


def test_the_reconciler_resends_due_deliveries_whose_message_was_lost(alice, institute_a, receiver):
    webhook, _ = register(alice, institute_a, receiver.url)
    from webhooks.services import events

    lost = events.ping(webhook=webhook)
    fresh = events.ping(webhook=webhook)
    Delivery.objects.filter(pk=lost.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=5)
    )
    assert delivery_service.deliveries_due() == [lost.pk]
    Webhook.objects.filter(pk=webhook.pk).update(active=False)
    assert delivery_service.deliveries_due() == []  # disabled: nothing is sent
    assert fresh.pk not in delivery_service.deliveries_due(now=timezone.now())


def test_a_secret_the_server_can_no_longer_decrypt_is_an_attempt_error(
    alice, institute_a, receiver, settings
):
    webhook, _ = register(alice, institute_a, receiver.url)
    from webhooks.services import events

    delivery = events.ping(webhook=webhook)
    settings.CONCORD_WEBHOOK_KEY = "a-new-key"
    result = delivery_attempt(delivery_id=delivery.pk)
    assert result.status == "pending"
    delivery.refresh_from_db()
    assert "rotate the secret" in delivery.last_error
    assert receiver.requests == []


def test_an_uploaded_log_sends_run_imported_once(
    project, target_system, qa_task, bob, institute_a, alice, tmp_path, settings
):
    from evaluations.ingestion import run_ingest_log
    from evaluations.models import EvaluationRun

    settings.CONCORD_LOG_DIR = tmp_path
    webhook, _ = register(alice, institute_a, "http://127.0.0.1:9/hook", ["run.imported"])
    log = run_qa(tmp_path / "upload", limit=2)
    for _ in range(2):  # the same log again is the same run: no second event
        result = run_ingest_log(
            path=log,
            project=project,
            institute=institute_a,
            source=EvaluationRun.Source.UPLOAD,
            task=qa_task,
            uploaded_by=bob,
        )
    [delivery] = Delivery.objects.filter(webhook=webhook)
    data = json.loads(delivery.body)["data"]
    assert data["run"]["id"] == result.run.pk
    assert data["run"]["source"] == "upload"
    assert data["job"] is None
