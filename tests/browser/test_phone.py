"""Concord on a 390 px phone: no page scrolls sideways, the header folds into a menu, and htmx
requests keep to the strict CSP (no inline style injected)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from evaluations.models import Guideline
from exchanges.models import ChecklistItem, ChecklistItemType, Exchange
from tests.browser.conftest import login, screenshot
from tests.browser.test_results_ui import build_demo
from tests.factories import PASSWORD

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def demo(transactional_db, tmp_path):
    return build_demo(tmp_path)


@pytest.fixture
def phone(page):
    page.set_viewport_size(PHONE)
    return page


def _scrolls_sideways(page) -> int:
    """How many pixels the page is wider than the screen (0 when it fits)."""
    return page.evaluate(
        "() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)"
    )


def test_no_page_scrolls_sideways_on_a_phone(phone, demo):
    # A long unbroken reference, as job parameters often hold, must wrap rather than widen the page.
    demo.running_job.params = {"dataset": "hf://datasets/concord/" + "agentic-safety-" * 8 + "v2"}
    demo.running_job.save(update_fields=["params"])
    login(phone, "alice", PASSWORD)
    guideline = Guideline.objects.get(code="agentic-safety")
    pages = {
        "dashboard": "/",
        "project": reverse("projects:detail", kwargs={"slug": demo.project.slug}),
        "job": reverse("jobs:detail", kwargs={"job_id": demo.running_job.pk}),
        "run": reverse("runs:detail", kwargs={"run_id": demo.run_uk.pk}),
        "guideline": reverse("guidelines:detail", kwargs={"code": guideline.code}),
        "timeline": reverse("exchanges:timeline"),
    }
    too_wide = {}
    for name, url in pages.items():
        phone.goto(url)
        overflow = _scrolls_sideways(phone)
        if overflow:
            too_wide[name] = overflow
    assert too_wide == {}, f"pages wider than a 390 px screen (by px): {too_wide}"
    assert phone.concord_errors == []


def test_the_header_folds_into_a_menu_on_a_phone(phone, demo):
    login(phone, "alice", PASSWORD)
    phone.goto(reverse("projects:detail", kwargs={"slug": demo.project.slug}))
    assert not phone.locator(".mainnav").is_visible()
    menu = phone.locator("details.navmenu")
    assert menu.is_visible()
    header_height = phone.locator("header.topbar").bounding_box()["height"]
    assert header_height < 80, f"the header takes {header_height} px"
    screenshot(phone, "phone")
    menu.locator("summary").click()
    panel = menu.locator(".navmenu-panel")
    assert panel.get_by_role("link", name="Guidelines").is_visible()
    assert panel.get_by_role("button", name="Log out").is_visible()
    assert _scrolls_sideways(phone) == 0
    panel.get_by_role("link", name="Guidelines").click()
    phone.wait_for_url("**/guidelines/")
    assert phone.concord_errors == []


def test_ticking_a_checklist_item_keeps_to_the_csp(page, demo):
    exchange = Exchange.objects.get(person__username="alice")
    item_type = ChecklistItemType.objects.create(name="Security briefing", order=1)
    ChecklistItem.objects.create(exchange=exchange, item_type=item_type)
    login(page, "alice", PASSWORD)
    page.goto(reverse("exchanges:detail", args=[exchange.pk]))
    # htmx was configured from the meta tag: it injected no <style> of its own.
    assert page.evaluate("() => htmx.config.includeIndicatorStyles") is False
    assert page.locator("head style").count() == 0
    with page.expect_response(lambda r: "/checklist/" in r.url and r.request.method == "POST"):
        page.locator("#checklist").get_by_role("button", name="Mark done").first.click()
    page.locator("#checklist").get_by_role("button", name="Reopen").first.wait_for()
    assert ChecklistItem.objects.get(exchange=exchange, item_type=item_type).done_at is not None
    assert page.locator("head style").count() == 0
    assert page.concord_errors == [], page.concord_errors
