"""An exchange linked to a project gives the person their host role in it while the exchange is
active, and not a day before or after (institutes.access decides; these tests pin both edges)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from evaluations.models import EvaluationProject, Participation
from exchanges import services
from exchanges.models import Exchange
from institutes import access
from tests.exchanges.conftest import tick_all


@pytest.fixture
def project(institute_b):
    """A project of institute B only: bob (institute A) has no access of his own."""
    project = EvaluationProject.objects.create(slug="joint-b", title="B's evaluation")
    Participation.objects.create(project=project, institute=institute_b, role="lead")
    return project


@pytest.fixture
def linked(propose, alice, carol, project, today):
    exchange = propose(
        user=carol, project=project, start_date=today, end_date=today + timedelta(days=30)
    )
    services.exchange_approve(user=alice, exchange=exchange)
    services.exchange_approve(user=carol, exchange=exchange)
    tick_all(exchange, carol)
    return exchange


def rank(user, project) -> int:
    access.forget(user)
    return access.project_rank(user, project)


def test_no_access_before_the_exchange_is_active(linked, bob, project):
    assert rank(bob, project) == 0
    assert not access.visible_projects(bob).filter(pk=project.pk).exists()


def test_activation_grants_the_host_role_in_the_project(linked, bob, project, carol):
    services.exchange_activate(user=carol, exchange=linked)
    assert rank(bob, project) == access.ACT  # host_role evaluator
    assert access.can_act(bob, project)
    assert not access.can_manage(bob, project)
    assert access.visible_projects(bob).filter(pk=project.pk).exists()


def test_the_host_role_sets_the_level_of_access(propose, alice, carol, bob, project, today):
    exchange = propose(
        user=carol,
        project=project,
        host_role="viewer",
        start_date=today,
        end_date=today + timedelta(days=5),
    )
    services.exchange_approve(user=alice, exchange=exchange)
    services.exchange_approve(user=carol, exchange=exchange)
    tick_all(exchange, carol)
    services.exchange_activate(user=carol, exchange=exchange)
    assert rank(bob, project) == access.VIEW


def test_completing_removes_the_access(linked, bob, project, carol):
    services.exchange_activate(user=carol, exchange=linked)
    assert rank(bob, project) == access.ACT
    services.exchange_complete(user=carol, exchange=linked, outcome="Done.")
    assert rank(bob, project) == 0


def test_cancelling_removes_the_access(linked, bob, project, carol):
    services.exchange_activate(user=carol, exchange=linked)
    services.exchange_cancel(user=carol, exchange=linked, reason="Called home.")
    assert rank(bob, project) == 0


def test_access_holds_on_the_last_day_and_ends_the_day_after(
    linked, bob, project, carol, monkeypatch
):
    services.exchange_activate(user=carol, exchange=linked)
    last_day = linked.end_date
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: last_day)
    assert rank(bob, project) == access.ACT
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *a, **k: last_day + timedelta(days=1)
    )
    # Still "active" in the database until the schedule completes it: access ends anyway.
    assert Exchange.objects.get(pk=linked.pk).status == Exchange.Status.ACTIVE
    assert rank(bob, project) == 0


def test_the_schedule_completes_it_after_the_end_date(linked, bob, project, carol):
    services.exchange_activate(user=carol, exchange=linked)
    services.exchanges_sync_dates(today=linked.end_date + timedelta(days=1))
    assert Exchange.objects.get(pk=linked.pk).status == Exchange.Status.COMPLETED
    assert rank(bob, project) == 0


def test_no_access_when_the_host_leaves_the_project(linked, bob, project, carol):
    services.exchange_activate(user=carol, exchange=linked)
    Participation.objects.filter(project=project).delete()
    assert rank(bob, project) == 0


def test_an_unlinked_exchange_gives_no_project_access(propose, alice, carol, bob, project, today):
    exchange = propose(start_date=today, end_date=today + timedelta(days=5))
    services.exchange_approve(user=alice, exchange=exchange)
    services.exchange_approve(user=carol, exchange=exchange)
    tick_all(exchange, carol)
    services.exchange_activate(user=carol, exchange=exchange)
    assert rank(bob, project) == 0
