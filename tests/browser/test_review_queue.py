"""A review queue in Chromium: a lead's blind queue with two reviews per item. Reviewer A
presses "Next", reads a transcript without the system's name, labels it and goes on; reviewer B
is then given the item A reviewed and does not see A's label before saving their own; the queue
page's progress moves. The queue page is screenshotted into docs/screenshots/review-queue.png."""

from __future__ import annotations

import re

import pytest

from evaluations.services import queues as queue_services
from institutes.models import Role
from tests.browser.conftest import login, screenshot
from tests.evaluations.queues_world import build_queue_world
from tests.factories import PASSWORD, InstituteFactory, member


@pytest.fixture
def world(transactional_db):
    uk = InstituteFactory(code="uk-aisi", name="UK AI Security Institute", country="GB")
    us = InstituteFactory(code="us-caisi", name="US Center for AI Standards", country="US")
    alice = member("alice", uk, Role.LEAD)
    member("bob", uk, Role.EVALUATOR)
    member("carol", us, Role.EVALUATOR)
    qw = build_queue_world(institute_a=uk, institute_b=us)
    queue = queue_services.queue_create(
        project=qw.project,
        by=alice,
        name="Answers by language",
        description="Is the automatic scorer right? Two readers per answer, blind.",
        runs=[qw.run_lang],
        selection="count",
        per_slice_count=2,
        slice_key="language",
        reviews_per_item=2,
        blind=True,
        seed=2026,
    )
    return qw, queue


def _queue_url(queue) -> str:
    return f"/projects/{queue.project.slug}/reviews/{queue.pk}/"


def _done(page) -> str:
    return page.locator("#progress [data-progress]").first.inner_text()


def _review(page, label: str, note: str) -> None:
    page.get_by_role("radio", name=re.compile(rf"^{label}\b")).check()
    page.fill("#id_note", note)
    page.get_by_role("button", name="Save and next").click()
    page.wait_for_load_state()


def test_two_reviewers_work_a_blind_queue(page, world):
    _qw, queue = world
    login(page, "bob", PASSWORD)
    page.goto(_queue_url(queue))
    assert _done(page).startswith("0 / 6 items done")
    page.get_by_role("button", name="Next ›").click()
    page.wait_for_url(re.compile(r"/items/\d+/$"))
    first_item = page.url
    main = page.locator("main").inner_text()
    assert "Blind review: system hidden" in main
    assert "Frontier-1" not in main
    assert "mockllm/frontier" not in main
    _review(page, "Correct", "Bob: the answer is right.")
    assert page.url != first_item  # "Save and next" went on to the next item
    assert "/items/" in page.url
    page.goto(_queue_url(queue))
    assert "Your progress: 1 of 6" in page.locator("[data-my-progress]").inner_text()
    page.get_by_role("button", name="Next ›").click()
    page.wait_for_url(re.compile(r"/items/\d+/$"))
    assert page.url != first_item

    page.context.clear_cookies()
    login(page, "carol", PASSWORD)
    page.goto(_queue_url(queue))
    page.get_by_role("button", name="Next ›").click()
    page.wait_for_url(re.compile(r"/items/\d+/$"))
    assert page.url == first_item  # the item Bob reviewed still needs a second reader
    side = page.locator("#review").inner_text()
    assert "Bob: the answer is right." not in side
    assert "Correct" in side  # a label to choose, not Bob's review
    assert "show once you saved yours" in side
    _review(page, "Incorrect", "Carol: the target is wrong.")
    page.goto(first_item)
    side = page.locator("#review").inner_text()
    assert "Bob: the answer is right." in side
    assert "Carol: the target is wrong." in side

    page.goto(_queue_url(queue))
    assert _done(page).startswith("1 / 6 items done")
    assert "2 reviews" in page.locator("[data-reviews-total]").inner_text()
    screenshot(page, "review-queue")
    assert page.concord_errors == []
