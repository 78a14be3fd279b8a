"""The home dashboard: jobs in flight (live), recent runs, access windows closing, upcoming
exchanges and guideline versions waiting for the user's signature."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluations.models import AccessWindow, EvaluationJob
from evaluations.services import guidelines
from exchanges.models import Exchange
from tests.evaluations.results_world import build_results_world, make_run


@pytest.fixture
def rw(alice, bob, vera, charlie, pm, institute_a, institute_b):
    """The results world (tests/evaluations/results_world.py) with the conftest people."""
    return build_results_world(institute_a=institute_a, institute_b=institute_b)


Status = EvaluationJob.Status


def home(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 200
    return response.content.decode()


def test_dashboard_shows_jobs_in_flight_with_progress_and_polls(client, rw, vera):
    body = home(client, vera)
    assert f'data-job="{rw.running.pk}"' in body
    assert '<progress max="100" value="30"' in body
    assert f'hx-get="{reverse("dashboard:jobs")}"' in body


def flight_panel(body: str) -> str:
    return body[body.index('id="flight-jobs"') : body.index('id="finished-jobs"')]


def finished_panel(body: str) -> str:
    start = body.index('id="finished-jobs"')
    return body[start : body.index("</section>", start)]


def test_jobs_in_flight_lists_only_queued_and_running_jobs(client, rw, vera):
    rw.job.finished_at = timezone.now() - timedelta(minutes=5)
    rw.job.save()
    body = home(client, vera)
    assert f'data-job="{rw.running.pk}"' in flight_panel(body)
    assert f'data-job="{rw.job.pk}"' not in flight_panel(body)
    assert f'data-job="{rw.job.pk}"' in finished_panel(body)


def test_a_job_finished_long_ago_leaves_the_dashboard(client, rw, vera):
    rw.job.finished_at = timezone.now() - timedelta(days=2)
    rw.job.save()
    body = home(client, vera)
    assert f'data-job="{rw.job.pk}"' not in body


def test_dashboard_fragment_stops_polling_once_every_job_is_final(client, rw, vera):
    client.force_login(vera)
    live = client.get(reverse("dashboard:jobs")).content.decode()
    assert "hx-trigger" in live
    EvaluationJob.objects.filter(pk=rw.running.pk).update(
        status=Status.SUCCEEDED, progress_done=10, finished_at=timezone.now()
    )
    done = client.get(reverse("dashboard:jobs")).content.decode()
    assert "hx-trigger" not in done
    assert "No job is queued or running" in flight_panel(done)
    assert f'data-job="{rw.running.pk}"' in finished_panel(done)
    assert '<progress max="100" value="100"' in finished_panel(done)


def test_outsider_sees_no_job_and_no_run_of_the_project(client, rw, charlie):
    body = home(client, charlie)
    assert "data-job=" not in body
    assert f"/runs/{rw.run_a.pk}/" not in body
    assert "No job is queued or running" in body
    assert "No job has finished in your projects in the last 24 hours." in body


def test_dashboard_lists_recent_runs_with_their_interval(client, rw, vera):
    body = home(client, vera)
    assert f"/runs/{rw.run_cyber.pk}/" in body
    assert '0.250</strong> <span class="estimate-ci"' in body


def test_embargoed_runs_stay_off_a_programme_managers_dashboard(client, rw, pm):
    rw.project.embargo_until = timezone.now() + timedelta(days=3)
    rw.project.save()
    body = home(client, pm)
    assert f"/runs/{rw.run_a.pk}/" not in body


def test_dashboard_lists_access_windows_closing_within_two_weeks(client, rw, vera):
    now = timezone.now()
    AccessWindow.objects.create(
        project=rw.project,
        system=rw.reference,
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=40),
    )
    body = home(client, vera)
    section = body[body.index('id="h-windows-closing"') : body.index('id="h-approvals"')]
    assert section.count("<li>") == 1  # the target's window closes in 5 days; 40 days is later
    assert "Lab Frontier-1 1" in section


def test_dashboard_lists_guideline_versions_waiting_for_the_users_signature(
    client, rw, alice, institute_a, institute_b
):

    guideline = guidelines.guideline_create(
        user=alice,
        code="shared-protocol",
        title="Shared protocol",
        owner_institute=institute_a,
        required_institutes=[institute_a, institute_b],
    )
    version = guidelines.guideline_version_create(
        user=alice, guideline=guideline, body_markdown="Run twice."
    )
    guidelines.guideline_version_submit(user=alice, version=version)
    assert "shared-protocol v1" in home(client, alice)
    guidelines.guideline_version_approve(user=alice, version=version, institute=institute_a)
    assert "shared-protocol v1" not in home(client, alice)  # A has signed; B has not


def test_dashboard_lists_upcoming_exchanges_the_user_can_see(client, rw, vera, alice, charlie):
    today = timezone.localdate()
    Exchange.objects.create(
        person=alice,
        home_institute=rw.institute_a,
        host_institute=rw.institute_b,
        role_title="Visiting evaluator",
        start_date=today + timedelta(days=10),
        end_date=today + timedelta(days=40),
        status=Exchange.Status.APPROVED,
    )
    assert "Visiting evaluator" in home(client, vera)
    assert "Visiting evaluator" not in home(client, charlie)


@pytest.mark.parametrize("extra", [0, 25])
def test_dashboard_queries_are_bounded(client, rw, alice, extra, django_assert_max_num_queries):
    for i in range(extra):
        make_run(rw.project, rw.qa, rw.target, rw.institute_a, [1, 0, 1, 1])
        EvaluationJob.objects.create(
            project=rw.project,
            task=rw.qa,
            system=rw.target,
            institute=rw.institute_a,
            status=Status.RUNNING,
            progress_done=i,
            progress_total=100,
        )
    client.force_login(alice)
    with django_assert_max_num_queries(18):
        assert client.get(reverse("dashboard:home")).status_code == 200
    # The panel: jobs and external runs, each in flight and recently finished.
    with django_assert_max_num_queries(10):
        assert client.get(reverse("dashboard:jobs")).status_code == 200
