"""E-mails to the person and the leads of both institutes at each step: queued on commit, sent
by Celery (run eagerly here), retried when the mail server fails for a while."""

from __future__ import annotations

import json
import smtplib

import pytest
from django.core.mail.backends.locmem import EmailBackend

from config.celery_app import app as celery_app
from exchanges import services, tasks
from tests.exchanges.conftest import tick_all


@pytest.fixture(autouse=True)
def eager_celery():
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def addresses(mail) -> set[str]:
    return {address for message in mail for address in message.to}


@pytest.fixture
def everyone(bob, alice, carol):
    return {"bob@example.org", "alice@example.org", "carol@example.org"}


def test_a_proposal_mails_the_person_and_the_leads_of_both_sides(
    propose, mailoutbox, django_capture_on_commit_callbacks, everyone, vera, dan
):
    with django_capture_on_commit_callbacks(execute=True):
        exchange = propose()
    assert addresses(mailoutbox) == everyone  # not vera (viewer) nor dan (evaluator)
    assert all(len(message.to) == 1 for message in mailoutbox)  # no one sees the others' address
    message = mailoutbox[0]
    assert "Exchange of bob (inst-a → inst-b): proposed" in message.subject
    assert f"/exchanges/{exchange.pk}/" in message.body
    assert "alice proposed this exchange" in message.body


def test_nothing_is_sent_when_the_change_rolls_back(propose, mailoutbox, today):
    from django.db import transaction

    def propose_then_fail():
        with transaction.atomic():
            propose()
            raise RuntimeError

    with pytest.raises(RuntimeError):
        propose_then_fail()
    assert mailoutbox == []


