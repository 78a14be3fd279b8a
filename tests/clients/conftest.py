"""Fixtures of the client tests: the joint project of institutes A (lead) and B with a system
whose model is `mockllm/model` and an `arith` task matching the Inspect task shipped in
tests/clients/tasks/arith.py; bob's write token; a real Inspect log of that task; and the
environment a `concord` or `inspect eval` child process runs with (no CONCORD_* from outside,
a pending directory of the test's own, the tiktoken files offline)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from evaluations.models import Participation
from evaluations.runner.offline import ensure_tiktoken_encodings
from institutes.services import token_create
from tests.evaluations.factories import (
    AISystemFactory,
    ParticipationFactory,
    ProjectFactory,
    ProjectSystemFactory,
    TaskFactory,
)

ROOT = Path(__file__).resolve().parents[2]
TASK_FILE = Path(__file__).resolve().parent / "tasks" / "arith.py"
BIN = Path(sys.executable).parent
CONCORD = str(BIN / "concord")
INSPECT = str(BIN / "inspect")

live = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def joint(institute_a, institute_b):
    """The project, its mockllm system and the arith task (what an arith log is filed under)."""
    project = ProjectFactory(slug="joint", title="Joint test")
    ParticipationFactory(project=project, institute=institute_a, role=Participation.Role.LEAD)
    ParticipationFactory(project=project, institute=institute_b)
    system = AISystemFactory(developer="Lab", name="Frontier", inspect_model="mockllm/model")
    ProjectSystemFactory(project=project, system=system)
    TaskFactory(slug="arith", name="Arithmetic", inspect_ref="arith")
    return project


@pytest.fixture
def bob_token(bob):
    return token_create(user=bob, name="partner tool")[1]


@pytest.fixture
def vera_token(vera):
    return token_create(user=vera, name="viewer tool", scope="read")[1]


@pytest.fixture
def pending_dir(tmp_path):
    return tmp_path / "pending"


@pytest.fixture
def child_env(tmp_path, pending_dir):
    """`child_env(**values)`: the environment of a child process, with CONCORD_* as given."""
    cache = str(ensure_tiktoken_encodings())

    def make(**values: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CONCORD_", "INSPECT_"))}
        env.update(
            HOME=str(tmp_path / "home"),
            TIKTOKEN_CACHE_DIR=cache,
            CONCORD_PENDING_DIR=str(pending_dir),
            INSPECT_LOG_DIR=str(tmp_path / "logs"),
            INSPECT_DISPLAY="plain",
            PYTHONPATH=str(ROOT),
        )
        env.update(values)
        return env

    return make


def run(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 180):
    return subprocess.run(
        args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="session")
def arith_log(tmp_path_factory) -> Path:
    """A real .eval log of the arith task (7 of 10 right), made once, by `inspect eval` in a
    child process: evaluating in this process would register `arith` in Inspect's registry here,
    and the server under test would then take `arith` for a task it can run."""
    root = tmp_path_factory.mktemp("arith-log")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONCORD_", "INSPECT_"))}
    env.update(
        HOME=str(root / "home"),
        TIKTOKEN_CACHE_DIR=str(ensure_tiktoken_encodings()),
        PYTHONPATH=str(ROOT),
    )
    # Inspect takes a task file relative to the current directory.
    args = [INSPECT, "eval", str(TASK_FILE.relative_to(ROOT)), "-T", "seconds=0"]
    args += ["--log-dir", str(root / "logs"), "--display", "none"]
    done = run(args, env, ROOT)
    assert done.returncode == 0, done.stderr
    [log] = sorted((root / "logs").glob("*.eval"))
    return log


@pytest.fixture
def closed_port():
    """A port nothing listens on (bound, then closed)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
