"""The job page (status, live progress fragment, cancel, retry) and the job-queue form."""

from __future__ import annotations

import pytest
from django.urls import reverse

from evaluations.models import EvaluationJob
from tests.evaluations.results_world import build_results_world


@pytest.fixture
def rw(alice, bob, vera, charlie, pm, institute_a, institute_b):
    """The results world (tests/evaluations/results_world.py) with the conftest people."""
    return build_results_world(institute_a=institute_a, institute_b=institute_b)


Status = EvaluationJob.Status


@pytest.fixture
def sent(monkeypatch):
    """Jobs sent to the broker (on commit) are recorded instead of reaching Redis."""
    calls = []
    monkeypatch.setattr(
        "evaluations.services.jobs._send", lambda job_id, queue, limit: calls.append(job_id)
    )
    return calls


def job_url(job) -> str:
    return reverse("jobs:detail", kwargs={"job_id": job.pk})


def test_job_page_shows_status_attempts_timings_and_progress(client, rw, vera):
    client.force_login(vera)
    response = client.get(job_url(rw.running))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Running" in body
    assert '<progress max="100" value="30"' in body
    assert "3 / 10 samples" in body
    assert "1 of 3" in body  # attempts of max_attempts
    assert "Started" in body


def test_running_job_page_polls_its_status_fragment(client, rw, vera):
    client.force_login(vera)
    body = client.get(job_url(rw.running)).content.decode()
    assert 'hx-trigger="every 2s"' in body
    assert f'hx-get="{job_url(rw.running)}?shown=running"' in body


def test_htmx_request_gets_only_the_status_fragment(client, rw, vera):
    client.force_login(vera)
    response = client.get(job_url(rw.running), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="job-status"')
    assert "<html" not in body
    assert 'hx-trigger="every 2s"' in body


def test_fragment_of_a_finished_job_stops_polling_and_links_the_run(client, rw, vera):
    client.force_login(vera)
    body = client.get(job_url(rw.job), headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in body
    assert '<progress max="100" value="100"' in body
    assert reverse("runs:detail", kwargs={"run_id": rw.run_a.pk}) in body


def test_failed_job_page_shows_its_error(client, rw, bob):
    rw.running.status = Status.FAILED
    rw.running.error = "Inspect raised: model endpoint unreachable"
    rw.running.save()
    client.force_login(bob)
    body = client.get(job_url(rw.running)).content.decode()
    assert "model endpoint unreachable" in body
    assert "hx-trigger" not in body


def test_viewer_sees_no_cancel_or_retry_button(client, rw, vera):
    client.force_login(vera)
    body = client.get(job_url(rw.running)).content.decode()
    assert reverse("jobs:cancel", kwargs={"job_id": rw.running.pk}) not in body


def test_evaluator_sees_cancel_on_a_running_job(client, rw, bob):
    client.force_login(bob)
    body = client.get(job_url(rw.running)).content.decode()
    assert reverse("jobs:cancel", kwargs={"job_id": rw.running.pk}) in body
    assert reverse("jobs:retry", kwargs={"job_id": rw.running.pk}) not in body


def test_evaluator_cancels_a_running_job(client, rw, bob):
    client.force_login(bob)
    response = client.post(reverse("jobs:cancel", kwargs={"job_id": rw.running.pk}))
    assert response.status_code == 302
    rw.running.refresh_from_db()
    assert rw.running.cancel_requested


def test_cancelling_a_finished_job_says_why_it_cannot(client, rw, bob):
    client.force_login(bob)
    response = client.post(reverse("jobs:cancel", kwargs={"job_id": rw.job.pk}), follow=True)
    assert "cannot be cancelled" in response.content.decode()
    rw.job.refresh_from_db()
    assert rw.job.status == Status.SUCCEEDED


def test_viewer_cannot_cancel(client, rw, vera):
    client.force_login(vera)
    response = client.post(reverse("jobs:cancel", kwargs={"job_id": rw.running.pk}))
    assert response.status_code == 403
    rw.running.refresh_from_db()
    assert not rw.running.cancel_requested


def test_outsider_gets_404_for_job_page_and_actions(client, rw, charlie):
    client.force_login(charlie)
    assert client.get(job_url(rw.running)).status_code == 404
    assert client.post(reverse("jobs:cancel", kwargs={"job_id": rw.running.pk})).status_code == 404


def test_retry_of_a_failed_job_queues_a_new_job_and_opens_it(
    client, rw, bob, sent, django_capture_on_commit_callbacks
):
    rw.running.status = Status.FAILED
    rw.running.save()
    client.force_login(bob)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("jobs:retry", kwargs={"job_id": rw.running.pk}))
    new = EvaluationJob.objects.get(retry_of=rw.running)
    assert response.status_code == 302
    assert response["Location"] == job_url(new)
    assert new.status == Status.QUEUED
    assert sent == [new.pk]


def test_a_viewer_retrying_a_job_is_told_they_may_not(client, rw, vera):
    client.force_login(vera)
    response = client.post(reverse("jobs:retry", kwargs={"job_id": rw.running.pk}))
    assert response.status_code == 403
    assert "Only failed or cancelled" not in response.content.decode()
    assert not EvaluationJob.objects.filter(retry_of=rw.running).exists()


def test_a_cancelled_jobs_history_says_who_cancelled_it(client, rw, bob):
    client.force_login(bob)
    client.post(reverse("jobs:cancel", kwargs={"job_id": rw.running.pk}))
    body = client.get(reverse("jobs:detail", kwargs={"job_id": rw.running.pk})).content.decode()
    assert f"Cancelled by {bob.display_name} on " in body


def test_the_polled_status_clears_messages_once_the_job_has_moved_on(client, rw, bob):
    client.force_login(bob)
    url = reverse("jobs:detail", kwargs={"job_id": rw.running.pk})
    htmx = {"HTTP_HX_REQUEST": "true"}
    same = client.get(url + "?shown=running", **htmx).content.decode()
    assert "hx-swap-oob" not in same
    EvaluationJob.objects.filter(pk=rw.running.pk).update(
        status=EvaluationJob.Status.SUCCEEDED, progress_done=10
    )
    moved = client.get(url + "?shown=running", **htmx).content.decode()
    assert '<ul id="messages" class="messages" role="status" hx-swap-oob="true"></ul>' in moved


def test_retry_of_a_running_job_is_refused_with_a_message(client, rw, bob, sent):
    client.force_login(bob)
    response = client.post(reverse("jobs:retry", kwargs={"job_id": rw.running.pk}), follow=True)
    assert "Only failed or cancelled jobs are retried" in response.content.decode()
    assert not EvaluationJob.objects.filter(retry_of=rw.running).exists()


def test_job_page_queries_are_bounded(client, rw, bob, django_assert_max_num_queries):
    for _ in range(30):
        EvaluationJob.objects.create(
            project=rw.project,
            task=rw.qa,
            system=rw.target,
            institute=rw.institute_a,
            retry_of=rw.job,
            status=Status.FAILED,
        )
    client.force_login(bob)
    with django_assert_max_num_queries(16):
        assert client.get(job_url(rw.job)).status_code == 200
    with django_assert_max_num_queries(12):
        client.get(job_url(rw.running), headers={"HX-Request": "true"})


# --- the queue form -------------------------------------------------------------------------


def queue_url(project) -> str:
    return reverse("jobs:queue", kwargs={"slug": project.slug})


def test_queue_form_offers_active_tasks_project_systems_and_the_users_institutes(client, rw, bob):
    client.force_login(bob)
    body = client.get(queue_url(rw.project)).content.decode()
    assert "Knowledge QA" in body
    assert "Lab Frontier-1 1 (target)" in body
    assert "Lab Frontier-0 1 (reference)" in body
    assert "Institute A" in body
    assert "Institute B" not in body  # bob acts for A only


def test_evaluator_queues_a_job_with_params(
    client, rw, bob, sent, django_capture_on_commit_callbacks
):

    client.force_login(bob)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            queue_url(rw.project),
            {
                "task": rw.qa.pk,
                "system": rw.target.pk,
                "institute": rw.institute_a.pk,
                "limit": "5",
                "epochs": "2",
                "temperature": "0.5",
                "seed": "7",
            },
        )
    job = EvaluationJob.objects.filter(requested_by=bob).get()
    assert response.status_code == 302
    assert response["Location"] == job_url(job)
    assert job.params == {"limit": 5, "epochs": 2, "temperature": 0.5, "seed": 7}
    assert sent == [job.pk]


