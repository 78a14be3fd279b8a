"""The import page in Chromium when no task matches the log's task: a lead is offered, on the
same page (the XHR answer), a button that registers it as an import-only task of the project;
after it, the same file imports. An evaluator reads who may register it and gets no button."""

from __future__ import annotations

import re
import threading

import pytest

from evaluations.models import EvaluationRun, EvaluationTask, Participation
from evaluations.services.tasks import task_builtin_upsert
from tests.browser.conftest import login
from tests.evaluations.factories import (
    AISystemFactory,
    ParticipationFactory,
    ProjectFactory,
    ProjectSystemFactory,
)
from tests.evaluations.ingestion.logs import renamed
from tests.evaluations.runner.logs import run_qa
from tests.factories import PASSWORD


@pytest.fixture(scope="module")
def arith_log(tmp_path_factory):
    # Inspect runs its own event loop: not in this thread, where Playwright's is running.
    made = []
    root = tmp_path_factory.mktemp("browser-arith")
    worker = threading.Thread(
        target=lambda: made.append(renamed(run_qa(root, limit=3), root / "arith.eval", "arith"))
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
    return project


def _submit(page, path) -> None:
    page.set_input_files("#id_file", str(path))
    page.click("form[data-import-form] button[type=submit]")


def test_a_lead_registers_the_unknown_task_and_imports_the_file(page, alice, joint, arith_log):
    login(page, "alice", PASSWORD)
    page.goto("/projects/joint/runs/import/")
    register = page.locator("form[data-register-task]")
    assert register.is_hidden()
    _submit(page, arith_log)
    register.wait_for(state="visible")
    button = register.locator("button")
    assert button.inner_text() == "Register 'arith' as an import-only task of this project"
    assert "A lead of project 'joint'" in page.locator(".field.has-error .field-error").inner_text()
    assert not EvaluationTask.objects.filter(inspect_ref="arith").exists()

    button.click()
    page.wait_for_url(re.compile(r"/projects/joint/runs/import/$"))
    assert "Registered 'arith' as an import-only task" in page.content()
    assert EvaluationTask.objects.get(inspect_ref="arith").project == joint

    _submit(page, arith_log)
    page.wait_for_url(re.compile(r"/runs/\d+/$"))
    assert EvaluationRun.objects.get().task.inspect_ref == "arith"
    assert [e for e in page.concord_errors if "status of 400" not in e] == []


def test_an_evaluator_gets_no_button(page, bob, joint, arith_log):
    login(page, "bob", PASSWORD)
    page.goto("/projects/joint/runs/import/")
    _submit(page, arith_log)
    error = page.locator(".field.has-error .field-error")
    error.wait_for(state="visible")
    assert "A lead of project 'joint' or a programme manager registers it" in error.inner_text()
    assert page.locator("form[data-register-task]").count() == 0
