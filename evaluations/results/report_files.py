"""A joint report as files: its PDF, and the bundle a reader takes away to check it.

The PDF is the report's one template (`evaluations/reports/_body.html`, the same as the page)
printed by WeasyPrint with the print stylesheet inlined. WeasyPrint would fetch whatever the
document names (images, stylesheets, fonts by URL); here its fetcher refuses everything but
`data:` URIs and Concord's own static files, read from disk: no HTTP request leaves the server,
no file outside the static folders is read, whatever a section's Markdown or a finding's text
contains (the Markdown is sanitised before, and images dropped, too).

The bundle is a ZIP: `report.pdf`, `results.csv` (one line per cell of the results tables),
`results.json` (the content exactly as frozen: its SHA-256 in canonical form is the content hash),
`logs/<run id>-<name>` (the stored Inspect log of every run the report cites, byte for byte) and
`README.txt` (what the bundle is, the hash, and how to check a figure against a log). It is
written to a temporary file, logs copied in chunks, so large logs never sit in memory.

Figures come from the frozen content (`Report.content`); a version not frozen yet shows the live
content of `results.report_content.build_report_content`, as its page does.
"""

from __future__ import annotations

import hashlib
import json
import logging
import mimetypes
import tempfile
import zipfile
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils._os import safe_join

from evaluations.models import EvaluationRun, Report
from evaluations.results import report_content as report_content_module
from evaluations.results import transcripts
from evaluations.results.exports import csv_lines

logger = logging.getLogger(__name__)

PRINT_CSS = "css/report-print.css"
# The document's base: relative URLs resolve against it and only its static path is served, from
# disk. The `.invalid` name (RFC 2606) never resolves: nothing could be fetched from it anyway.
BASE_URL = "https://concord.invalid/"
COPY_CHUNK = 1024 * 1024
CSV_FIELDS = (
    "domain",
    "task",
    "system",
    "role",
    "mean",
    "ci_low",
    "ci_high",
    "n",
    "run_id",
    "partial",
    "judge_flags",
)


# --------------------------------------------------------------------------------------------
# What the report shows
# --------------------------------------------------------------------------------------------


def report_content(report: Report) -> dict[str, Any]:
    """The frozen content, or for a version not frozen yet the live one (as its page shows it)."""
    if report.status == Report.Status.FROZEN and report.content is not None:
        return report.content
    return report_content_module.build_report_content(
        report.project, number=report.number, title=report.title
    )


# --------------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------------


def _static_roots() -> list[Path]:
    roots = [Path(d) for d in getattr(settings, "STATICFILES_DIRS", [])]
    if settings.STATIC_ROOT:
        roots.append(Path(settings.STATIC_ROOT))
    return [root.resolve() for root in roots]


