"""Playwright driving Debian's Chromium against Django's live server.

Browsers are never downloaded: the tests use /usr/bin/chromium (`.ci/run` installs it).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CONCORD_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


BROWSER_FIXTURES = {"page", "chromium_browser"}


def pytest_collection_modifyitems(config, items):
    """Browser tests are marked and run last: Playwright's sync API keeps an event loop in the
    main thread while a browser is open, which Inspect's own event loop must not meet."""
    browser, other = [], []
    for item in items:
        if "tests/browser/" in str(item.fspath) or BROWSER_FIXTURES & set(
            getattr(item, "fixturenames", ())
        ):
            item.add_marker(pytest.mark.browser)
            browser.append(item)
        else:
            other.append(item)
    items[:] = other + browser


@pytest.fixture(scope="module")
def chromium_browser():
    """One Chromium per test module, closed with its event loop when the module is done."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: `apt-get install chromium` (.ci/run does)."
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # themselves (fixtures, assertions) are still synchronous and safe. Only while a browser runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(chromium_browser, live_server):
    context = chromium_browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 860}, device_scale_factor=1
    )
    context.set_default_timeout(15_000)
    errors: list[str] = []
    page = context.new_page()
    # Any CSP violation or script error on a page fails the test that opened it.
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.concord_errors = errors
    yield page
    context.close()


def login(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


# The rows the migrations write (domains, built-in tasks, review labels and their verdicts, the
# exchanges' checklist items): a live-server test's flush empties them, and serialized rollback
# does not bring them back for a test that seeds the demo in another thread.
MIGRATION_ROWS = [
    ("evaluations.migrations.0003_default_domains", "add_domains"),
    ("evaluations.migrations.0005_builtin_tasks", "upsert_builtin_tasks"),
    ("evaluations.migrations.0006_default_review_labels", "add_labels"),
    ("evaluations.migrations.0011_finding_evidence_and_review_labels", "add_labels"),
    ("evaluations.migrations.0015_review_queues_and_judges", "set_verdicts"),
    ("exchanges.migrations.0004_default_checklist_items", "add_defaults"),
]


def restore_migration_rows() -> None:
    """Write the migrations' rows again (each function only adds what is missing)."""
    import importlib

    from django.apps import apps
    from django.db import connection

    for module, function in MIGRATION_ROWS:
        with connection.schema_editor() as editor:
            getattr(importlib.import_module(module), function)(apps, editor)
