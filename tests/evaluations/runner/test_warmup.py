"""The worker's warm-up: one mock evaluation in the main process before the pool forks, so that
evaluation children inherit what Inspect imports lazily (evaluations.runner.warmup)."""

import os
import subprocess
import sys
from pathlib import Path

from evaluations.runner.offline import ensure_tiktoken_encodings
from evaluations.runner.warmup import warm_up_inspect

ROOT = Path(__file__).resolve().parents[3]


def test_the_warm_up_runs_one_mock_evaluation():
    ensure_tiktoken_encodings()
    assert warm_up_inspect() is not None


def test_a_failed_warm_up_is_logged_and_the_worker_goes_on(monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("no model today")

    monkeypatch.setattr("inspect_ai.eval", broken)
    assert warm_up_inspect() is None
    assert "warm-up failed" in caplog.text


def test_after_the_warm_up_a_process_holds_what_the_first_eval_imports_and_one_thread():
    """The point of it: a child forked afterwards finds these modules imported; and forking is
    safe: no thread of the evaluation is left running (a fresh process, so no other test's)."""
    code = (
        "import sys, threading; from evaluations.runner.offline import ensure_tiktoken_encodings;"
        "from evaluations.runner.warmup import warm_up_inspect;"
        "import inspect_ai; before = 'openai' in sys.modules;"
        "ensure_tiktoken_encodings(); assert warm_up_inspect() is not None;"
        "print(threading.active_count(), before, 'openai' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[-3:] == ["1", "False", "True"]
