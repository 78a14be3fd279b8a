"""A report's files: the PDF (WeasyPrint, fetching nothing outside Concord) and the ZIP bundle.

The acceptance test of joint reports runs on the demo project: drafted by a lead, signed by both
institutes, frozen on the last signature; its PDF read back with `pdftotext` holds the results
tables and the findings, a frozen version refuses edits, a run arriving later changes nothing in
it, and its bundle holds the frozen cells, the stored logs byte for byte and the content hash.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
import subprocess
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from evaluations import logstore
from evaluations.models import EvaluationProject, EvaluationRun, Report
from evaluations.results import report_files
from evaluations.results.report_content import build_report_content, content_hash
from evaluations.services import reports
from evaluations.templatetags.results_extras import interval, score
from tests.browser.conftest import SCREENSHOTS
from tests.evaluations.factories import RunFactory, add_samples

pytestmark = pytest.mark.skipif(
    not (shutil.which("pdftotext") and shutil.which("pdftoppm") and shutil.which("pdfimages")),
    reason="poppler-utils (pdftotext, pdftoppm, pdfimages) is not installed: .ci/run installs it",
)

# A 1x1 PNG: the one image a test document may embed (as a data: URI).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8cfc0f01f0005000201a5f9d1c40000000049454e44ae426082"
)
PNG_DATA_URI = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP4z8DwHwAFAAIBpfnRxAAAAABJRU5ErkJggg=="


def pdf_text(pdf: bytes) -> str:
    """The PDF's text, whitespace collapsed (table cells wrap across lines)."""
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode("utf-8")
    return " ".join(out.split())


def pdf_image_count(pdf: bytes, tmp_path: Path) -> int:
    path = tmp_path / "images.pdf"
    path.write_bytes(pdf)
    listing = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, check=True, text=True
    ).stdout.splitlines()
    rows = [line.split() for line in listing[2:]]  # after the two header lines
    return len([row for row in rows if len(row) > 2 and row[2] == "image"])  # not their masks


def cell_figures(content: dict) -> list[tuple[str, str, str, str]]:
    """(task, mean, interval, n) of every cell with a result, formatted as the report prints them."""
    out = []
    for part in content["results"]:
        for row in part["rows"]:
            for cell in row["cells"]:
                if cell["run"] is not None:
                    out.append(
                        (row["task"], score(cell["mean"]), interval(cell["ci"]), str(cell["n"]))
                    )
    return out


