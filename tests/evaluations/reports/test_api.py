"""The reports API: drafting, PATCH only while a draft (400 after), submit, approve by institute
code, the freeze, share, and the PDF/ZIP downloads; developer contacts see frozen shared versions
only."""

from __future__ import annotations

import io
import zipfile

import pytest

from evaluations.models import Report
from evaluations.services import reports
from tests.api_clients import bearer
from tests.evaluations.reports.conftest import frozen_report

pytestmark = pytest.mark.django_db


def base(project) -> str:
    return f"/api/v1/projects/{project.slug}/reports/"


def test_draft_patch_submit_approve_freeze(rw, alice, institute_a, institute_b):
    api = bearer(alice)
    created = api.post(
        base(rw.project),
        {"title": "Joint", "sections": [{"title": "Summary", "markdown": "Fine."}]},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["number"] == 1
    assert created.json()["sections"][0]["key"] == "summary"
    url = base(rw.project) + "1/"
    patched = api.patch(url, {"title": "Joint report"}, format="json")
    assert patched.status_code == 200
    assert patched.json()["title"] == "Joint report"
    assert api.post(base(rw.project), {"title": "Another"}, format="json").status_code == 400
    assert api.post(url + "submit/", format="json").status_code == 200
    refused = api.patch(url, {"title": "Changed"}, format="json")
    assert refused.status_code == 400
    assert "cannot be edited" in refused.json()["error"]["message"]
    signed = api.post(
        url + "approve/", {"institute": institute_a.code, "comment": "ok"}, format="json"
    )
    assert signed.status_code == 200
    assert signed.json()["status"] == "submitted"
    assert (
        api.post(url + "approve/", {"institute": institute_b.code}, format="json").status_code
        == 403
    )
    frozen = bearer(rw.carol).post(url + "approve/", {"institute": institute_b.code}, format="json")
    body = frozen.json()
    assert body["status"] == "frozen"
    assert len(body["content_hash"]) == 64
    assert body["content"]["findings"][0]["title"] == "Solves CTFs"
    assert [a["institute"] for a in body["approvals"]] == [institute_a.code, institute_b.code]
    listing = api.get(base(rw.project)).json()["results"]
    assert [r["number"] for r in listing] == [1]


def test_pdf_and_bundle(rw, alice, institute_a, institute_b):
    frozen_report(rw, alice, institute_a, institute_b)
    api = bearer(alice)
    pdf = api.get(base(rw.project) + "1/pdf/", HTTP_ACCEPT="application/pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    bundle = api.get(base(rw.project) + "1/bundle/", HTTP_ACCEPT="application/zip")
    assert bundle.status_code == 200
    assert bundle["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(b"".join(bundle.streaming_content))).namelist()
    assert "results.csv" in names


def test_share_and_developer_view(rw, alice, dev, institute_a, institute_b):
    frozen = frozen_report(rw, alice, institute_a, institute_b)
    devapi = bearer(dev, scope="read")
    assert devapi.get(base(rw.project)).json()["results"] == []
    assert devapi.get(base(rw.project) + "1/").status_code == 404
    shared = bearer(alice).post(base(rw.project) + "1/share/", format="json")
    assert shared.status_code == 200
    assert shared.json()["shared_at"]
    reports.report_new_version(report=frozen, by=alice)
    listing = devapi.get(base(rw.project)).json()["results"]
    assert [r["number"] for r in listing] == [1]
    assert devapi.get(base(rw.project) + "1/").status_code == 200
    assert devapi.get(base(rw.project) + "2/").status_code == 404
    assert devapi.get(base(rw.project) + "1/pdf/").status_code == 200
    assert devapi.get(base(rw.project) + "1/bundle/").status_code == 404


def test_outsiders_get_404(rw, alice, charlie):
    reports.report_draft(project=rw.project, by=alice, title="Draft")
    api = bearer(charlie)
    assert api.get(base(rw.project)).status_code == 404
    assert api.get(base(rw.project) + "1/").status_code == 404
    assert api.post(base(rw.project), {"title": "x"}, format="json").status_code == 404
    assert Report.objects.count() == 1


def test_bad_input_is_a_clear_400(rw, alice):
    api = bearer(alice)
    answer = api.post(
        base(rw.project), {"title": "T", "sections": [{"markdown": "x"}]}, format="json"
    )
    assert answer.status_code == 400
    assert "title" in answer.json()["error"]["message"]
    assert (
        api.post(base(rw.project), {"title": "T", "based_on": 9}, format="json").status_code == 400
    )
    assert not Report.objects.exists()
