"""THE ACCEPTANCE of the developer's side: a developer contact sees the findings and the frozen
report version shared with them, and nothing else of the project (its runs, samples, results,
jobs, unshared findings, drafts) nor of any other project: 404 on every such page and API
address, and only shared objects in the API's lists."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse
from rest_framework.test import APIClient

from evaluations.models import Finding
from evaluations.services import findings as finding_services
from evaluations.services import reports as report_services
from institutes import access
from institutes.models import Role
from tests.api_clients import issue_token
from tests.evaluations.results_world import build_results_world
from tests.factories import member

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared_world(dw, alice, pm, devon, institute_a, institute_b, invite):
    """The results project (runs, samples, a job) with devon as its developer contact, a shared
    finding and an unshared one, a frozen report version shared with him and a draft after it;
    the joint world's project ("frontier") is another project he is no contact of."""
    from evaluations.services import developer_contacts

    rw = build_results_world(institute_a=institute_a, institute_b=institute_b, slug="shared")
    carol_b = member("bea", institute_b, Role.LEAD)
    access.forget(alice)  # the project is newer than what was worked out for her
    _, token = invite(rw.project, alice)
    developer_contacts.developer_contact_accept(token=token, user=devon)
    shared = finding_services.finding_create(
        user=alice, project=rw.project, title="SHARED finding", runs=[rw.run_a]
    )
    unshared = finding_services.finding_create(
        user=alice, project=rw.project, title="UNSHARED finding"
    )
    for status in ("agreed", "shared_with_developer"):
        finding_services.finding_transition(user=alice, finding=shared, status=status)
    finding_services.finding_transition(user=alice, finding=unshared, status="agreed")
    frozen = report_services.report_draft(project=rw.project, by=alice, title="SHARED report")
    report_services.report_submit(report=frozen, by=alice)
    report_services.report_approve(report=frozen, by=alice, institute=institute_a)
    frozen = report_services.report_approve(report=frozen, by=carol_b, institute=institute_b)
    frozen = report_services.report_share(report=frozen, by=alice)
    draft = report_services.report_new_version(report=frozen, by=alice)
    return rw, shared, unshared, frozen, draft


def _maybe(name: str, **kwargs) -> str | None:
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:  # a page another part of the work has not added
        return None