def test_queueing_outside_the_access_window_shows_the_services_reason(client, rw, bob, sent):
    rw.project.access_windows.all().delete()
    client.force_login(bob)
    response = client.post(
        queue_url(rw.project),
        {"task": rw.qa.pk, "system": rw.target.pk, "institute": rw.institute_a.pk},
    )
    assert response.status_code == 200
    assert "No access window is recorded" in response.content.decode()
    assert not EvaluationJob.objects.filter(requested_by=bob).exists()


def test_queue_form_refuses_out_of_range_params(client, rw, bob, sent):
    client.force_login(bob)
    response = client.post(
        queue_url(rw.project),
        {
            "task": rw.qa.pk,
            "system": rw.target.pk,
            "institute": rw.institute_a.pk,
            "temperature": "5",
        },
    )
    assert response.status_code == 200
    assert "temperature" in response.content.decode().lower()
    assert not EvaluationJob.objects.filter(requested_by=bob).exists()


def test_viewer_cannot_open_the_queue_form(client, rw, vera):
    client.force_login(vera)
    assert client.get(queue_url(rw.project)).status_code == 403


def test_project_results_link_include_offers_the_queue_form_to_those_who_act(rw, bob, vera):
    from django.template.loader import render_to_string

    html = render_to_string(
        "evaluations/results/_project_results_link.html", {"project": rw.project, "can_act": True}
    )
    assert queue_url(rw.project) in html
    assert reverse("projects:results", kwargs={"slug": rw.project.slug}) in html
    html = render_to_string(
        "evaluations/results/_project_results_link.html", {"project": rw.project, "can_act": False}
    )
    assert queue_url(rw.project) not in html