def _inside(path: Path, roots: list[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def static_file(relative: str) -> Path | None:
    """A static file of Concord's on disk (the project's static folders, the apps' and the
    collected ones), or None: never a path outside them."""
    relative = relative.lstrip("/")
    if not relative or "\x00" in relative:
        return None
    try:
        found = finders.find(relative)
    except SuspiciousFileOperation:
        return None
    if isinstance(found, list):
        found = found[0] if found else None
    candidates = [Path(found)] if found else []
    if settings.STATIC_ROOT:
        try:
            candidates.append(Path(safe_join(str(settings.STATIC_ROOT), relative)))
        except SuspiciousFileOperation:
            return None
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    return None


def _url_fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class ConcordOnlyFetcher(URLFetcher):
        """WeasyPrint's fetcher, allowed only `data:` URIs and Concord's static files from disk.
        Every other URL raises (WeasyPrint then leaves the resource out); `refused` lists them,
        `served` the static files read."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols=("data",), allow_redirects=False, timeout=1)
            self.refused: list[str] = []
            self.served: list[str] = []  # static files read from disk

        def fetch(self, url, headers=None):
            scheme = url.split(":", 1)[0].lower() if ":" in url else ""
            if scheme == "data":
                return super().fetch(url, headers)
            path = self._static_path(url, scheme)
            if path is None:
                self.refused.append(url)
                logger.info("Report PDF: refused to fetch %.200s", url)
                raise ValueError("A report PDF embeds nothing from outside Concord.")
            self.served.append(url)
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(
                path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type}
            )

        @staticmethod
        def _static_path(url: str, scheme: str) -> Path | None:
            parts = urlsplit(url)
            if scheme in ("http", "https"):
                if not url.startswith(BASE_URL) or parts.query:
                    return None
                static_url = "/" + settings.STATIC_URL.strip("/") + "/"
                if not parts.path.startswith(static_url):
                    return None
                return static_file(unquote(parts.path[len(static_url) :]))
            if scheme == "file" and not parts.netloc:
                path = Path(url2pathname(parts.path)).resolve()
                return path if path.is_file() and _inside(path, _static_roots()) else None
            return None

    return ConcordOnlyFetcher


def url_fetcher():
    """A new fetcher for one rendering (it records the URLs it refused)."""
    return _url_fetcher_class()()


def html_to_pdf(html: str, *, fetcher=None) -> bytes:
    """Any HTML document to PDF, fetching nothing outside Concord (see `url_fetcher`)."""
    from weasyprint import HTML

    fetcher = fetcher or url_fetcher()
    return HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).write_pdf()


def print_css() -> str:
    path = static_file(PRINT_CSS)
    if path is None:  # pragma: no cover (shipped in static/)
        raise FileNotFoundError(f"The report's print stylesheet {PRINT_CSS} is missing.")
    return path.read_text(encoding="utf-8")


def render_report_html(report: Report, *, content: dict[str, Any] | None = None) -> str:
    """The PDF's source: the report's body in a minimal print document (runs are plain text)."""
    return render_to_string(
        "evaluations/reports/pdf.html",
        {
            "report": report,
            "content": content if content is not None else report_content(report),
            "link_runs": False,
            "print_css": print_css(),
        },
    )


def render_report_pdf(report: Report, *, content: dict[str, Any] | None = None) -> bytes:
    """The report version as a PDF (bytes)."""
    return html_to_pdf(render_report_html(report, content=content))


# --------------------------------------------------------------------------------------------
# Bundle
# --------------------------------------------------------------------------------------------


def _judge_flag_text(flag: dict[str, Any]) -> str:
    def figure(value: Any) -> str:
        return f"{value:.3f}" if isinstance(value, int | float) else str(value)

    return f"{flag.get('judge')}: kappa {figure(flag.get('kappa'))} below {figure(flag.get('threshold'))}"


def result_rows(content: dict[str, Any]) -> list[list[Any]]:
    """One row per cell with a result, in the report's order (columns: CSV_FIELDS)."""
    columns = content.get("systems") or []
    rows = []
    for part in content.get("results") or []:
        for row in part.get("rows") or []:
            for position, cell in enumerate(row.get("cells") or []):
                if cell.get("run") is None:
                    continue
                column = columns[position] if position < len(columns) else {}
                ci = cell.get("ci") or [None, None]
                rows.append(
                    [
                        part.get("domain"),
                        row.get("task"),
                        cell.get("system"),
                        column.get("kind", ""),
                        cell.get("mean"),
                        ci[0],
                        ci[1],
                        cell.get("n"),
                        cell.get("run"),
                        "" if cell.get("complete", True) else (cell.get("partial") or "partial"),
                        "; ".join(_judge_flag_text(f) for f in cell.get("judge_flags") or []),
                    ]
                )
    return rows


def results_csv(content: dict[str, Any]) -> str:
    return "".join(csv_lines(CSV_FIELDS, result_rows(content)))


def cited_run_ids(content: dict[str, Any]) -> list[int]:
    """The runs the report cites: each cell's representative run and each finding's evidence."""
    ids: set[int] = set()
    for part in content.get("results") or []:
        for row in part.get("rows") or []:
            ids.update(c["run"] for c in row.get("cells") or [] if c.get("run") is not None)
    for run in (content.get("methods") or {}).get("runs") or []:
        if run.get("id") is not None:
            ids.add(run["id"])
    for finding in content.get("findings") or []:
        for item in finding.get("evidence") or []:
            ids.update(item[k] for k in ("run", "run_b") if item.get(k) is not None)
    return sorted(ids)


def log_arcname(run: EvaluationRun) -> str:
    name = Path(transcripts.log_name(run) or "").name or "log.eval"
    return f"logs/{run.pk}-{name}"


def _copy_log(bundle: zipfile.ZipFile, run: EvaluationRun) -> dict[str, Any]:
    """The run's stored log copied into the bundle in chunks; its name, size and SHA-256."""
    arcname = log_arcname(run)
    info = zipfile.ZipInfo(arcname, date_time=timezone.now().timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED  # an .eval is a ZIP already
    info.external_attr = 0o644 << 16
    digest = hashlib.sha256()
    size = 0
    # The log is opened first: a missing one adds no entry to the bundle.
    with (
        transcripts.open_log_file(run) as source,
        bundle.open(info, "w", force_zip64=True) as target,
    ):
        while chunk := source.read(COPY_CHUNK):
            digest.update(chunk)
            target.write(chunk)
            size += len(chunk)
    return {"run": run.pk, "name": arcname, "size": size, "sha256": digest.hexdigest()}


def readme_text(
    report: Report, content: dict[str, Any], logs: list[dict[str, Any]], missing: list[str]
) -> str:
    project = content.get("project") or {}
    frozen = report.status == Report.Status.FROZEN
    lines = [
        f"{report.title}",
        f"Joint report of the project {project.get('title', report.project.title)}"
        f" ({project.get('slug', report.project.slug)}), version {report.number}.",
        "",
    ]
    if frozen:
        lines += [
            f"Approved by every participating institute and frozen on "
            f"{report.frozen_at:%Y-%m-%d %H:%M} UTC."
            if report.frozen_at
            else "Frozen.",
            f"Content hash (SHA-256): {report.content_hash}",
        ]
    else:
        lines += [
            f"Status: {report.get_status_display()}. Not frozen: the figures are those of "
            f"{content.get('generated_at', 'the moment this bundle was made')} and may change.",
        ]
    lines += [
        "",
        "What this bundle holds",
        "----------------------",
        "report.pdf    the report as approved: results, findings, methods, limitations.",
        "results.json  the report's content exactly as stored when it was frozen: every figure",
        "              the report shows (results tables, findings, methods, runs).",
        "results.csv   one line per cell of the results tables: domain, task, system, its role",
        "              (target or reference), the mean score, its 95% confidence interval",
        "              (ci_low, ci_high), the number of samples n, the run it comes from, whether",
        "              that run is partial, and the flags of an LLM judge people disagree with.",
        "logs/         the Inspect log of each run the report cites, as stored by Concord,",
        "              named <run id>-<file name>.",
        "",
        "Checking the content hash",
        "-------------------------",
        "The hash is the SHA-256 of results.json in canonical form (keys sorted, no spaces, UTF-8):",
        "",
        "  python3 -c \"import hashlib, json; c = json.load(open('results.json', encoding='utf-8'));"
        " print(hashlib.sha256(json.dumps(c, sort_keys=True, separators=(',', ':'),"
        ' ensure_ascii=False).encode()).hexdigest())"',
        "",
        "Checking a number against its log",
        "---------------------------------",
        "Each figure names its run (run_id in results.csv). Open that run's log from logs/ with",
        "Inspect, which shows every sample, its transcript and its score:",
        "",
        "  inspect view --log-dir logs",
        "",
        "or read it in Python:",
        "",
        "  from inspect_ai.log import read_eval_log",
        "  log = read_eval_log('logs/<run id>-<file name>')",
        "  print(log.results.scores)   # the scorers' metrics, e.g. accuracy and stderr",
        "",
        "The mean of a cell is the mean of the primary score over the run's samples; the interval",
        "is a 95% confidence interval (clustered by sample when a task has several epochs).",
        "",
    ]
    if logs:
        lines += ["Logs (SHA-256 of each file)", "---------------------------"]
        lines += [f"{log['sha256']}  {log['name']}  ({log['size']} bytes)" for log in logs]
        lines.append("")
    if missing:
        lines += ["Logs not included (not in Concord's log storage):"]
        lines += [f"  {item}" for item in missing]
        lines.append("")
    return "\n".join(lines)


def report_bundle(report: Report) -> IO[bytes]:
    """The report's ZIP bundle in a temporary file, positioned at its start (the file is
    removed when closed). StorageUnavailable when the log storage does not answer."""
    content = report_content(report)
    bundle_file = tempfile.NamedTemporaryFile(prefix="concord-report-", suffix=".zip")  # noqa: SIM115
    try:
        with zipfile.ZipFile(bundle_file, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            bundle.writestr("report.pdf", render_report_pdf(report, content=content))
            bundle.writestr("results.csv", results_csv(content))
            bundle.writestr(
                "results.json",
                json.dumps(content, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
            )
            ids = cited_run_ids(content)
            runs = EvaluationRun.objects.filter(project_id=report.project_id, pk__in=ids).order_by(
                "pk"
            )
            logs, missing = [], []
            for run in runs:
                if not transcripts.log_name(run):
                    missing.append(f"run {run.pk}: it records no log file")
                    continue
                try:
                    logs.append(_copy_log(bundle, run))
                except FileNotFoundError:
                    missing.append(f"run {run.pk}: {transcripts.log_name(run)}")
            bundle.writestr("README.txt", readme_text(report, content, logs, missing))
        bundle_file.seek(0)
    except BaseException:
        bundle_file.close()
        raise
    return bundle_file


def bundle_filename(report: Report) -> str:
    return f"{report.project.slug}-report-v{report.number}.zip"


def pdf_filename(report: Report) -> str:
    return f"{report.project.slug}-report-v{report.number}.pdf"


__all__ = [
    "bundle_filename",
    "html_to_pdf",
    "pdf_filename",
    "render_report_pdf",
    "report_bundle",
    "report_content",
    "results_csv",
    "url_fetcher",
]
