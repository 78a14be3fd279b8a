"""Fixtures for the judge tests: a real Inspect log of a task graded by judges and a rule, made
once per session by a child `inspect eval` (as an institute's machine would make it), and the
import-test world (project "joint", a target system on `mockllm/model`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from inspect_ai.log import read_eval_log, write_eval_log

from evaluations.runner.offline import ensure_tiktoken_encodings
from tests.evaluations.factories import AISystemFactory, ProjectSystemFactory, TaskFactory
from tests.evaluations.judges.judged_tasks import ROLE_GRADER

ROOT = Path(__file__).resolve().parents[3]
TASK = "tests/evaluations/judges/judged_tasks.py@judged"


def run_judged_task(log_dir: Path) -> Path:
    """`inspect eval` of the judged task in a child process, from the repository's root."""
    ensure_tiktoken_encodings()  # sets TIKTOKEN_CACHE_DIR, which the child inherits
    env = {**os.environ, "INSPECT_LOG_DIR": str(log_dir)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "inspect_ai",
            "eval",
            TASK,
            "--model",
            "mockllm/model",
            "--model-role",
            f"grader={ROLE_GRADER}",
            "--log-dir",
            str(log_dir),
            "--display",
            "none",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    logs = sorted(log_dir.glob("*.eval"))
    output = done.stdout[-2000:] + done.stderr[-2000:]
    assert done.returncode == 0, output
    assert logs, output
    return logs[0]


def with_grader(source: Path, target: Path, grader, *, eval_id: str) -> Path:
    """A copy of a real log whose first scorer was created with `model=grader` (the demo suite's
    judges: `model_graded_qa(model="concord-demo/judge-...")`), under another eval id."""
    log = read_eval_log(str(source))
    log.eval.eval_id = eval_id
    log.eval.scorers[0].options = {"model": grader}
    for score in log.results.scores:
        if score.scorer == log.results.scores[0].scorer:
            score.params = {"model": grader}
    write_eval_log(log, str(target))
    return target


@pytest.fixture(scope="session")
def judged_log(tmp_path_factory) -> Path:
    return run_judged_task(tmp_path_factory.mktemp("judged"))


@pytest.fixture
def judged_world(project):
    """The project, a system on the log's model and the task the log names."""
    system = AISystemFactory(developer="Lab", name="Frontier", inspect_model="mockllm/model")
    ProjectSystemFactory(project=project, system=system)
    task = TaskFactory(slug="judged", name="Judged QA", inspect_ref="judged_tasks:judged")
    return project, system, task
