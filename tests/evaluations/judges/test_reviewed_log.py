"""The reviewed log: a run's Inspect log with people's reviews added as Inspect score edits, read
back with Inspect itself; the stored log never changes."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from django.urls import reverse
from inspect_ai.log import read_eval_log
from rest_framework.test import APIClient

from evaluations.ingestion import run_ingest_log
from evaluations.models import EvaluationRun, ReviewLabel, SampleReview
from institutes.models import AuditEvent
from tests.evaluations.runner.logs import run_qa


@pytest.fixture(scope="session")
def qa_eval(tmp_path_factory) -> Path:
    return run_qa(tmp_path_factory.mktemp("reviewed-eval"), limit=6)


@pytest.fixture(scope="session")
def qa_json(tmp_path_factory) -> Path:
    return run_qa(tmp_path_factory.mktemp("reviewed-json"), limit=6, log_format="json")


@pytest.fixture
def stored(tmp_path, settings):
    """A log dir of the test's own: the run's log is kept there, as imports keep it."""
    settings.CONCORD_LOG_DIR = tmp_path / "logs"
    settings.CONCORD_LOG_DIR.mkdir()

    def store(source: Path) -> Path:
        target = settings.CONCORD_LOG_DIR / "imports" / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        return target

    return store


def ingest(path, project, institute) -> EvaluationRun:
    return run_ingest_log(
        path=path, project=project, institute=institute, source=EvaluationRun.Source.UPLOAD
    ).run


def review(run, sample_id, reviewer, label, *, manual=None, note=""):
    sample = run.samples.get(sample_id=sample_id, epoch=1)
    return SampleReview.objects.create(
        sample=sample,
        reviewer=reviewer,
        label=ReviewLabel.objects.get(slug=label),
        manual_score=manual,
        note=note,
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_bytes(data: bytes, tmp_path: Path, suffix: str = ".eval"):
    target = tmp_path / f"downloaded{suffix}"
    target.write_bytes(data)
    return read_eval_log(str(target))


@pytest.fixture
def reviewed_run(qa_eval, stored, project, institute_a, target_system, qa_task, alice, bob, vera):
    """The knowledge-QA run (qa-02, qa-04, qa-06 answered right), reviewed:
    qa-01 both say correct; qa-02 both say wrong (one by a manual score with a label without a
    verdict); qa-05 one says correct; qa-03 a tie; qa-04 only a label without a verdict."""
    run = ingest(stored(qa_eval), project, institute_a)
    reviews = {
        "qa-01": [
            review(run, "qa-01", alice, "correct"),
            review(
                run, "qa-01", bob, "correct", note="The answer is right,\nthe pattern missed it."
            ),
        ],
        "qa-02": [
            review(run, "qa-02", alice, "incorrect"),
            review(run, "qa-02", bob, "scorer-wrong", manual=0.0),
        ],
        "qa-05": [review(run, "qa-05", vera, "correct")],
        "qa-03": [review(run, "qa-03", alice, "correct"), review(run, "qa-03", bob, "incorrect")],
        "qa-04": [review(run, "qa-04", alice, "environment-bug")],
    }
    return run, reviews


def download(client, user, run):
    client.force_login(user)
    response = client.get(reverse("runs:reviewed_log", kwargs={"run_id": run.pk}))
    return response, b"".join(response.streaming_content) if response.status_code == 200 else b""


def test_reviewed_log_carries_the_human_majority_as_inspect_score_edits(
    client, reviewed_run, vera, qa_eval, tmp_path
):
    run, reviews = reviewed_run
    original = read_eval_log(str(qa_eval))
    scorer = run.primary_scorer
    assert scorer
    assert original.results.scores[0].name == scorer
    before = {s.id: s.scores[scorer].value for s in original.samples}  # qa-02, -04, -06 right
    response, data = download(client, vera, run)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert f'filename="concord-run-{run.pk}-reviewed.eval"' in response["Content-Disposition"]
    assert response["X-Concord-Score-Edits"] == "3"
    log = read_bytes(data, tmp_path)
    samples = {s.id: s for s in log.samples}

    # qa-01: both reviewers say correct; the scorer said "I".
    edited = samples["qa-01"].scores[scorer]
    assert (before["qa-01"], edited.value) == ("I", "C")
    assert len(edited.history) == 2  # the scorer's original, then the people's edit
    assert (edited.history[0].value, edited.history[0].provenance) == ("I", None)
    provenance = edited.history[-1].provenance
    assert provenance.author == "alice, bob"
    assert "Human majority: pass (2 of 2" in provenance.reason
    assert "alice: Correct" in provenance.reason
    assert "the pattern missed it" in provenance.reason
    assert provenance.metadata["review_ids"] == [r.pk for r in reviews["qa-01"]]
    assert provenance.metadata["source"] == "concord"
    # Inspect's own record of the edit, in the sample's events.
    assert any(e.event == "score_edit" for e in samples["qa-01"].events)

    # qa-02: a wrong label and a manual 0 outvote the scorer's "C"; qa-05: one reviewer.
    assert (before["qa-02"], samples["qa-02"].scores[scorer].value) == ("C", "I")
    assert samples["qa-02"].scores[scorer].history[-1].provenance.author == "alice, bob"
    assert samples["qa-05"].scores[scorer].value == "C"
    # No majority (a tie, a label that says nothing): untouched.
    for sample_id in ("qa-03", "qa-04", "qa-06"):
        score = samples[sample_id].scores[scorer]
        assert (score.value, score.history) == (before[sample_id], [])

    # Metrics recomputed as Inspect does: 3 right becomes 4 right of 6.
    metrics = {s.name: s.metrics for s in log.results.scores}
    assert original.results.scores[0].metrics["accuracy"].value == pytest.approx(0.5)
    assert metrics[scorer]["accuracy"].value == pytest.approx(4 / 6)
    # The log says it was reviewed.
    assert "concord-reviewed" in log.tags
    assert log.metadata["concord_reviewed"]["score_edits"] == 3


def test_the_stored_log_is_never_modified(client, reviewed_run, vera, settings):
    run, _ = reviewed_run
    stored_path = settings.CONCORD_LOG_DIR / run.log_file
    digest = sha256(stored_path)
    response, _data = download(client, vera, run)
    assert response.status_code == 200
    assert sha256(stored_path) == digest
    assert read_eval_log(str(stored_path)).samples[0].scores[run.primary_scorer].history == []


def test_the_api_answers_the_same_reviewed_log(reviewed_run, vera, charlie, tmp_path):
    run, _ = reviewed_run
    api = APIClient()
    api.force_login(vera)
    response = api.get(f"/api/v1/runs/{run.pk}/reviewed-log/")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/octet-stream"
    assert "attachment" in response["Content-Disposition"]
    log = read_bytes(b"".join(response.streaming_content), tmp_path)
    assert {s.id: s.scores[run.primary_scorer].value for s in log.samples}["qa-01"] == "C"
    api.force_login(charlie)
    assert api.get(f"/api/v1/runs/{run.pk}/reviewed-log/").status_code == 404
    # Asking for the binary type explicitly works too.
    api.force_login(vera)
    response = api.get(
        f"/api/v1/runs/{run.pk}/reviewed-log/", HTTP_ACCEPT="application/octet-stream"
    )
    assert response.status_code == 200


def test_downloads_are_audited(client, reviewed_run, bob):
    run, _ = reviewed_run
    download(client, bob, run)
    (event,) = AuditEvent.objects.filter(action="export")
    assert (event.actor_id, event.project_id) == (bob.pk, run.project_id)
    assert event.changes["what"] == "reviewed_log"
    assert event.changes["score_edits"] == 3


def test_a_run_without_reviews_answers_its_log_with_no_score_edited(
    client, qa_eval, stored, project, institute_a, target_system, qa_task, vera, tmp_path
):
    run = ingest(stored(qa_eval), project, institute_a)
    response, data = download(client, vera, run)
    assert response.status_code == 200
    assert response["X-Concord-Score-Edits"] == "0"
    log = read_bytes(data, tmp_path)
    assert all(s.scores[run.primary_scorer].history == [] for s in log.samples)
    assert log.metadata["concord_reviewed"]["score_edits"] == 0


def test_a_json_log_is_answered_as_json_with_its_edits(
    client, qa_json, stored, project, institute_a, target_system, qa_task, alice, vera, tmp_path
):
    run = ingest(stored(qa_json), project, institute_a)
    review(run, "qa-01", alice, "correct", note="right")
    response, data = download(client, vera, run)
    assert response.status_code == 200
    assert f'filename="concord-run-{run.pk}-reviewed.json"' in response["Content-Disposition"]
    log = read_bytes(data, tmp_path, suffix=".json")
    score = {s.id: s for s in log.samples}["qa-01"].scores[run.primary_scorer]
    assert score.value == "C"
    assert score.history[-1].provenance.author == "alice"


def test_an_outsider_gets_404_and_an_unreadable_log_a_409(
    client, reviewed_run, charlie, vera, settings
):
    run, _ = reviewed_run
    response, _ = download(client, charlie, run)
    assert response.status_code == 404
    (settings.CONCORD_LOG_DIR / run.log_file).write_bytes(b"PK not really a log")
    response, _ = download(client, vera, run)
    assert response.status_code == 409
    assert "cannot be read" in response.content.decode()


def test_lm_eval_runs_have_no_reviewed_log(client, reviewed_run, vera):
    run, _ = reviewed_run
    EvaluationRun.objects.filter(pk=run.pk).update(log_format="lm-eval")
    response, _ = download(client, vera, run)
    assert response.status_code == 409
    assert "lm-evaluation-harness" in response.content.decode()
    api = APIClient()
    api.force_login(vera)
    body = api.get(f"/api/v1/runs/{run.pk}/reviewed-log/")
    assert body.status_code == 409
    assert body.json()["error"]["code"] == "log_not_editable"


def test_the_run_page_links_the_reviewed_log(client, reviewed_run, vera):
    run, _ = reviewed_run
    client.force_login(vera)
    body = client.get(reverse("runs:detail", kwargs={"run_id": run.pk})).content.decode()
    assert reverse("runs:reviewed_log", kwargs={"run_id": run.pk}) in body


def test_an_embargo_holds_for_a_programme_manager_outside_the_project(client, reviewed_run, pm):
    from datetime import timedelta

    from django.utils import timezone

    run, _ = reviewed_run
    run.project.embargo_until = timezone.now() + timedelta(days=30)
    run.project.save(update_fields=["embargo_until"])
    response, _ = download(client, pm, run)
    assert response.status_code == 404


@pytest.fixture(scope="session")
def qa_two_epochs(tmp_path_factory) -> Path:
    return run_qa(tmp_path_factory.mktemp("reviewed-epochs"), limit=3, epochs=2)


def test_each_epoch_is_edited_on_its_own(
    client,
    qa_two_epochs,
    stored,
    project,
    institute_a,
    target_system,
    qa_task,
    alice,
    vera,
    tmp_path,
):
    run = ingest(stored(qa_two_epochs), project, institute_a)
    sample = run.samples.get(sample_id="qa-01", epoch=2)
    SampleReview.objects.create(
        sample=sample, reviewer=alice, label=ReviewLabel.objects.get(slug="correct")
    )
    response, data = download(client, vera, run)
    assert response["X-Concord-Score-Edits"] == "1"
    log = read_bytes(data, tmp_path)
    values = {(s.id, s.epoch): s.scores[run.primary_scorer].value for s in log.samples}
    assert (values["qa-01", 1], values["qa-01", 2]) == ("I", "C")


def test_the_reviewed_logs_accuracy_is_concords_corrected_figure(
    client, reviewed_run, vera, tmp_path
):
    # Two paths show the figure with people's labels in place of the scorer's: the corrected
    # results (page, export, API) and Inspect's metrics of the reviewed log. They agree.
    from evaluations.results import corrected

    run, _reviews = reviewed_run
    _response, data = download(client, vera, run)
    log = read_bytes(data, tmp_path)
    accuracy = {s.name: s.metrics for s in log.results.scores}[run.primary_scorer]["accuracy"]
    [cell] = [
        item
        for item in corrected.corrected_items(corrected.corrected_results(run.project))
        if item["run_id"] == run.pk
    ]
    assert cell["corrected_mean"] == pytest.approx(accuracy.value, abs=1e-12)
    assert cell["n_corrected"] == 3
