"""The demo's missing and forbidden pages are Concord's own, styled, under the strict CSP.

The demo (`make run`) used to run with DEBUG=1, so every missing page was Django's technical 404:
unstyled, listing every URL pattern, its inline CSS refused by the CSP. It now runs with
`CONCORD_DEMO=1` and DEBUG off (config/settings.py): Concord's 404/403 pages, with static files
still served from the source folders. DEBUG cannot be switched on inside the test suite's live
server (pytest-django turns it off), so this module starts the demo's own server the way
scripts/demo.sh does (SQLite, the file broker, the demo flag, `seed_demo`) and drives it with
Chromium; tests/test_settings.py checks that scripts/demo.sh sets the flag and not DEBUG.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from evaluations.seed import PROJECT_SLUG
from institutes.seed import DEMO_PASSWORD
from tests.browser.conftest import login

ROOT = Path(__file__).resolve().parents[2]
# The variables of the test run that the demo does not have.
NOT_THE_DEMOS = {
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "DJANGO_SETTINGS_MODULE",
    "SECURE_SSL_REDIRECT",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    """The demo's web server, configured as scripts/demo.sh configures it (no worker)."""
    folder = tmp_path_factory.mktemp("demo")
    env = {k: v for k, v in os.environ.items() if k not in NOT_THE_DEMOS}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        CONCORD_DEMO="1",
        CONCORD_REQUIRE_OTP="0",
        DATABASE_URL=f"sqlite:///{folder / 'demo.sqlite3'}",
        CELERY_BROKER_URL="filesystem://",
        CONCORD_LOG_DIR=str(folder / "logs"),
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], env=env, cwd=folder, check=True)
    subprocess.run([*manage, "seed_demo", "--without-runs"], env=env, cwd=folder, check=True)
    port = _free_port()
    log = (folder / "server.log").open("w")
    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/healthz", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError):
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        "The demo server did not start: " + (folder / "server.log").read_text()
                    )
                time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture
def demo_page(chromium_browser, demo_url):
    context = chromium_browser.new_context(
        base_url=demo_url, viewport={"width": 1280, "height": 860}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    # A CSP violation is reported on the console as an error.
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.concord_errors = errors
    yield page
    context.close()


def _styled(page) -> bool:
    """The stylesheet (served by WhiteNoise without DEBUG) applied: the card has its border."""
    return page.eval_on_selector(".card", "el => getComputedStyle(el).borderTopStyle") != "none"


def _unexpected(errors: list[str]) -> list[str]:
    """Console errors other than the browser's note that the page itself answered 404 or 403."""
    return [
        e
        for e in errors
        if not (e.startswith("Failed to load resource") and ("404" in e or "403" in e))
    ]


def test_a_missing_page_in_the_demo_is_concords_404(demo_page):
    response = demo_page.goto("/no-such-page/")
    assert response is not None
    assert response.status == 404
    assert demo_page.locator("h1").inner_text() == "Not found"
    body = demo_page.content()
    assert "Using the URLconf" not in body
    assert "DEBUG = True" not in body
    assert _styled(demo_page)
    assert _unexpected(demo_page.concord_errors) == []


def test_an_outsiders_project_page_in_the_demo_is_concords_404(demo_page):
    login(demo_page, "kenji", DEMO_PASSWORD)
    response = demo_page.goto(f"/projects/{PROJECT_SLUG}/")
    assert response is not None
    assert response.status == 404
    assert demo_page.locator("h1").inner_text() == "Not found"
    assert _styled(demo_page)
    assert _unexpected(demo_page.concord_errors) == []


def test_a_forbidden_page_in_the_demo_is_concords_403(demo_page):
    login(demo_page, "uma", DEMO_PASSWORD)
    response = demo_page.goto(f"/projects/{PROJECT_SLUG}/edit/")
    assert response is not None
    assert response.status == 403
    assert demo_page.locator("h1").inner_text() == "You cannot do this"
    assert _styled(demo_page)
    assert _unexpected(demo_page.concord_errors) == []
