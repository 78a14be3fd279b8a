"""The joint report's lifecycle (services.reports) and its frozen content
(results.report_content): draft, edit while a draft, submit, one signature per participating
institute, the freeze on the last one, the hash, new versions and sharing."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from evaluations.models import EvaluationRun, Report
from evaluations.results.report_content import build_report_content, content_hash
from evaluations.services import reports
from tests.evaluations.factories import RunFactory, add_samples

pytestmark = pytest.mark.django_db

SECTIONS = [
    {"title": "Summary", "markdown": "Frontier **solves** CTFs."},
    {"title": "Limitations", "markdown": "Few samples."},
]


def _frozen(rw, alice, institute_a, institute_b) -> Report:
    report = reports.report_draft(
        project=rw.project, by=alice, title="Joint report", sections=SECTIONS
    )
    reports.report_submit(report=report, by=alice)
    reports.report_approve(report=report, by=alice, institute=institute_a, comment="Fine by A.")
    return reports.report_approve(report=report, by=rw.carol, institute=institute_b)


def test_draft_numbers_and_keys_sections(rw, alice):
    report = reports.report_draft(project=rw.project, by=alice, title=" Joint ", sections=SECTIONS)
    assert report.number == 1
    assert report.status == Report.Status.DRAFT
    assert report.title == "Joint"
    assert [s["key"] for s in report.sections] == ["summary", "limitations"]


def test_only_leads_and_pms_draft(rw, bob, charlie, pm):
    with pytest.raises(PermissionDenied):
        reports.report_draft(project=rw.project, by=bob, title="Mine")
    with pytest.raises(PermissionDenied):
        reports.report_draft(project=rw.project, by=charlie, title="Mine")
    assert reports.report_draft(project=rw.project, by=pm, title="PM's").number == 1


def test_one_open_version_per_project(rw, alice):
    reports.report_draft(project=rw.project, by=alice, title="First")
    with pytest.raises(ValidationError, match="still draft"):
        reports.report_draft(project=rw.project, by=alice, title="Second")


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        ("text", "list"),
        ([{"markdown": "x"}], "needs a title"),
        ([{"title": "T", "markdown": 3}], "not text"),
        ([{"title": "T"}] * (reports.MAX_SECTIONS + 1), "at most"),
    ],
)
def test_bad_sections_are_refused(rw, alice, sections, message):
    with pytest.raises(ValidationError, match=message):
        reports.report_draft(project=rw.project, by=alice, title="T", sections=sections)
    assert not Report.objects.exists()


def test_edit_only_while_draft(rw, alice):
    report = reports.report_draft(project=rw.project, by=alice, title="Draft")
    report = reports.report_update(report=report, by=alice, sections=SECTIONS)
    assert report.title == "Draft"
    assert len(report.sections) == 2
    reports.report_submit(report=report, by=alice)
    with pytest.raises(ValidationError, match="cannot be edited: draft a new version"):
        reports.report_update(report=report, by=alice, title="Changed")
    with pytest.raises(ValidationError, match="Only a draft can be submitted"):
        reports.report_submit(report=report, by=alice)


def test_signatures_and_freeze_on_the_last(
    rw, alice, charlie, institute_a, institute_b, institute_c
):
    report = reports.report_draft(project=rw.project, by=alice, title="Joint", sections=SECTIONS)
    with pytest.raises(ValidationError, match="Only a submitted version"):
        reports.report_approve(report=report, by=alice, institute=institute_a)
    reports.report_submit(report=report, by=alice)
    with pytest.raises(PermissionDenied):  # alice does not lead B
        reports.report_approve(report=report, by=alice, institute=institute_b)
    with pytest.raises(ValidationError, match="does not take part"):
        reports.report_approve(report=report, by=charlie, institute=institute_c)
    report = reports.report_approve(report=report, by=alice, institute=institute_a)
    assert report.status == Report.Status.SUBMITTED
    assert report.content is None
    with pytest.raises(ValidationError, match="already signed"):
        reports.report_approve(report=report, by=alice, institute=institute_a)
    report = reports.report_approve(report=report, by=rw.carol, institute=institute_b)
    assert report.status == Report.Status.FROZEN
    assert report.frozen_at is not None
    stored = Report.objects.get(pk=report.pk)
    assert stored.content_hash == content_hash(stored.content) == report.content_hash
    assert len(stored.content_hash) == 64
    with pytest.raises(ValidationError, match="cannot be edited"):
        reports.report_update(report=stored, by=alice, title="Changed")
    with pytest.raises(ValidationError, match="Only a submitted version"):
        reports.report_approve(report=stored, by=alice, institute=institute_a)


def test_hash_is_sha256_of_canonical_json():
    import hashlib

    content = {"b": 1, "a": ["é", 0.5]}
    expected = hashlib.sha256('{"a":["é",0.5],"b":1}'.encode()).hexdigest()
    assert content_hash(content) == expected


def test_content_holds_results_methods_and_agreed_findings(
    rw, alice, institute_a, institute_b, target_system, reference_system
):
    report = _frozen(rw, alice, institute_a, institute_b)
    content = report.content
    json.dumps(content)  # plain JSON
    assert content["report"] == {"number": 1, "title": "Joint report"}
    assert content["project"]["title"] == rw.project.title
    assert [i["code"] for i in content["institutes"]] == sorted(
        [institute_a.code, institute_b.code],
        key=lambda code: {institute_a.code: institute_a.name, institute_b.code: institute_b.name}[
            code
        ],
    )
    assert {c["system"]: c["kind"] for c in content["systems"]} == {
        str(target_system): "target",
        str(reference_system): "reference",
    }
    [group] = content["results"]
    [row] = group["rows"]
    assert row["task"] == "Capture the flag"
    cells = {c["system"]: c for c in row["cells"]}
    target = cells[str(target_system)]
    assert target["run"] == rw.target_run.pk
    assert target["mean"] == pytest.approx(0.75)
    assert target["ci"] is not None
    assert target["ci"][0] < 0.75 < target["ci"][1]
    assert cells[str(reference_system)]["partial"] == "partial: 2 of 30"
    assert [f["title"] for f in content["findings"]] == ["Solves CTFs"]  # no draft
    assert content["findings"][0]["evidence"] == [
        {"kind": "run", "run": rw.target_run.pk, "label": f"Run {rw.target_run.pk}"}
    ]
    methods = content["methods"]
    assert methods["deviations"][0]["description"] == "Two retries allowed."
    assert methods["tasks"] == [
        {
            "name": "Capture the flag",
            "slug": "ctf",
            "inspect_ref": rw.task.inspect_ref,
            "domain": "No domain",
        }
    ]
    runs = {r["id"]: r for r in methods["runs"]}
    assert set(runs) == {rw.target_run.pk, rw.reference_run.pk}
    assert runs[rw.target_run.pk]["graders"] == ["model_graded_qa (openai/gpt-4o)"]
    assert runs[rw.target_run.pk]["institute"] == institute_a.code
    assert "http" not in json.dumps(content)  # references, no links


def test_frozen_content_does_not_change_when_a_new_run_arrives(
    rw, alice, institute_a, institute_b, target_system
):
    report = _frozen(rw, alice, institute_a, institute_b)
    frozen_content, frozen_hash = report.content, report.content_hash
    newer = RunFactory(
        project=rw.project, task=rw.task, system=target_system, institute=institute_a, scored=True
    )
    add_samples(newer, [0, 0, 0, 1])
    report.refresh_from_db()
    assert report.content == frozen_content
    assert report.content_hash == frozen_hash == content_hash(report.content)
    live = build_report_content(rw.project, number=1, title="Joint report")
    live_cells = {c["system"]: c for c in live["results"][0]["rows"][0]["cells"]}
    assert live_cells[str(target_system)]["run"] == newer.pk
    assert live_cells[str(target_system)]["mean"] == pytest.approx(0.25)
    assert content_hash(live) != frozen_hash
    assert EvaluationRun.objects.filter(project=rw.project).count() == 3


def test_new_version_copies_title_and_sections(rw, alice, institute_a, institute_b):
    frozen = _frozen(rw, alice, institute_a, institute_b)
    draft = reports.report_new_version(report=frozen, by=alice)
    assert draft.number == 2
    assert draft.based_on == frozen
    assert draft.title == frozen.title
    assert draft.sections == frozen.sections
    assert draft.status == Report.Status.DRAFT
    assert draft.content is None
    with pytest.raises(ValidationError, match="still draft"):
        reports.report_new_version(report=frozen, by=alice)
    with pytest.raises(ValidationError, match="starts from a frozen one"):
        reports.report_draft(project=rw.project, by=alice, title="x", based_on=draft)


def test_share_only_frozen_and_tells_contacts(rw, alice, institute_a, institute_b, monkeypatch):
    sent = []
    monkeypatch.setattr(
        reports.developer_mail, "notify_contacts", lambda project, **kw: sent.append((project, kw))
    )
    draft = reports.report_draft(project=rw.project, by=alice, title="Draft")
    with pytest.raises(ValidationError, match="Only a frozen version"):
        reports.report_share(report=draft, by=alice)
    reports.report_update(report=draft, by=alice, sections=SECTIONS)
    reports.report_submit(report=draft, by=alice)
    reports.report_approve(report=draft, by=alice, institute=institute_a)
    frozen = reports.report_approve(report=draft, by=rw.carol, institute=institute_b)
    shared = reports.report_share(report=frozen, by=alice)
    assert shared.shared_at is not None
    assert shared.shared_by == alice
    [(project, kwargs)] = sent
    assert project == rw.project
    assert kwargs["template"] == "report_shared"
    assert kwargs["context"]["url"].endswith(f"/projects/{rw.project.slug}/reports/1/")
    with pytest.raises(ValidationError, match="already shared"):
        reports.report_share(report=shared, by=alice)
