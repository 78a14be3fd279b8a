"""The script of docs/partner-tools.md ("Read results from a script") runs as shown."""

from __future__ import annotations

import re
import sys

from evaluations.models import EvaluationRun
from tests.clients.conftest import CONCORD, ROOT, live, run

DOC = ROOT / "docs" / "partner-tools.md"


def _script() -> str:
    section = DOC.read_text().split("## Read results from a script", 1)[1]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)[0]


@live
def test_the_read_script_of_the_docs_runs(
    live_server, joint, bob_token, arith_log, child_env, tmp_path
):
    env = child_env(CONCORD_URL=live_server.url, CONCORD_TOKEN=bob_token)
    uploaded = run(
        [CONCORD, "upload", str(arith_log), "--project", "joint", "--institute", "inst-a"],
        env,
        tmp_path,
    )
    assert uploaded.returncode == 0, uploaded.stderr
    run_id = EvaluationRun.objects.get().pk

    done = run([sys.executable, "-c", _script()], env, tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert f"{run_id} match accuracy 0.7" in " ".join(lines[0].split()[:4])
    assert lines[-1] == f"{run_id} 10 samples"


def test_the_docs_show_the_lines_concord_prints():
    text = DOC.read_text()
    for shown in (": imported as run ", ": already imported as run ", ": refused: "):
        assert shown in text
    assert "inspect eval tests/clients/tasks/arith.py --max-samples 1" in text
    assert "inspect eval-set tests/clients/tasks/arith.py tests/clients/tasks/products.py" in text
    assert "concord upload --pending --list" in text
