"""External runs on the pages: their own page, the dashboard's jobs panel (beside the jobs, marked
"external", polled like them) and the project page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluations.models import ExternalRun
from tests.evaluations.factories import RunFactory

pytestmark = pytest.mark.django_db


def external(project, institute, n=1, **fields):
    defaults = {
        "project": project,
        "institute": institute,
        "eval_id": f"ev-{n}",
        "task_name": f"arith-{n}",
        "model": "mockllm/model",
        "samples_total": 10,
        "samples_done": 4,
        "host": "gpu-node-3",
    }
    return ExternalRun.objects.create(**{**defaults, **fields})


def page(client, user, name, **kwargs):
    client.force_login(user)
    return client.get(reverse(name, kwargs=kwargs))


def detail_url(run) -> str:
    return reverse("external_runs:detail", kwargs={"external_run_id": run.pk})


def test_the_page_shows_what_runs_where_with_its_progress(client, project, institute_a, bob):
    run = external(project, institute_a, reported_by=bob)
    response = page(client, bob, "external_runs:detail", external_run_id=run.pk)
    assert response.status_code == 200
    body = response.text
    for text in ("arith-1", "mockllm/model", "gpu-node-3", institute_a.name, "ev-1"):
        assert text in body
    assert bob.display_name in body
    assert '<progress max="100" value="40" aria-label="Progress of external run' in body
    assert "4 / 10 samples" in body
    assert f'hx-get="{detail_url(run)}"' in body  # running: the status polls
    assert "data-stale" not in body


def test_the_polled_fragment_is_the_status_alone(client, project, institute_a, vera):
    run = external(project, institute_a)
    client.force_login(vera)
    response = client.get(detail_url(run), HTTP_HX_REQUEST="true")
    assert 'id="external-run-status"' in response.text
    assert "<html" not in response.text


def test_a_silent_run_says_since_when(client, project, institute_a, vera, settings):
    settings.CONCORD_EXTERNAL_RUN_STALE_SECONDS = 60
    run = external(project, institute_a, heartbeat_at=timezone.now() - timedelta(minutes=5))
    body = page(client, vera, "external_runs:detail", external_run_id=run.pk).text
    assert "No word since" in body


def test_a_finished_run_links_its_imported_run_and_stops_polling(
    client, project, institute_a, vera
):
    run = RunFactory(project=project, institute=institute_a, inspect_eval_id="ev-1")
    finished = external(
        project, institute_a, status="succeeded", finished_at=timezone.now(), run=run
    )
    body = page(client, vera, "external_runs:detail", external_run_id=finished.pk).text
    assert reverse("runs:detail", kwargs={"run_id": run.pk}) in body
    assert "hx-get" not in body
    assert '<progress max="100" value="100"' in body


def test_an_outsider_gets_404(client, project, institute_a, charlie):
    run = external(project, institute_a)
    assert page(client, charlie, "external_runs:detail", external_run_id=run.pk).status_code == 404


def test_the_dashboard_lists_external_runs_beside_jobs_and_polls(
    client, project, institute_a, vera
):
    running = external(project, institute_a, n=1)
    done = external(project, institute_a, n=2, status="failed", finished_at=timezone.now())
    body = page(client, vera, "dashboard:home").text
    flight = body[body.index('id="flight-jobs"') : body.index('id="finished-jobs"')]
    finished = body[body.index('id="finished-jobs"') :]
    assert f'data-external-run="{running.pk}"' in flight
    assert f'data-external-run="{done.pk}"' in finished
    assert 'class="badge">external<' in flight
    assert f'hx-get="{reverse("dashboard:jobs")}"' in body
    panel = page(client, vera, "dashboard:jobs").text
    assert f'data-external-run="{running.pk}"' in panel


def test_a_stale_external_run_is_shown_but_keeps_no_poll_going(
    client, project, institute_a, vera, settings
):
    settings.CONCORD_EXTERNAL_RUN_STALE_SECONDS = 60
    external(project, institute_a, heartbeat_at=timezone.now() - timedelta(minutes=5))
    body = page(client, vera, "dashboard:home").text
    assert "no word since" in body
    assert f'hx-get="{reverse("dashboard:jobs")}"' not in body


def test_the_dashboard_hides_other_projects_external_runs(client, project, institute_a, charlie):
    external(project, institute_a)
    assert "data-external-run" not in page(client, charlie, "dashboard:home").text


def test_the_project_page_lists_its_external_runs(client, project, institute_a, vera):
    running = external(project, institute_a, n=1)
    done = external(project, institute_a, n=2, status="cancelled", finished_at=timezone.now())
    body = page(client, vera, "projects:detail", slug=project.slug).text
    section = body[body.index('id="external-runs"') :]
    assert f'data-external-run="{running.pk}"' in section
    assert f'data-external-run="{done.pk}"' in section
    assert detail_url(running) in section


@pytest.mark.parametrize("page_name", ["dashboard:home", "dashboard:jobs", "projects:detail"])
def test_external_runs_add_no_query_per_row(
    client, project, institute_a, alice, page_name, django_assert_max_num_queries
):
    kwargs = {"slug": project.slug} if page_name == "projects:detail" else {}
    external(project, institute_a, n=0)
    external(project, institute_a, n=-1, status="succeeded", finished_at=timezone.now())
    client.force_login(alice)
    url = reverse(page_name, kwargs=kwargs)
    client.get(url)  # warm the session
    with django_assert_max_num_queries(40) as few:
        assert client.get(url).status_code == 200
    for n in range(1, 25):
        external(project, institute_a, n=n)
        external(project, institute_a, n=100 + n, status="failed", finished_at=timezone.now())
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200
