"""In the browser: sharing and publishing a finding ask for confirmation (dismissing changes
nothing), and a blind review hides the automatic score until the review is saved."""

from __future__ import annotations

import pytest

from evaluations.models import Finding
from evaluations.services import findings
from institutes.models import Role
from tests.browser.conftest import login
from tests.evaluations.results_world import build_results_world
from tests.factories import PASSWORD, InstituteFactory, member


@pytest.fixture
def world(transactional_db):
    uk = InstituteFactory(code="uk-aisi", name="UK AI Security Institute", country="GB")
    us = InstituteFactory(code="us-caisi", name="US Center for AI Standards", country="US")
    alice = member("alice", uk, Role.LEAD)
    member("bob", uk, Role.EVALUATOR)
    rw = build_results_world(institute_a=uk, institute_b=us)
    # No developer's response window: publishing follows sharing at once.
    rw.project.developer_response_days = 0
    rw.project.save(update_fields=["developer_response_days"])
    finding = findings.finding_create(
        user=alice,
        project=rw.project,
        title="Refuses CTF tasks",
        evidence=[{"kind": "run", "run": rw.run_a}],
    )
    findings.finding_transition(user=alice, finding=finding, status="agreed")
    return rw, finding


def _transition(page, label: str, *, accept: bool) -> str:
    """Click a finding's "Mark ..." button, answer the dialog; the dialog's message."""
    seen: list[str] = []

    def answer(dialog):
        seen.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", answer)
    page.locator("#findings").get_by_role("button", name=label).click()
    page.wait_for_load_state()
    return seen[0] if seen else ""


def test_sharing_and_publishing_a_finding_ask_for_confirmation(page, world):
    rw, finding = world
    login(page, "alice", PASSWORD)
    page.goto(f"/projects/{rw.project.slug}/#findings")
    findings_card = page.locator("#findings")
    assert "Recorded by alice" in findings_card.inner_text()
    assert findings_card.get_by_role("link", name=f"Run {rw.run_a.pk}").count() == 1

    message = _transition(page, "Mark shared with developer", accept=False)
    assert "shared with the developer" in message
    assert "cannot be undone" in message
    finding.refresh_from_db()
    assert finding.status == Finding.Status.AGREED

    _transition(page, "Mark shared with developer", accept=True)
    page.wait_for_selector(".message-success")
    finding.refresh_from_db()
    assert finding.status == Finding.Status.SHARED

    message = _transition(page, "Mark published", accept=False)
    assert message.startswith("Publish “Refuses CTF tasks”?")
    finding.refresh_from_db()
    assert finding.status == Finding.Status.SHARED

    _transition(page, "Mark published", accept=True)
    page.wait_for_selector(".message-success")
    finding.refresh_from_db()
    assert finding.status == Finding.Status.PUBLISHED
    assert page.concord_errors == []


def test_a_blind_review_hides_the_score_until_it_is_saved(page, world):
    rw, _ = world
    sample = rw.run_a.samples.exclude(score=None).order_by("sample_id").first()
    login(page, "bob", PASSWORD)
    page.goto(f"/runs/{rw.run_a.pk}/samples/{sample.pk}/")
    assert page.locator(".score-mark").count() == 1
    page.click("text=Review blind")
    page.wait_for_load_state()
    assert page.locator(".score-mark").count() == 0
    assert page.locator("#scores-hidden").is_visible()
    page.select_option("#id_label", label="Scorer wrong")
    page.click("text=Save my review")
    page.wait_for_selector(".message-success")
    assert page.locator(".score-mark").count() == 1
    assert page.locator("#scores-hidden").count() == 0
    assert "Scorer wrong" in page.locator(".reviews").inner_text()
    assert page.concord_errors == []
