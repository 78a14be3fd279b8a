"""The README and docs/ name files and modules of the code: each one they name exists, so a move
of code that forgets the documentation fails here."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
APPS = ("config", "institutes", "evaluations", "exchanges", "webhooks")

# A file of the repository: `evaluations/services/jobs.py`, `platform/nginx.conf`, ...
FILE = re.compile(
    r"(?<![\w/.-])((?:config|institutes|evaluations|exchanges|webhooks|clients|benchmarks|platform|tests)"
    r"/[\w./-]*?\.(?:py|md|conf|toml|ya?ml|sh|txt))(?!\.?\w)"
)
# A module or a name in one, in backquotes: `evaluations.services.jobs.job_queue`.
DOTTED = re.compile(r"`((?:" + "|".join(APPS) + r")(?:\.\w+)+)")


def _references(pattern: re.Pattern[str]) -> list[tuple[str, str]]:
    found = []
    for document in DOCUMENTS:
        for match in pattern.finditer(document.read_text()):
            found.append((document.relative_to(ROOT).as_posix(), match.group(1)))
    return sorted(set(found))


def _task_names() -> set[str]:
    from config.celery_app import app

    app.loader.import_default_modules()
    return set(app.tasks)


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            if not hasattr(target, name):
                return False
            target = getattr(target, name)
        return True
    return False


@pytest.mark.parametrize(("document", "path"), _references(FILE))
def test_a_file_the_docs_name_exists(document, path):
    assert (ROOT / path).exists(), f"{document} names {path}, which does not exist"


def test_every_module_the_docs_name_exists():
    tasks = _task_names()
    missing = []
    for document, dotted in _references(DOTTED):
        app, _, rest = dotted.partition(".")
        if (
            app == "config"
            and not (ROOT / "config" / rest.split(".")[0]).exists()
            and not (ROOT / "config" / f"{rest.split('.')[0]}.py").exists()
        ):
            continue  # e.g. lm-eval's `config.model`, not this project's config package
        if dotted in tasks or _resolves(dotted):
            continue
        missing.append(f"{document}: {dotted}")
    assert not missing, "the docs name code that does not exist:\n" + "\n".join(missing)
