"""The results page sliced by sample metadata in Chromium: "Slice by" → language shows the slice
matrix (a row per language under each task's headline, "few samples" flagged) and its charts;
screenshotted into docs/screenshots/slices.png.

The world is the results pages' demonstration project (tests/browser/test_results_ui.py), its
samples given a language: German on the first four samples of each run (fewer than the minimum),
then English and French in turn.
"""

from __future__ import annotations

import pytest

from evaluations.models import SampleResult
from tests.browser.conftest import login, screenshot
from tests.browser.test_results_ui import build_demo
from tests.factories import PASSWORD

MIN_N = 10


@pytest.fixture
def demo(transactional_db, tmp_path, settings):
    settings.CONCORD_SLICE_MIN_N = MIN_N
    demo = build_demo(tmp_path)
    # The runs written by factories (no summary stored at ingestion): numeric sample ids.
    rows = SampleResult.objects.filter(run__score_moments__isnull=True)
    for row in rows.only("pk", "sample_id"):
        number = int(row.sample_id)
        language = "de" if number <= 4 else ("en" if number % 2 else "fr")
        SampleResult.objects.filter(pk=row.pk).update(metadata={"language": language})
    return demo


def test_slicing_the_results_by_language_shows_rows_per_language_and_flags_few_samples(page, demo):
    login(page, "alice", PASSWORD)
    page.goto(f"/projects/{demo.project.slug}/results/")
    select = page.locator("select[name=by]")
    assert "language" in select.inner_text()
    select.select_option("language")
    page.click("form.inline-filters button[type=submit]")
    page.wait_for_url("**by=language**")
    table = page.locator("table.slice-matrix")
    assert table.get_attribute("data-slice-key") == "language"
    safeguards = table.locator('tbody[data-task="concord-safeguards-refusals"]')
    assert safeguards.locator("tr.slice-overall").count() == 1
    for value in ("de", "en", "fr"):
        assert safeguards.locator(f'tr[data-slice-value="{value}"]').count() == 1
    flag = safeguards.locator('tr[data-slice-value="de"] [data-low-n]').first
    assert flag.inner_text() == "few samples"
    assert f"Fewer than {MIN_N} samples" in flag.get_attribute("title")
    assert safeguards.locator('tr[data-slice-value="en"] [data-low-n]').count() == 0
    page.wait_for_selector("canvas.results-chart[data-drawn]")
    assert "Scores by task and language" in page.locator("#h-charts").inner_text()
    page.set_viewport_size({"width": 1280, "height": 1400})
    screenshot(page, "slices")
    assert page.concord_errors == []


def test_an_unknown_field_is_a_form_error_not_a_server_error(page, demo):
    login(page, "alice", PASSWORD)
    page.goto(f"/projects/{demo.project.slug}/results/?by=nope")
    error = page.locator("[data-slice-error]")
    assert "no metadata field nope" in error.inner_text()
    assert page.locator("table.matrix").count() == 1
    assert page.concord_errors == []
