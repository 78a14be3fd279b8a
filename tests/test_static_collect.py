"""The production image runs `collectstatic` with the compressed manifest storage (platform/Dockerfile):
it must succeed, which it does not when a vendored file references a file that is not vendored
(e.g. a `sourceMappingURL` comment naming a source map)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_collectstatic_succeeds_with_the_production_storage(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "DJANGO_SETTINGS_MODULE", "STATIC_ROOT"}
    }
    env.update(
        DEBUG="0",
        SECRET_KEY="collectstatic-test-key-not-secret-0123456789abcdef",
        STATIC_ROOT=str(tmp_path / "static"),
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v", "0"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())
    assert any(name.startswith("vendor/chart-") for name in manifest["paths"])
