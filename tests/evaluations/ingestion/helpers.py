"""Requests and checks shared by the import tests."""

from __future__ import annotations

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from evaluations.models import EvaluationRun, RunScore, SampleResult

URL = "/api/v1/runs/import/"


def post_log(client, path: Path, *, name: str | None = None, **fields):
    """POST the file as partner tools do: multipart, with project and institute."""
    fields.setdefault("project", "joint")
    fields.setdefault("institute", "inst-a")
    if name is not None:
        upload = SimpleUploadedFile(name, path.read_bytes())
        return client.post(URL, {"file": upload, **fields}, format="multipart")
    with path.open("rb") as handle:
        return client.post(URL, {"file": handle, **fields}, format="multipart")


def rows() -> tuple[int, int, int]:
    return (EvaluationRun.objects.count(), RunScore.objects.count(), SampleResult.objects.count())


def files_under(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file())
