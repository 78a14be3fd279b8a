"""The report pages: the versions, drafting and editing, the signatures, the frozen page with
its hash, the PDF and the bundle, who sees what (developer contacts: frozen shared versions and
their PDF only), and sanitised Markdown."""

from __future__ import annotations

import zipfile

import pytest
from django.urls import reverse

from evaluations.models import Report
from evaluations.services import reports
from institutes.models import AuditEvent
from tests.evaluations.reports.conftest import frozen_report

pytestmark = pytest.mark.django_db


def url(name, report=None, project=None):
    kwargs = {"slug": (project or report.project).slug}
    if report is not None:
        kwargs["number"] = report.number
    return reverse(f"reports:{name}", kwargs=kwargs)


def test_a_lead_drafts_edits_submits_and_both_institutes_sign(
    client, rw, alice, institute_a, institute_b
):
    client.force_login(alice)
    assert client.get(url("list", project=rw.project)).status_code == 200
    response = client.post(
        url("create", project=rw.project),
        {
            "title": "Joint report",
            "sections-TOTAL_FORMS": "2",
            "sections-INITIAL_FORMS": "0",
            "sections-0-title": "Summary",
            "sections-0-markdown": "It **solves** CTFs.",
            "sections-1-title": "",
            "sections-1-markdown": "",
        },
    )
    report = Report.objects.get(project=rw.project)
    assert response.status_code == 302
    assert response.url == url("detail", report)
    assert report.sections == [
        {"key": "summary", "title": "Summary", "markdown": "It **solves** CTFs."}
    ]
    page = client.get(url("detail", report)).content.decode()
    assert "Draft: figures are read live and will be fixed when the last institute signs" in page
    response = client.post(
        url("edit", report),
        {
            "title": "Joint report v1",
            "sections-TOTAL_FORMS": "2",
            "sections-INITIAL_FORMS": "1",
            "sections-0-title": "Summary",
            "sections-0-markdown": "Changed.",
            "sections-0-DELETE": "on",
            "sections-1-title": "Limitations",
            "sections-1-markdown": "Few samples.",
        },
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.title == "Joint report v1"
    assert [s["title"] for s in report.sections] == ["Limitations"]
    client.post(url("submit", report))
    report.refresh_from_db()
    assert report.status == Report.Status.SUBMITTED
    response = client.get(url("edit", report), follow=True)
    assert "cannot be edited: draft a new version" in response.content.decode()
    page = client.get(url("detail", report)).content.decode()
    assert f"Approve for {institute_a.name}" in page
    assert f"Approve for {institute_b.name}" not in page
    client.post(url("approve", report), {"institute": institute_a.pk, "comment": "Fine by A."})
    client.force_login(rw.carol)
    client.post(url("approve", report), {"institute": institute_b.pk})
    report.refresh_from_db()
    assert report.status == Report.Status.FROZEN
    page = client.get(url("detail", report)).content.decode()
    assert f"Version 1, frozen {report.frozen_at:%-d %b %Y}" in page
    assert f"SHA-256 <code>{report.content_hash}</code>" in page
    assert "Fine by A." in page


def test_the_project_page_links_the_reports(client, rw, alice):
    client.force_login(alice)
    page = client.get(reverse("projects:detail", kwargs={"slug": rw.project.slug}))
    assert url("list", project=rw.project) in page.content.decode()


def test_the_frozen_page_reads_the_stored_content(
    client, rw, alice, institute_a, institute_b, django_assert_max_num_queries
):
    report = frozen_report(rw, alice, institute_a, institute_b)
    Report.objects.filter(pk=report.pk).update(
        content={
            **report.content,
            "institutes": [{**i, "name": "As frozen"} for i in report.content["institutes"]],
        }
    )
    client.force_login(alice)
    with django_assert_max_num_queries(25):
        page = client.get(url("detail", report)).content.decode()
    assert "As frozen" in page


def test_the_draft_page_is_n_plus_one_free(client, rw, alice, django_assert_max_num_queries):
    report = reports.report_draft(project=rw.project, by=alice, title="Draft")
    client.force_login(alice)
    client.get(url("detail", report))
    with django_assert_max_num_queries(45):
        assert client.get(url("detail", report)).status_code == 200


def test_pdf_and_bundle_of_a_frozen_version_are_audited(
    client, rw, alice, institute_a, institute_b
):
    report = frozen_report(rw, alice, institute_a, institute_b)
    client.force_login(alice)
    response = client.get(url("pdf", report))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"]
    response = client.get(url("bundle", report))
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    import io

    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "report.pdf" in names
    assert "results.json" in names
    formats = sorted(e.changes.get("format") for e in AuditEvent.objects.filter(action="export"))
    assert formats == ["pdf", "zip"]


def test_a_draft_has_no_pdf(client, rw, alice):
    report = reports.report_draft(project=rw.project, by=alice, title="Draft")
    client.force_login(alice)
    assert client.get(url("pdf", report)).status_code == 404
    assert client.get(url("bundle", report)).status_code == 404


def test_outsiders_get_404_and_evaluators_cannot_draft(client, rw, alice, bob, charlie):
    report = reports.report_draft(project=rw.project, by=alice, title="Draft")
    client.force_login(charlie)
    assert client.get(url("list", project=rw.project)).status_code == 404
    assert client.get(url("detail", report)).status_code == 404
    client.force_login(bob)
    assert client.get(url("detail", report)).status_code == 200
    assert client.get(url("create", project=rw.project)).status_code == 403
    assert client.post(url("submit", report)).status_code == 403
    report.refresh_from_db()
    assert report.status == Report.Status.DRAFT


def test_a_developer_contact_sees_only_frozen_shared_versions(
    client, rw, alice, dev, institute_a, institute_b
):
    frozen = frozen_report(rw, alice, institute_a, institute_b)
    client.force_login(dev)
    assert client.get(url("detail", frozen)).status_code == 404  # not shared yet
    assert client.get(url("pdf", frozen)).status_code == 404
    reports.report_share(report=frozen, by=alice)
    draft = reports.report_new_version(report=frozen, by=alice)
    listing = client.get(url("list", project=rw.project))
    assert listing.status_code == 200
    assert [row["report"].number for row in listing.context["rows"]] == [1]
    page = client.get(url("detail", frozen))
    assert page.status_code == 200
    body = page.content.decode()
    assert reverse("runs:detail", kwargs={"run_id": rw.target_run.pk}) not in body  # no links
    assert "Approve for" not in body
    assert client.get(url("pdf", frozen)).status_code == 200
    assert client.get(url("bundle", frozen)).status_code == 404  # holds run logs
    assert client.get(url("detail", draft)).status_code == 404
    assert client.post(url("new_version", frozen)).status_code == 404
    assert client.post(url("share", frozen)).status_code == 404
    assert (
        client.get(reverse("projects:detail", kwargs={"slug": rw.project.slug})).status_code == 404
    )


MALICIOUS = (
    "Intro <script>alert(1)</script>\n\n"
    '<img src="http://evil/x.png" alt="pixel">\n\n'
    "![tracker](http://evil/y.png)\n\n"
    "[x](javascript:alert(1))\n"
)


def test_markdown_sections_are_sanitised(client, rw, alice, institute_a, institute_b):
    report = frozen_report(
        rw, alice, institute_a, institute_b, sections=[{"title": "Notes", "markdown": MALICIOUS}]
    )
    client.force_login(alice)
    body = client.get(url("detail", report)).content.decode()
    section = body[body.index("Intro") : body.index("Intro") + 600]
    assert "<script>" not in section
    assert "alert(1)</script>" not in section
    assert "evil" not in section
    assert "javascript:" not in section
    assert "<img" not in section