def test_nothing_is_sent_before_commit(propose, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        propose()
    assert mailoutbox == []
    assert len(callbacks) == 1


def subjects_after(django_capture_on_commit_callbacks, mailoutbox, action) -> list[str]:
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        action()
    return sorted({message.subject.split(": ", 1)[1] for message in mailoutbox})


def test_each_step_is_mailed(
    proposed, alice, carol, mailoutbox, django_capture_on_commit_callbacks, everyone, today
):
    def step(action):
        subjects = subjects_after(django_capture_on_commit_callbacks, mailoutbox, action)
        assert addresses(mailoutbox) == everyone
        return subjects

    from datetime import timedelta

    assert step(
        lambda: services.exchange_update(
            user=alice, exchange=proposed, start_date=today, end_date=today + timedelta(days=20)
        )
    ) == ["changed"]
    assert step(lambda: services.exchange_approve(user=alice, exchange=proposed)) == [
        "approved by Institute A"
    ]
    assert step(lambda: services.exchange_approve(user=carol, exchange=proposed)) == ["approved"]
    tick_all(proposed, alice)
    assert step(lambda: services.exchange_activate(user=alice, exchange=proposed)) == ["started"]
    assert step(
        lambda: services.exchange_complete(user=carol, exchange=proposed, outcome="Done.")
    ) == ["completed"]


def test_a_decline_mails_its_reason(
    proposed, carol, mailoutbox, django_capture_on_commit_callbacks, everyone
):
    with django_capture_on_commit_callbacks(execute=True):
        services.exchange_decline(user=carol, exchange=proposed, reason="No desk free.")
    assert addresses(mailoutbox) == everyone
    assert mailoutbox[0].subject.endswith(": declined")
    assert "Reason or note: No desk free." in mailoutbox[0].body


def test_a_cancellation_mails_its_reason(
    approved, alice, mailoutbox, django_capture_on_commit_callbacks, everyone
):
    with django_capture_on_commit_callbacks(execute=True):
        services.exchange_cancel(user=alice, exchange=approved, reason="Budget cut.")
    assert addresses(mailoutbox) == everyone
    assert mailoutbox[0].subject.endswith(": cancelled")
    assert "Budget cut." in mailoutbox[0].body


def test_the_schedule_mails_the_start_and_asks_for_the_outcome_report_at_the_end(
    approved, alice, mailoutbox, django_capture_on_commit_callbacks, everyone
):
    from datetime import timedelta

    tick_all(approved, alice)
    with django_capture_on_commit_callbacks(execute=True):
        services.exchanges_sync_dates(today=approved.start_date)
    assert {m.subject.rsplit(": ", 1)[1] for m in mailoutbox} == {"started"}
    assert "The exchange is now active (Concord)." in mailoutbox[0].body
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.exchanges_sync_dates(today=approved.end_date + timedelta(days=1))
    assert addresses(mailoutbox) == everyone
    assert "still has to write its outcome report" in mailoutbox[0].body


def test_a_mail_server_failure_does_not_undo_the_change(
    proposed, alice, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(self, messages):
        raise smtplib.SMTPRecipientsRefused({})  # permanent: not retried

    monkeypatch.setattr(EmailBackend, "send_messages", broken)
    with django_capture_on_commit_callbacks(execute=True):
        services.exchange_approve(user=alice, exchange=proposed)
    assert proposed.approvals.count() == 1
    assert mailoutbox == []


def test_a_broker_outage_does_not_undo_the_change(
    proposed, alice, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    def unreachable(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.exchange_notify, "delay", unreachable)
    with django_capture_on_commit_callbacks(execute=True):
        services.exchange_approve(user=alice, exchange=proposed)
    assert proposed.approvals.count() == 1
    assert "broker down" in caplog.text


def flaky_backend(monkeypatch, error: Exception, failures: int) -> list[int]:
    """The mail server fails `failures` times with `error`, then delivers; returns the attempts."""
    attempts: list[int] = []
    deliver = EmailBackend.send_messages

    def send_messages(self, messages):
        attempts.append(len(messages))
        if len(attempts) <= failures:
            raise error
        return deliver(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send_messages)
    return attempts


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError("timed out"),
        smtplib.SMTPDataError(451, b"Requested action aborted: try again later"),
    ],
    ids=["disconnected", "refused", "timeout", "4xx"],
)
def test_a_transient_mail_failure_is_retried(proposed, mailoutbox, monkeypatch, error):
    attempts = flaky_backend(monkeypatch, error, failures=2)
    result = tasks.exchange_email_send.apply(
        kwargs={"exchange_id": proposed.pk, "event": "proposed", "address": "bob@example.org"}
    )
    assert result.successful()
    assert len(attempts) == 3
    assert [m.to for m in mailoutbox] == [["bob@example.org"]]


def test_retries_stop_at_the_cap(proposed, mailoutbox, monkeypatch):
    cap = tasks.exchange_email_send.max_retries
    attempts = flaky_backend(monkeypatch, smtplib.SMTPServerDisconnected("gone"), failures=100)
    result = tasks.exchange_email_send.apply(
        kwargs={"exchange_id": proposed.pk, "event": "proposed", "address": "bob@example.org"}
    )
    assert result.failed()
    assert isinstance(result.result, smtplib.SMTPServerDisconnected)
    assert len(attempts) == cap + 1
    assert mailoutbox == []


def test_a_permanent_refusal_is_not_retried(proposed, monkeypatch):
    attempts = flaky_backend(
        monkeypatch, smtplib.SMTPDataError(554, b"Transaction failed"), failures=100
    )
    result = tasks.exchange_email_send.apply(
        kwargs={"exchange_id": proposed.pk, "event": "proposed", "address": "bob@example.org"}
    )
    assert result.failed()
    assert len(attempts) == 1


def test_the_retry_policy_backs_off():
    task = tasks.exchange_email_send
    assert task.retry_backoff
    assert task.retry_backoff_max
    assert task.retry_jitter
    assert 0 < task.max_retries <= 10


def test_the_tasks_take_json_values_only(
    proposed, carol, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    """What goes to the broker survives JSON, and the task does its work from the round trip."""
    sent: dict[str, list[dict]] = {"notify": [], "email": []}

    def through_json(task, key):
        real_delay = task.delay

        def delay(**kwargs):
            payload = json.loads(json.dumps(kwargs))
            assert payload == kwargs
            sent[key].append(payload)
            return real_delay(**payload)

        monkeypatch.setattr(task, "delay", delay)

    through_json(tasks.exchange_notify, "notify")
    through_json(tasks.exchange_email_send, "email")
    with django_capture_on_commit_callbacks(execute=True):
        services.exchange_decline(user=carol, exchange=proposed, reason="No desk free.")
    assert [payload["actor_id"] for payload in sent["notify"]] == [carol.pk]
    assert len(sent["email"]) == 3
    assert {payload["address"] for payload in sent["email"]} == {m.to[0] for m in mailoutbox}
    assert all(m.subject.endswith(": declined") for m in mailoutbox)
    assert "Reason or note: No desk free." in mailoutbox[0].body


def test_the_mail_names_the_linked_project_only_to_who_may_see_it(
    propose, carol, institute_b, mailoutbox, django_capture_on_commit_callbacks, everyone
):
    from evaluations.models import EvaluationProject, Participation

    project = EvaluationProject.objects.create(slug="secret-b", title="B's secret evaluation")
    Participation.objects.create(project=project, institute=institute_b, role="lead")
    with django_capture_on_commit_callbacks(execute=True):
        propose(user=carol, project=project)
    bodies = {message.to[0]: message.body for message in mailoutbox}
    assert "secret evaluation" in bodies["carol@example.org"]
    assert "secret evaluation" not in bodies["alice@example.org"]  # A is not in the project
    assert "secret evaluation" not in bodies["bob@example.org"]  # not before he is active