class RecordingServer:
    """A real HTTP server on loopback that serves a PNG and records every request it gets."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(PNG)))
                self.end_headers()
                self.wfile.write(PNG)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def http_server():
    with RecordingServer() as server:
        yield server


def test_the_server_in_these_tests_answers(http_server):
    """The control: the recording server is real, so silence below means nothing was asked."""
    import urllib.request

    with urllib.request.urlopen(f"{http_server.url}/control.png", timeout=5) as response:
        assert response.read() == PNG
    assert http_server.requests == ["/control.png"]


def test_the_fetcher_refuses_everything_but_data_and_concords_static_files(http_server, tmp_path):
    url = http_server.url
    html = f"""<!DOCTYPE html><html><head>
      <link rel="stylesheet" href="{url}/style.css">
      <style>@import url("{url}/import.css"); body {{ background: url("{url}/bg.png"); }}
        @font-face {{ font-family: x; src: url("{url}/font.woff"); }}</style>
      </head><body>
      <img src="{url}/remote.png" alt="remote">
      <img src="//127.0.0.1:{http_server.server.server_address[1]}/protocol-relative.png">
      <img src="file:///etc/passwd"><img src="file:///etc/hostname">
      <img src="/static/../../../etc/passwd"><img src="ftp://127.0.0.1/x.png">
      <img src="{PNG_DATA_URI}" alt="inline">
      <img src="/static/favicon.svg" alt="Concord's own static file">
      <iframe src="{url}/frame.html"></iframe><object data="{url}/object.png"></object>
      <p>Text</p></body></html>"""
    fetcher = report_files.url_fetcher()
    pdf = report_files.html_to_pdf(html, fetcher=fetcher)

    assert pdf.startswith(b"%PDF")
    assert http_server.requests == []  # not one request reached the server
    refused = " ".join(fetcher.refused)
    for path in ("/style.css", "/import.css", "/bg.png", "/remote.png", "/protocol-relative.png"):
        assert path in refused
    assert "file:///etc/passwd" in refused
    assert "etc/passwd" not in pdf_text(pdf)
    assert any(u.endswith("/static/favicon.svg") for u in fetcher.served)  # read from disk
    assert not any(u.startswith("data:") for u in fetcher.refused)
    assert pdf_image_count(pdf, tmp_path) == 1  # the data: PNG alone is embedded


def test_static_files_are_read_only_inside_the_static_folders():
    assert report_files.static_file("css/report-print.css") is not None
    assert report_files.static_file("../../etc/passwd") is None
    assert report_files.static_file("/etc/passwd") is None
    assert report_files.static_file("") is None


@pytest.mark.django_db
def test_markdown_and_html_in_a_report_fetch_nothing_and_embed_no_file(
    rw, alice, http_server, tmp_path
):
    url = http_server.url
    report = reports.report_draft(
        project=rw.project,
        by=alice,
        title="Report with hostile text",
        sections=[
            {
                "title": "Summary",
                "markdown": (
                    f'Look: ![x]({url}/x.png) and <img src="{url}/raw.png"> '
                    '<img src="file:///etc/passwd"> <link rel="stylesheet" '
                    f'href="{url}/s.css"> <style>p {{ background: url({url}/bg.png) }}</style> '
                    f'<script>fetch("{url}/script")</script> [a link]({url}/link) stays a link.'
                ),
            },
            {"title": "Limitations", "markdown": "Two samples on the reference system only."},
        ],
    )
    pdf = report_files.render_report_pdf(report)

    assert http_server.requests == []
    assert pdf_image_count(pdf, tmp_path) == 0
    text = pdf_text(pdf)
    assert "a link stays a link" in text
    assert "Two samples on the reference system only." in text
    assert "root:" not in text
    assert "Capture the flag" in text
    assert "Solves CTFs" in text
    assert "Unreviewed idea" not in text  # agreed findings only


@pytest.mark.django_db
def test_the_body_links_runs_only_for_readers_who_may_open_them(rw, alice):
    from django.template.loader import render_to_string

    report = reports.report_draft(project=rw.project, by=alice, title="Links")
    content = report_files.report_content(report)
    run_url = f"/runs/{rw.target_run.pk}/"
    linked = render_to_string(
        "evaluations/reports/_body.html", {"report": report, "content": content, "link_runs": True}
    )
    plain = render_to_string(
        "evaluations/reports/_body.html", {"report": report, "content": content, "link_runs": False}
    )
    assert f'href="{run_url}"' in linked
    assert "href=" not in plain
    assert f"Run {rw.target_run.pk}" in plain
    # methods: the deviation beside its run, the grader model, the partial reference run
    assert "Two retries allowed." in plain
    assert "openai/gpt-4o" in plain
    assert "partial" in plain


# --------------------------------------------------------------------------------------------
# The acceptance test, on the demo project
# --------------------------------------------------------------------------------------------


@pytest.fixture
def demo(db, settings, tmp_path):
    from evaluations.seed import PROJECT_SLUG, seed_project
    from evaluations.seed_runs import seed_demo_runs
    from institutes.seed import seed_institutes

    settings.CONCORD_LOG_DIR = tmp_path / "logs"
    people = seed_institutes()
    project = seed_project(people)
    seed_demo_runs(people, project)
    return people, EvaluationProject.objects.get(slug=PROJECT_SLUG)


def test_a_joint_report_on_the_demo_project_freezes_and_its_files_hold_the_frozen_figures(
    demo, tmp_path
):
    people, project = demo
    alice, carol = people.users["alice"], people.users["carol"]
    uk, us = (p.institute for p in project.participations.order_by("institute__code"))
    domain = build_report_content(project)["results"][0]["domain"]
    report = reports.report_draft(
        project=project,
        by=alice,
        title="Frontier-1: joint pre-deployment evaluation",
        sections=[
            {"title": "Summary", "markdown": "Frontier-1 was evaluated by **two institutes**."},
            {"title": domain, "markdown": f"About {domain}: run with the shipped suites."},
            {"title": "Limitations", "markdown": "Scripted demo models: no real model evaluated."},
        ],
    )
    reports.report_submit(report=report, by=alice)
    report = reports.report_approve(report=report, by=alice, institute=uk)
    assert report.status == Report.Status.SUBMITTED
    report = reports.report_approve(report=report, by=carol, institute=us, comment="Agreed.")
    assert report.status == Report.Status.FROZEN
    report.refresh_from_db()
    frozen: dict = report.content or {}
    assert report.content_hash == content_hash(frozen)

    # The PDF holds the results tables (task names and figures as printed) and the findings.
    pdf = report_files.render_report_pdf(report)
    text = pdf_text(pdf)
    figures = cell_figures(frozen)
    assert len(figures) >= 6
    for task, mean, ci, n in figures:
        assert task in text
        assert mean in text
        assert ci in text
        assert f"n={n}" in text
    assert frozen["findings"], "the demo has an agreed finding"
    for finding in frozen["findings"]:
        assert finding["title"] in text
    assert report.content_hash in text
    assert f"About {domain}: run with the shipped suites." in text
    assert "Scripted demo models: no real model evaluated." in text
    for system in frozen["systems"]:
        assert system["system"] in text

    # The first page, as a picture for the documentation.
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (tmp_path / "report.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-singlefile", "-f", "1", "-l", "1",
         str(tmp_path / "report.pdf"), str(SCREENSHOTS / "report-pdf")],
        check=True,
    )  # fmt: skip
    assert (SCREENSHOTS / "report-pdf.png").stat().st_size > 1000

    # A frozen version refuses edits.
    with pytest.raises(ValidationError):
        reports.report_update(report=report, by=alice, title="Rewritten")
    with pytest.raises(ValidationError):
        reports.report_submit(report=report, by=alice)

    # A run arriving afterwards changes the live figures, not the frozen ones.
    cell_run = EvaluationRun.objects.get(pk=frozen["results"][0]["rows"][0]["cells"][0]["run"])
    newer = RunFactory(
        project=project,
        task=cell_run.task,
        system=cell_run.system,
        institute=cell_run.institute,
        primary_scorer=cell_run.primary_scorer,
        primary_metric=cell_run.primary_metric,
        primary_value=0.0,
        primary_stderr=0.0,
        sample_count=3,
        dataset_samples=3,
        complete=True,
    )
    add_samples(newer, [0, 0, 0])
    live = build_report_content(project, number=report.number, title=report.title)
    assert newer.pk in {c["run"] for p in live["results"] for r in p["rows"] for c in r["cells"]}
    report.refresh_from_db()
    assert report.content == frozen
    again = pdf_text(report_files.render_report_pdf(report))
    assert again == text
    assert f"Run {newer.pk}" not in again

    # The bundle: the PDF, the frozen cells as CSV and JSON, the stored logs, the hash.
    with report_files.report_bundle(report) as bundle, zipfile.ZipFile(bundle) as archive:
        names = archive.namelist()
        assert {"report.pdf", "results.csv", "results.json", "README.txt"} <= set(names)
        assert pdf_text(archive.read("report.pdf")) == text
        stored = json.loads(archive.read("results.json"))
        assert stored == frozen
        assert content_hash(stored) == report.content_hash
        rows = list(csv.reader(io.StringIO(archive.read("results.csv").decode("utf-8-sig"))))
        assert tuple(rows[0]) == report_files.CSV_FIELDS
        expected = [
            ["" if v is None else str(v) for v in row] for row in report_files.result_rows(frozen)
        ]
        assert rows[1:] == expected
        assert len(rows) - 1 == len(figures)
        csv_cells = {(r[1], r[2], r[8]): (float(r[4]), r[7]) for r in rows[1:]}
        for part in frozen["results"]:
            for row in part["rows"]:
                for cell in row["cells"]:
                    if cell["run"] is not None:
                        key = (row["task"], cell["system"], str(cell["run"]))
                        assert csv_cells[key] == (cell["mean"], str(cell["n"]))
        assert str(newer.pk) not in {r[8] for r in rows[1:]}

        logs = [n for n in names if n.startswith("logs/")]
        cited = EvaluationRun.objects.filter(pk__in=report_files.cited_run_ids(frozen))
        assert len(logs) == cited.exclude(log_file="").count() >= 6
        readme = archive.read("README.txt").decode("utf-8")
        assert report.content_hash in readme
        assert "inspect view" in readme
        assert "read_eval_log" in readme
        for run in cited.exclude(log_file=""):
            name = report_files.log_arcname(run)
            assert re.fullmatch(rf"logs/{run.pk}-[^/]+\.eval", name)
            with logstore.open_log(run.log_file) as source:
                stored_hash = hashlib.sha256(source.read()).hexdigest()
            assert hashlib.sha256(archive.read(name)).hexdigest() == stored_hash
            assert f"{stored_hash}  {name}" in readme
