"""Fixtures for the import tests (issue 5).

A joint project of institutes A (lead) and B with a target system whose model is `mockllm/model`
and the shipped knowledge-QA task; real Inspect logs made once per session by running the shipped
suite with a scripted mockllm that answers every second question right (expected accuracy 0.5);
and, for every test, a log directory and an upload directory of its own, so "no file left behind"
can be checked. People come from tests/conftest.py: alice (lead at A), bob (evaluator at A), vera
(viewer at A), charlie (lead at C, an outsider), pm.
"""

from __future__ import annotations

import pytest

from evaluations.models import EvaluationTask, Participation
from evaluations.services.tasks import task_builtin_upsert
from tests.evaluations.imports import logs
from tests.evaluations.jobs.factories import (
    AISystemFactory,
    ParticipationFactory,
    ProjectFactory,
    ProjectSystemFactory,
)


@pytest.fixture(autouse=True)
def log_dir(tmp_path, settings):
    """CONCORD_LOG_DIR and FILE_UPLOAD_TEMP_DIR of this test alone."""
    settings.CONCORD_LOG_DIR = tmp_path / "logs"
    settings.CONCORD_LOG_DIR.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads")
    (tmp_path / "uploads").mkdir()
    return settings.CONCORD_LOG_DIR


@pytest.fixture
def upload_dir(settings):
    from pathlib import Path

    return Path(settings.FILE_UPLOAD_TEMP_DIR)


@pytest.fixture
def project(institute_a, institute_b):
    project = ProjectFactory(slug="joint", title="Joint test")
    ParticipationFactory(project=project, institute=institute_a, role=Participation.Role.LEAD)
    ParticipationFactory(project=project, institute=institute_b)
    return project


@pytest.fixture
def target_system(project):
    system = AISystemFactory(developer="Lab", name="Frontier", inspect_model="mockllm/model")
    ProjectSystemFactory(project=project, system=system)
    return system


@pytest.fixture
def qa_task(db):
    task_builtin_upsert()
    return EvaluationTask.objects.get(slug="concord-knowledge-qa")


@pytest.fixture
def world(project, target_system, qa_task):
    """Everything an import of the QA logs needs."""
    return project


@pytest.fixture(scope="session")
def qa_logs(tmp_path_factory):
    root = tmp_path_factory.mktemp("import-logs")
    return logs.qa_logs(root)
