"""The agreement of a review queue's LLM judges with its reviewers, in Chromium: one table per
judge by language, the poor judge flagged, and the rows by another metadata key. Screenshotted
into docs/screenshots/judge-agreement.png."""

from __future__ import annotations

from django.urls import reverse

from evaluations.models import Participation
from tests.browser.conftest import login, screenshot
from tests.evaluations.factories import ParticipationFactory, ProjectFactory
from tests.evaluations.judge_world import GRADERS, LANGUAGES, build_judge_world
from tests.factories import PASSWORD


def test_the_agreement_page_shows_a_table_per_judge_and_flags_the_poor_one(
    page, institute_a, alice
):
    project = ProjectFactory(slug="multilingual-judging", title="Multilingual judging")
    ParticipationFactory(project=project, institute=institute_a, role=Participation.Role.LEAD)
    jw = build_judge_world(project=project, institute=institute_a, created_by=alice)
    login(page, "alice", PASSWORD)
    url = reverse("reviews:agreement", kwargs={"slug": project.slug, "queue_id": jw.queue.pk})
    page.goto(url)
    tables = page.locator("[data-agreement-table]")
    assert tables.count() == 2
    tables.first.wait_for(state="visible")
    # an "all" row and one per language in each judge's table
    assert tables.first.locator("tbody tr").count() == 1 + len(LANGUAGES)
    flagged = page.locator(f'[data-grader="{GRADERS["gpt"]}"] [data-judge-flag]')
    assert flagged.count() == 1
    assert page.locator(f'[data-grader="{GRADERS["claude"]}"] [data-judge-flag]').count() == 0
    screenshot(page, "judge-agreement")

    page.select_option("#id_by", "category")
    page.click("[data-agreement-by] button[type=submit]")
    page.wait_for_url(lambda u: "by=category" in u)
    assert page.locator("[data-agreement-table]").first.locator("tbody tr").count() == 3
    assert not page.concord_errors, page.concord_errors
