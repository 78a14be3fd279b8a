"""Fixtures for the import tests.

The joint project and the shipped knowledge-QA task of tests/evaluations/conftest.py, with a target
system whose model is `mockllm/model` (here without an access window); real Inspect logs made once
per session by running the shipped suite with a scripted mockllm that answers every second
question right (expected accuracy 0.5); and, for every test, a log directory and an upload
directory of its own, so "no file left behind" can be checked. People come from
tests/conftest.py: alice (lead at A), bob (evaluator at A), vera (viewer at A), charlie (lead at
C, an outsider), pm.
"""

from __future__ import annotations

import pytest

from tests.evaluations.factories import (
    AISystemFactory,
    ProjectSystemFactory,
)
from tests.evaluations.ingestion import logs


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
def target_system(project):
    """Here without an access window: importing needs none."""
    system = AISystemFactory(developer="Lab", name="Frontier", inspect_model="mockllm/model")
    ProjectSystemFactory(project=project, system=system)
    return system


@pytest.fixture
def world(project, target_system, qa_task):
    """Everything an import of the QA logs needs."""
    return project


@pytest.fixture(scope="session")
def qa_logs(tmp_path_factory):
    root = tmp_path_factory.mktemp("import-logs")
    return logs.qa_logs(root)
