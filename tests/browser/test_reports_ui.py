"""A joint report in Chromium, on the demo project: the list of versions, the frozen version 1
(its hash, signatures and body), screenshotted into docs/screenshots/report-page.png, and a new
version drafted from it, which reads its figures live."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import call_command
from django.db import connection

from evaluations.models import Report
from institutes.seed import DEMO_PASSWORD
from tests.browser.conftest import login, restore_migration_rows, screenshot

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _seed() -> None:
    try:
        restore_migration_rows()
        call_command("seed_demo")
    finally:
        connection.close()


def test_the_demo_report_page(page, settings):
    settings.LOCAL = True
    # Inspect runs its own event loop: not in this thread, where Playwright's loop runs.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(_seed).result()
    report = Report.objects.select_related("project").get(number=1)
    login(page, "alice", DEMO_PASSWORD)
    page.goto(f"/projects/{report.project.slug}/")
    page.click("text=Reports")
    page.click("text=Version 1")
    header = page.locator(".report-frozen")
    assert "Version 1, frozen" in header.inner_text()
    assert report.content_hash in header.inner_text()
    assert page.locator(".approvals .signed").count() == 2
    screenshot(page, "report-page")
    page.click("button:has-text('New version')")
    assert "Draft: figures are read live" in page.locator(".report-draft").inner_text()
    assert Report.objects.get(number=2).based_on == report
    assert page.concord_errors == []
