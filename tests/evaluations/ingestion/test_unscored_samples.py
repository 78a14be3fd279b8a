"""A sample Inspect left unscored (its sentinel value is NaN, e.g. a judge that found no grade)
imports from both log formats: Inspect writes NaN as a bare constant, which JSON lacks."""

from __future__ import annotations

import math

import pytest
from inspect_ai.log import read_eval_log, write_eval_log

from evaluations.models import EvaluationRun
from tests.api_clients import bearer
from tests.evaluations.ingestion.helpers import post_log

pytestmark = pytest.mark.django_db


@pytest.fixture
def unscored_logs(qa_logs, tmp_path):
    """The QA logs with their first sample unscored (NaN) and Infinity in its metadata."""
    log = read_eval_log(str(qa_logs["eval"]))
    first = log.samples[0]
    for score in first.scores.values():
        score.value = math.nan
    first.metadata = {**first.metadata, "note": "NaN as text", "ratio": math.inf}
    log.eval.eval_id = f"{log.eval.eval_id[:20]}-unscored"
    paths = {}
    for kind in ("eval", "json"):
        paths[kind] = tmp_path / f"unscored.{kind}"
        write_eval_log(log, str(paths[kind]), format=kind)
    assert b"NaN" in paths["json"].read_bytes().replace(b'"NaN as text"', b"")
    return paths, first.id


@pytest.mark.parametrize("kind", ["json", "eval"])
def test_an_unscored_sample_imports_without_a_score(kind, unscored_logs, world, bob, log_dir):
    paths, first_id = unscored_logs
    response = post_log(bearer(bob), paths[kind])
    assert response.status_code == 201, response.content[:500]
    run = EvaluationRun.objects.get(pk=response.json()["id"])
    row = run.samples.get(sample_id=first_id)
    assert row.score is None
    assert row.metadata["note"] == "NaN as text"
    assert row.metadata["ratio"] is None  # JSON columns hold no infinity
    assert run.samples.exclude(score=None).count() == run.sample_count - 1