def test_a_developer_contact_sees_what_was_shared_and_nothing_else(shared_world, client, devon, dw):
    rw, shared, unshared, frozen, draft = shared_world
    slug, run, other = rw.project.slug, rw.run_a, dw.project.slug
    sample = run.samples.order_by("pk").first()
    forbidden_pages = [
        reverse("projects:detail", kwargs={"slug": slug}),
        reverse("projects:results", kwargs={"slug": slug}),
        reverse("projects:results_csv", kwargs={"slug": slug}),
        reverse("projects:runs", kwargs={"slug": slug}),
        reverse("projects:replications", kwargs={"slug": slug}),
        reverse("runs:detail", kwargs={"run_id": run.pk}),
        reverse("runs:log", kwargs={"run_id": run.pk}),
        reverse("runs:samples_csv", kwargs={"run_id": run.pk}),
        reverse("runs:sample_detail", kwargs={"run_id": run.pk, "sample_pk": sample.pk}),
        reverse("jobs:detail", kwargs={"job_id": rw.job.pk}),
        reverse("reviews:queues", kwargs={"slug": slug}),
        reverse("projects:detail", kwargs={"slug": other}),
        reverse("developers:project", kwargs={"slug": other}),
        reverse("developers:contacts", kwargs={"slug": slug}),
        _maybe("projects:finding", slug=slug, pk=shared.pk),  # the participants' page
        _maybe("projects:finding", slug=slug, pk=unshared.pk),
        _maybe("developers:finding", finding_id=unshared.pk),
        _maybe("developers:finding", finding_id=dw.jw.finding.pk),
        _maybe("reports:detail", slug=slug, number=draft.number),
        _maybe("reports:edit", slug=slug, number=draft.number),
        _maybe("reports:pdf", slug=slug, number=draft.number),
        _maybe("reports:bundle", slug=slug, number=frozen.number),
    ]
    forbidden_api = [
        f"/api/v1/projects/{slug}/",
        f"/api/v1/projects/{slug}/results/",
        f"/api/v1/projects/{other}/",
        f"/api/v1/runs/{run.pk}/",
        f"/api/v1/runs/{run.pk}/samples/",
        f"/api/v1/jobs/{rw.job.pk}/",
        f"/api/v1/findings/{unshared.pk}/",
        f"/api/v1/findings/{dw.jw.finding.pk}/",
        f"/api/v1/projects/{slug}/developer-contacts/",
        f"/api/v1/projects/{slug}/reports/{draft.number}/",
    ]
    client.force_login(devon)
    wrong = []
    for url in filter(None, forbidden_pages):
        status = client.get(url).status_code
        if status != 404:
            wrong.append(f"GET {url}: {status}")
    _, raw = issue_token(devon, scope="read", name="dev")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    for url in forbidden_api:
        status = api.get(url).status_code
        if status != 404:
            wrong.append(f"API {url}: {status}")
    # lists: nothing of the project but what was shared
    for url in ("/api/v1/projects/", "/api/v1/runs/", "/api/v1/jobs/", "/api/v1/review-queues/"):
        body = api.get(url).json()
        if body.get("results"):
            wrong.append(f"API {url} lists {body['results']}")
    findings = api.get("/api/v1/findings/", {"page_size": 500}).json().get("results", [])
    if {row["id"] for row in findings} - {shared.pk}:
        wrong.append(f"API /api/v1/findings/ lists {[row['id'] for row in findings]}")
    assert not wrong, "\n".join(wrong)

    # what was shared: on his pages, and each one's own page where it exists
    home = client.get(reverse("developers:home")).content.decode()
    assert "SHARED finding" in home
    assert "SHARED report" in home
    assert "UNSHARED finding" not in home
    allowed = [
        reverse("developers:home"),
        reverse("developers:project", kwargs={"slug": slug}),
        _maybe("developers:finding", finding_id=shared.pk),
        _maybe("reports:detail", slug=slug, number=frozen.number),
    ]
    for url in filter(None, allowed):
        assert client.get(url).status_code == 200, url


def test_revoking_the_contact_closes_everything_at_once(shared_world, client, devon, alice):
    from evaluations.models import DeveloperContact
    from evaluations.services import developer_contacts

    rw, shared, _, frozen, _ = shared_world
    contact = DeveloperContact.objects.get(user=devon, project=rw.project)
    developer_contacts.developer_contact_revoke(contact=contact, by=alice)
    client.force_login(devon)
    for url in filter(
        None,
        [
            reverse("developers:project", kwargs={"slug": rw.project.slug}),
            _maybe("developers:finding", finding_id=shared.pk),
            _maybe("reports:detail", slug=rw.project.slug, number=frozen.number),
        ],
    ):
        assert client.get(url).status_code == 404, url
    assert "SHARED finding" not in client.get(reverse("developers:home")).content.decode()
    assert Finding.objects.filter(pk=shared.pk, shared_at__isnull=False).exists()


def test_sharing_mails_the_developer_contact_with_links_to_their_pages(
    dw, alice, devon, active_devon, django_capture_on_commit_callbacks
):
    from django.core import mail

    finding = dw.jw.finding
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        finding_services.finding_transition(user=alice, finding=finding, status="agreed")
        finding_services.finding_transition(
            user=alice, finding=finding, status="shared_with_developer"
        )
    assert [m.to for m in mail.outbox] == [[devon.email]]
    body = mail.outbox[0].body
    assert finding.title in body
    path = _maybe("developers:finding", finding_id=finding.pk)
    if path:
        assert f"http://127.0.0.1:8000{path}" in body or path in body
