"""Results sliced by sample metadata: which fields are slices, the per-slice figures (checked
against intervals computed here from first principles, through the page's JSON and CSV exports
and the API), the page, the stored summaries and their fallback, query counts, errors, access."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from evaluations.models import EvaluationRun, SampleResult
from evaluations.results import slices, stored
from tests.evaluations.factories import (
    AISystemFactory,
    ProjectSystemFactory,
    RunFactory,
    TaskFactory,
)

MIN_N = 10
Z = NormalDist().inv_cdf(0.975)


# --- expected figures, from first principles ------------------------------------------------


def wilson(p: float, n: float) -> tuple[float, float]:
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def expected(samples: dict[str, list[float]]) -> dict:
    """Mean and 95% interval of 0/1 scores, each sample's epochs one cluster: Wilson at n for one
    epoch; else Wilson at the effective n = p(1-p)/SE² (capped at the observations), SE the
    cluster-robust standard error sqrt(G/(G-1) Σ_c (Σ_i (x_i - p))²) / N."""
    xs = [x for epochs in samples.values() for x in epochs]
    big_n, g = len(xs), len(samples)
    p = sum(xs) / big_n
    if all(len(e) == 1 for e in samples.values()):
        low, high = wilson(p, big_n)
    else:
        resid = sum(sum(x - p for x in e) ** 2 for e in samples.values())
        se = math.sqrt(resid * g / (g - 1)) / big_n
        variance = p * (1 - p)
        # No variance: one draw per sample; else n_eff, at most the observations.
        n_eff = g if variance == 0 else min(variance / se**2 if se else big_n, big_n)
        low, high = wilson(p, n_eff)
    if p == 0.0:
        low = 0.0
    if p == 1.0:
        high = 1.0
    return {"mean": p, "ci_low": low, "ci_high": high, "n": g, "observations": big_n}


# --- the world ------------------------------------------------------------------------------

# Target run: two epochs per sample. English: 12 samples, French: 8, German: 3, 2 without a
# language. Reference run: one epoch; English 30, French 25, German 5; a `uid` with 60 values.
TARGET = {
    **{f"en{i:02d}": ([1.0, 1.0] if i % 3 else [1.0, 0.0], "en") for i in range(12)},
    **{f"fr{i:02d}": ([0.0, 0.0] if i % 2 else [1.0, 0.0], "fr") for i in range(8)},
    **{f"de{i:02d}": ([1.0, 1.0], "de") for i in range(3)},
    **{f"xx{i:02d}": ([float(i), 1.0], None) for i in range(2)},
}
REFERENCE = {
    **{f"en{i:02d}": ([1.0 if i % 4 else 0.0], "en") for i in range(30)},
    **{f"fr{i:02d}": ([1.0 if i % 5 == 0 else 0.0], "fr") for i in range(25)},
    **{f"de{i:02d}": ([0.0], "de") for i in range(5)},
}


def by_language(data, language):
    return {sid: scores_ for sid, (scores_, lang) in data.items() if lang == language}


@dataclass
class World:
    project: object
    task: object
    target: object
    reference: object
    run_t: EvaluationRun
    run_r: EvaluationRun


def write_run(project, task, system, institute, data, *, uid=False):
    run = RunFactory(
        project=project,
        task=task,
        system=system,
        institute=institute,
        scored=True,
        sample_count=len(data),
    )
    rows = []
    for i, (sid, (epochs, language)) in enumerate(sorted(data.items())):
        metadata = {"category": "math" if i % 2 else "code", "difficulty": 0.5}
        if language is not None:
            metadata["language"] = language
        if uid:
            metadata["uid"] = f"u-{sid}"
        for epoch, x in enumerate(epochs, start=1):
            rows.append(
                SampleResult(run=run, sample_id=sid, epoch=epoch, score=x, metadata=dict(metadata))
            )
    SampleResult.objects.bulk_create(rows)
    return run


@pytest.fixture
def sw(project, institute_a, alice, bob, vera, charlie, pm, settings):
    settings.CONCORD_SLICE_MIN_N = MIN_N
    task = TaskFactory(slug="multilingual-qa", name="Multilingual QA")
    target = AISystemFactory(developer="Lab", name="Frontier")
    reference = AISystemFactory(developer="Lab", name="Baseline")
    ProjectSystemFactory(project=project, system=target)
    ProjectSystemFactory(project=project, system=reference, is_reference=True)
    run_t = write_run(project, task, target, institute_a, TARGET)
    run_r = write_run(project, task, reference, institute_a, REFERENCE, uid=True)
    return World(project, task, target, reference, run_t, run_r)


def store_summaries(*runs):
    for run in runs:
        run.score_moments = stored.run_summary_for_storage(run, [])
        run.save(update_fields=["score_moments"])


def expected_table(sw) -> dict[tuple[str, str | None], dict]:
    out = {}
    for system, data in ((sw.target, TARGET), (sw.reference, REFERENCE)):
        for language in ("en", "fr", "de", None):
            samples = by_language(data, language)
            if samples:
                figures = expected(samples)
                figures["low_n"] = figures["n"] < MIN_N
                out[(str(system), language)] = figures
    return out


def assert_table(items, sw):
    want = expected_table(sw)
    got = {(i["system"], i["slice_value"]): i for i in items}
    assert set(got) == set(want)
    for key, figures in want.items():
        item = got[key]
        assert item["slice_key"] == "language"
        assert item["task"] == "multilingual-qa"
        for name in ("mean", "ci_low", "ci_high"):
            assert float(item[name]) == pytest.approx(figures[name], abs=1e-9), (key, name)
        assert int(item["n"]) == int(item["clusters"]) == figures["n"]
        assert int(item["observations"]) == figures["observations"]
        assert (item["low_n"] in (True, "True")) == figures["low_n"], key
        run = sw.run_t if key[0] == str(sw.target) else sw.run_r
        assert int(item["run_id"]) == run.pk


def content(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8-sig")


# --- slice keys -----------------------------------------------------------------------------


@pytest.mark.parametrize("stored", [False, True])
def test_slice_keys_are_the_bounded_scalar_fields_with_their_counts(sw, stored):
    if stored:
        store_summaries(sw.run_t, sw.run_r)
    runs = list(EvaluationRun.objects.filter(pk__in=[sw.run_t.pk, sw.run_r.pk]))
    keys = {k.key: k for k in slices.slice_keys(runs)}
    # `uid` has 60 values in the reference run, `difficulty` is a float: neither is a slice.
    assert set(keys) == {"category", "language"}
    language = {v.value: v.samples for v in keys["language"].values}
    assert language == {"en": 42, "fr": 33, "de": 8, None: 2}
    assert [v.label for v in keys["language"].values][-1] == "(none)"
    assert keys["category"].samples == len(TARGET) + len(REFERENCE)


def test_stored_summaries_answer_without_reading_the_samples(sw):
    store_summaries(sw.run_t, sw.run_r)
    runs = list(EvaluationRun.objects.filter(pk__in=[sw.run_t.pk, sw.run_r.pk]))
    fallback = slices.slice_moments(
        list(EvaluationRun.objects.filter(pk=sw.run_t.pk).defer("score_moments")), ["language"]
    )
    with CaptureQueriesContext(connection) as queries:
        keys = slices.slice_keys(runs)
        stored = slices.slice_moments(runs, ["language", "category"])
    assert len(queries) == 0
    assert "language" in {k.key for k in keys}
    assert stored[sw.run_t.pk]["language"] == fallback[sw.run_t.pk]["language"]


def test_a_field_that_only_some_runs_have_puts_the_others_under_none(sw, institute_a):
    other = write_run(sw.project, sw.task, AISystemFactory(), institute_a, TARGET)
    SampleResult.objects.filter(run=other).update(metadata={})
    store_summaries(other)
    other.refresh_from_db()
    moments = slices.slice_moments([other], ["language"])[other.pk]["language"]
    assert set(moments) == {None}
    assert moments[None].n == sum(len(e) for e, _ in TARGET.values())


# --- the slice table: page export, API, CSV -------------------------------------------------


@pytest.mark.parametrize("stored", [False, True])
def test_the_json_export_matches_intervals_computed_from_the_raw_scores(client, sw, vera, stored):
    if stored:
        store_summaries(sw.run_t, sw.run_r)
    client.force_login(vera)
    url = reverse("projects:results_json", kwargs={"slug": sw.project.slug})
    response = client.get(url, {"by": "language"})
    assert response.status_code == 200
    body = json.loads(content(response))
    assert (body["slice_key"], body["min_n"]) == ("language", MIN_N)
    assert_table(body["cells"], sw)


def test_the_csv_export_matches_too(client, sw, vera):
    client.force_login(vera)
    url = reverse("projects:results_csv", kwargs={"slug": sw.project.slug})
    response = client.get(url, {"by": "language"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(content(response))))
    for row in rows:
        row["slice_value"] = row["slice_value"] or None
    assert_table(rows, sw)


def test_the_api_matches_too_and_lists_the_matrix_without_by(sw, vera):
    api = APIClient()
    api.force_login(vera)
    url = f"/api/v1/projects/{sw.project.slug}/results/"
    body = api.get(url, {"by": "language"}).json()
    assert body["embargoed"] is False
    assert body["slice_keys"] == ["category", "language"]
    assert_table(body["cells"], sw)
    matrix = api.get(url).json()
    cells = {c["system"]: c for c in matrix["cells"]}
    assert cells[str(sw.reference)]["reference"] is True
    assert cells[str(sw.target)]["run_id"] == sw.run_t.pk
    whole = expected({sid: e for sid, (e, _) in TARGET.items()})
    assert cells[str(sw.target)]["mean"] == pytest.approx(whole["mean"], abs=1e-9)
    assert cells[str(sw.target)]["ci_low"] == pytest.approx(whole["ci_low"], abs=1e-9)
    assert cells[str(sw.target)]["n"] == whole["n"]


def test_unknown_keys_are_refused_with_the_available_ones(client, sw, vera):
    client.force_login(vera)
    for name in ("results_csv", "results_json"):
        response = client.get(
            reverse(f"projects:{name}", kwargs={"slug": sw.project.slug}), {"by": "uid"}
        )
        assert response.status_code == 400
        assert "category, language" in response.content.decode()
    api = APIClient()
    api.force_login(vera)
    response = api.get(f"/api/v1/projects/{sw.project.slug}/results/", {"by": "nope"})
    assert response.status_code == 400
    assert "category, language" in response.json()["error"]["message"]
    response = api.get(f"/api/v1/projects/{sw.project.slug}/results/", {"institute": "zz"})
    assert response.status_code == 400
    page = client.get(reverse("projects:results", kwargs={"slug": sw.project.slug}), {"by": "nope"})
    assert page.status_code == 200
    assert "no metadata field nope to slice by" in page.content.decode()
    assert page.context["sliced"] is None


def test_an_outsider_gets_404_and_an_embargo_gives_a_notice(sw, charlie, pm):
    api = APIClient()
    api.force_login(charlie)
    url = f"/api/v1/projects/{sw.project.slug}/results/"
    assert api.get(url, {"by": "language"}).status_code == 404
    from datetime import timedelta

    from django.utils import timezone

    sw.project.embargo_until = timezone.now() + timedelta(days=3)
    sw.project.save(update_fields=["embargo_until"])
    api.force_login(pm)
    body = api.get(url, {"by": "language"}).json()
    assert body["embargoed"] is True
    assert body["cells"] == []
    assert "embargo" in body["detail"]


# --- the page -------------------------------------------------------------------------------


def test_the_page_shows_the_slice_matrix_with_few_samples_flags(client, sw, vera):
    client.force_login(vera)
    url = reverse("projects:results", kwargs={"slug": sw.project.slug})
    plain = client.get(url)
    assert '<option value="language">language</option>' in plain.content.decode()
    response = client.get(url, {"by": "language"})
    html = response.content.decode()
    sliced = response.context["sliced"]
    assert sliced.key == "language"
    assert [r.label for r in sliced.tasks[0].rows] == ["de", "en", "fr", "(none)"]
    assert 'data-slice-value="(none)"' in html
    assert f"Fewer than {MIN_N} samples" in html
    # Target: de 3, fr 8, (none) 2 are below 10; reference: de 5.
    assert sliced.low_n_count == 4
    charts = response.context["charts"]
    assert charts[0]["points"][0]["label"] == f"de · {sw.target}"
    assert charts[0]["y"]["unit"] is True


def test_the_slice_matrix_takes_a_fixed_number_of_queries(
    sw, institute_a, django_assert_max_num_queries
):
    def count():
        with CaptureQueriesContext(connection) as queries:
            slices.build_slice_matrix(sw.project, by="language")
        return len(queries)

    few = count()
    for _ in range(4):
        task = TaskFactory()
        for system in (sw.target, sw.reference):
            write_run(sw.project, task, system, institute_a, TARGET)
    assert count() == few
    with django_assert_max_num_queries(12):
        slices.build_slice_matrix(sw.project, by="language")


def test_the_page_is_n_plus_one_free(client, sw, vera, institute_a, django_assert_max_num_queries):
    client.force_login(vera)
    url = reverse("projects:results", kwargs={"slug": sw.project.slug})
    with CaptureQueriesContext(connection) as queries:
        client.get(url, {"by": "language"})
    few = len(queries)
    for _ in range(3):
        task = TaskFactory()
        for system in (sw.target, sw.reference):
            write_run(sw.project, task, system, institute_a, REFERENCE)
    with django_assert_max_num_queries(few):
        assert client.get(url, {"by": "language"}).status_code == 200


def test_the_pass_over_rows_for_other_databases_gives_the_same_figures(sw):
    ids = [sw.run_t.pk, sw.run_r.pk]
    assert slices._key_counts_python(ids) == slices._key_counts(ids)
    keys = ["category", "language"]
    by_rows, by_sql = slices._moments_python(ids, keys), slices._moments_query(ids, keys)
    for run_id in ids:
        for key in keys:
            assert set(by_rows[run_id][key]) == set(by_sql[run_id][key])
            for value, moments in by_sql[run_id][key].items():
                other = by_rows[run_id][key][value]
                assert (other.n, other.clusters, other.binary) == (
                    moments.n,
                    moments.clusters,
                    moments.binary,
                )
                assert other.total == pytest.approx(moments.total, abs=1e-9)
                assert other.residual_sq == pytest.approx(moments.residual_sq, abs=1e-9)


def test_ingestion_stores_the_slices_of_a_run(sw):
    summary = stored.run_summary_for_storage(sw.run_r, [])["slices"]
    assert summary["samples"] == len(REFERENCE)
    assert summary["keys"]["uid"] is None  # 60 values: not a slice
    assert summary["keys"]["difficulty"] is None  # a float
    assert summary["keys"]["language"]["values"] == {"de": 5, "en": 30, "fr": 25}
    assert [value for value, _ in summary["keys"]["language"]["moments"]] == ["de", "en", "fr"]


@pytest.mark.parametrize(("value", "expected"), [(None, 30), ("7", 7)])
def test_the_minimum_comes_from_the_environment(value, expected):
    env = {k: v for k, v in os.environ.items() if k != "CONCORD_SLICE_MIN_N"}
    if value is not None:
        env["CONCORD_SLICE_MIN_N"] = value
    env["DJANGO_SETTINGS_MODULE"] = "config.settings_test"
    code = "import django; django.setup(); from django.conf import settings; "
    code += "print(settings.CONCORD_SLICE_MIN_N)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        cwd=str(Path(__file__).resolve().parents[3]),
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == str(expected)


def test_the_api_is_n_plus_one_free(sw, vera, institute_a, django_assert_max_num_queries):
    api = APIClient()
    api.force_login(vera)
    url = f"/api/v1/projects/{sw.project.slug}/results/"
    with CaptureQueriesContext(connection) as queries:
        assert api.get(url, {"by": "language"}).status_code == 200
    few = len(queries)
    for _ in range(3):
        task = TaskFactory()
        for system in (sw.target, sw.reference):
            write_run(sw.project, task, system, institute_a, REFERENCE)
    with django_assert_max_num_queries(few):
        body = api.get(url, {"by": "language"}).json()
    assert len({c["task"] for c in body["cells"]}) == 4
