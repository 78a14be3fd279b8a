"""E-mails to the person and the leads of both institutes at each step, sent on commit."""

from __future__ import annotations

import pytest

from exchanges import services
from tests.exchanges.conftest import tick_all


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
    proposed, alice, mailoutbox, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    from django.core.mail.backends.locmem import EmailBackend

    def broken(self, messages):
        raise OSError("SMTP down")

    monkeypatch.setattr(EmailBackend, "send_messages", broken)
    with django_capture_on_commit_callbacks(execute=True):
        services.exchange_approve(user=alice, exchange=proposed)
    assert proposed.approvals.count() == 1
    assert "Could not send the 'approved_side' e-mails" in caplog.text
