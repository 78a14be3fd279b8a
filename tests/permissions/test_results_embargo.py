"""Embargo cases of the results routes (entries_results.py holds one entry per route, without
an embargo). While a project is embargoed, a programme manager who is not a participant sees the
project and its jobs but none of its results: run-level routes answer 404, project-level pages a
notice; participants (even viewers) still see everything."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.permissions.registry import LOGIN


@pytest.fixture
def embargoed(world):
    project = world.rw.project
    project.embargo_until = timezone.now() + timedelta(days=30)
    project.save(update_fields=["embargo_until"])
    return world


def _urls(w) -> dict[str, str]:
    rw = w.rw
    slug = rw.project.slug
    run = rw.run_a.pk
    return {
        "run_detail": reverse("runs:detail", kwargs={"run_id": run}),
        "run_log": reverse("runs:log", kwargs={"run_id": run}),
        "run_samples_csv": reverse("runs:samples_csv", kwargs={"run_id": run}),
        "run_samples_json": reverse("runs:samples_json", kwargs={"run_id": run}),
        "sample_detail": reverse(
            "runs:sample_detail", kwargs={"run_id": run, "sample_pk": w.sample_a.pk}
        ),
        "run_compare": reverse("runs:compare") + f"?a={run}&b={rw.run_b.pk}",
        "results_csv": reverse("projects:results_csv", kwargs={"slug": slug}),
        "results_json": reverse("projects:results_json", kwargs={"slug": slug}),
    }


NOTICE_PAGES = ("projects:results", "projects:runs", "projects:replications")


@pytest.mark.parametrize(
    "name",
    [
        "run_detail",
        "run_log",
        "run_samples_csv",
        "run_samples_json",
        "sample_detail",
        "run_compare",
        "results_csv",
        "results_json",
    ],
)
def test_embargoed_results_are_404_for_a_programme_manager_outside_the_project(
    name, embargoed, client
):
    client.force_login(embargoed.users["pm"])
    assert client.get(_urls(embargoed)[name]).status_code == 404


@pytest.mark.parametrize("name", NOTICE_PAGES)
def test_embargoed_project_pages_show_a_notice_not_results_to_a_programme_manager(
    name, embargoed, client
):
    client.force_login(embargoed.users["pm"])
    response = client.get(reverse(name, kwargs={"slug": embargoed.rw.project.slug}))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Results under embargo" in body
    assert f"/runs/{embargoed.rw.run_a.pk}/" not in body
    assert "0.667" not in body  # run_a's score


@pytest.mark.parametrize("name", NOTICE_PAGES)
def test_embargoed_project_pages_still_show_results_to_a_participating_viewer(
    name, embargoed, client
):
    client.force_login(embargoed.users["viewer"])
    response = client.get(reverse(name, kwargs={"slug": embargoed.rw.project.slug}))
    assert response.status_code == 200
    assert "Results under embargo" not in response.content.decode()


def test_embargoed_sample_cannot_be_reviewed_by_a_programme_manager_outside(embargoed, client):
    client.force_login(embargoed.users["pm"])
    url = reverse(
        "runs:sample_review",
        kwargs={"run_id": embargoed.rw.run_a.pk, "sample_pk": embargoed.sample_a.pk},
    )
    response = client.post(url, {"label": embargoed.label.pk})
    assert response.status_code == 404


def test_embargoed_job_page_hides_its_run_from_a_programme_manager_outside(embargoed, client):
    client.force_login(embargoed.users["pm"])
    response = client.get(reverse("jobs:detail", kwargs={"job_id": embargoed.rw.job.pk}))
    assert response.status_code == 200
    body = response.content.decode()
    assert f"/runs/{embargoed.rw.run_a.pk}/" not in body
    assert "under embargo" in body


def test_anonymous_is_sent_to_login_for_every_embargoed_result(embargoed, client):
    for url in _urls(embargoed).values():
        response = client.get(url)
        assert response.status_code == 302, url
        assert reverse("login") in response["Location"], (url, LOGIN)
