"""The import page in Chromium: the form is sent by the page's script (XHR, with its progress bar)
under the strict CSP, lands on the new run, and shows a refusal without leaving the page."""

from __future__ import annotations

import re
import threading

import pytest
from playwright.sync_api import expect

from evaluations.models import EvaluationRun, EvaluationTask, Participation
from evaluations.services.tasks import task_builtin_upsert
from tests.browser.conftest import login
from tests.evaluations.factories import (
    AISystemFactory,
    ParticipationFactory,
    ProjectFactory,
    ProjectSystemFactory,
)
from tests.evaluations.runner.logs import run_qa
from tests.factories import PASSWORD


@pytest.fixture(scope="module")
def qa_log(tmp_path_factory):
    # Inspect runs its own event loop: not in this thread, where Playwright's is running.
    made = []
    worker = threading.Thread(
        target=lambda: made.append(run_qa(tmp_path_factory.mktemp("browser-import"), limit=4))
    )
    worker.start()
    worker.join()
    return made[0]


@pytest.fixture
def joint(transactional_db, institute_a, settings, tmp_path):
    settings.CONCORD_LOG_DIR = tmp_path / "logs"
    task_builtin_upsert()
    project = ProjectFactory(slug="joint", title="Joint test")
    ParticipationFactory(project=project, institute=institute_a, role=Participation.Role.LEAD)
    ProjectSystemFactory(project=project, system=AISystemFactory(inspect_model="mockllm/model"))
    assert EvaluationTask.objects.filter(slug="concord-knowledge-qa").exists()
    return project


def test_an_evaluator_uploads_a_log_and_lands_on_the_run(page, bob, joint, qa_log):
    login(page, "bob", PASSWORD)
    page.goto("/projects/joint/")
    page.click("text=Import results")
    page.set_input_files("#id_file", str(qa_log))
    page.click("form[data-import-form] button[type=submit]")
    # The progress bar shows the upload, then the import on the server (the XHR's phases).
    page.locator("[data-import-progress]").wait_for(state="visible")
    expect(page.locator("[data-import-progress-text]")).to_contain_text(re.compile("Upload"))
    page.wait_for_url(re.compile(r"/runs/\d+/$"))
    run = EvaluationRun.objects.get()
    assert page.url.endswith(f"/runs/{run.pk}/")
    assert run.sample_count == 4
    assert page.concord_errors == []


def test_a_refused_file_is_explained_on_the_page(page, bob, joint, tmp_path):
    notes = tmp_path / "notes.json"
    notes.write_text('{"hello": "world"}')
    login(page, "bob", PASSWORD)
    page.goto("/projects/joint/runs/import/")
    page.set_input_files("#id_file", str(notes))
    page.click("form[data-import-form] button[type=submit]")
    # At the file field, in plain words (no "file:" prefix), not at the foot of the form.
    error = page.locator(".field.has-error:has(#id_file) .field-error")
    error.wait_for(state="visible")
    assert "is JSON but not a log Concord reads" in error.inner_text()
    assert not error.inner_text().startswith("file:")
    assert page.locator("[data-import-error]").is_hidden()
    assert page.url.endswith("/projects/joint/runs/import/")
    assert page.locator("[data-import-progress]").is_hidden()
    assert not EvaluationRun.objects.exists()
    # Chromium reports the refused request itself (HTTP 400) on the console; nothing else.
    assert [e for e in page.concord_errors if "status of 400" not in e] == []
