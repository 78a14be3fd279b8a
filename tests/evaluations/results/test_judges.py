"""Judges against people: agreement per judge and language, flags below the guideline's
threshold, and results corrected by reviews, checked against figures computed here from the
world's plan with plain formulas (no Concord code), through the pages' JSON exports and the API.
"""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import timedelta
from statistics import NormalDist

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from evaluations.models import ProjectGuideline, ReviewQueue
from evaluations.results import judges
from tests.evaluations.judge_world import (
    GRADERS,
    LABEL_VERDICTS,
    LANGUAGES,
    PLAN,
    SCORER,
    THRESHOLD,
    build_judge_world,
)

Z = NormalDist().inv_cdf(0.975)
TOL = 1e-9


# --- the expected figures, from the plan alone ------------------------------------------------


def human_scores(planned) -> list[float]:
    out = []
    for _reviewer, slug, manual in planned.reviews:
        score = manual if manual is not None else LABEL_VERDICTS[slug]
        if score is not None:
            out.append(score)
    return out


def majority(scores: list[float]) -> float | None:
    passes = sum(1 for s in scores if s >= 0.5)
    if 2 * passes > len(scores):
        return 1.0
    if 2 * (len(scores) - passes) > len(scores):
        return 0.0
    return None


def expected_agreement(run: str, language: str | None) -> dict:
    pairs = []
    for p in PLAN:
        if p.run != run or not p.in_queue or (language and p.language != language):
            continue
        m = majority(human_scores(p))
        if m is not None:
            pairs.append((p.judge, m))
    n = len(pairs)
    agree = sum(1 for j, h in pairs if j == h)
    pj = sum(j for j, _ in pairs) / n
    ph = sum(h for _, h in pairs) / n
    pe = pj * ph + (1 - pj) * (1 - ph)
    po = agree / n
    tp = sum(1 for j, h in pairs if j == 1 and h == 1)
    fn = sum(1 for j, h in pairs if j == 0 and h == 1)
    fp = sum(1 for j, h in pairs if j == 1 and h == 0)
    tn = sum(1 for j, h in pairs if j == 0 and h == 0)
    tpr = tp / (tp + fn) if tp + fn else None
    tnr = tn / (tn + fp) if tn + fp else None
    return {
        "n": n,
        "discrepancy": (n - agree) / n,
        "kappa": (po - pe) / (1 - pe) if pe < 1 else None,
        "balanced_accuracy": (tpr + tnr) / 2 if tpr is not None and tnr is not None else None,
        "confusion": (tp, fn, fp, tn),
        "discrepancy_ci": wilson(n - agree, n),
    }


def wilson(k: int, n: int) -> tuple[float, float]:
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def expected_corrected(run: str) -> dict:
    values, judged, n_corrected = [], [], 0
    for p in PLAN:
        if p.run != run:
            continue
        m = majority(human_scores(p))
        judged.append(p.judge)
        if m is not None:
            n_corrected += 1
            values.append(m)
        else:
            values.append(p.judge)
    n = len(values)
    return {
        "mean": sum(values) / n,
        "ci": wilson(round(sum(values)), n),
        "judge_mean": sum(judged) / n,
        "judge_ci": wilson(round(sum(judged)), n),
        "n_corrected": n_corrected,
    }


def close(actual, expected) -> bool:
    if expected is None:
        return actual is None
    return actual is not None and abs(actual - expected) <= TOL


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def jw(project, institute_a, alice):
    return build_judge_world(project=project, institute=institute_a, created_by=alice)


def agreement_url(jw, name="reviews:agreement", **query) -> str:
    url = reverse(name, kwargs={"slug": jw.project.slug, "queue_id": jw.queue.pk})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def api_agreement_url(jw, **query) -> str:
    url = f"/api/v1/review-queues/{jw.queue.pk}/agreement/"
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def content(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode()


def api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


# --- the plan really holds the cases the rules are about -------------------------------------


def test_the_world_holds_ties_labels_without_verdict_and_both_kinds_of_judge():
    queued = [p for p in PLAN if p.in_queue]
    assert any(majority(human_scores(p)) is None and human_scores(p) for p in queued)  # a tie
    assert any(len(human_scores(p)) < len(p.reviews) for p in queued)  # a label saying nothing
    assert any(any(m is not None for _r, _s, m in p.reviews) for p in queued)  # manual scores
    assert expected_agreement("gpt", None)["kappa"] < THRESHOLD
    assert expected_agreement("claude", None)["kappa"] >= THRESHOLD


def test_rules_of_human_scores_and_majorities():
    assert judges.human_score(0.2, 1.0) == 0.2
    assert judges.human_score(None, 1.0) == 1.0
    assert judges.human_score(None, None) is None
    assert judges.human_majority([1.0, 0.0]) is None
    assert judges.human_majority([1.0, 0.6, 0.0]) == 1.0
    assert judges.human_majority([0.4, 0.0, 1.0]) == 0.0
    assert judges.human_majority([]) is None
    assert judges.judge_verdict("C") == 1.0
    assert judges.judge_verdict("I") == 0.0
    assert judges.judge_verdict(0.5) == 1.0
    assert judges.judge_verdict({"a": 1}) is None


# --- agreement: JSON export and API against the plan -----------------------------------------


def _check_agreement(data: dict) -> None:
    assert data["by"] == "language"
    assert data["threshold"] == THRESHOLD
    judges_by = {(j["scorer"], j["grader_model"]): j for j in data["judges"]}
    assert set(judges_by) == {(SCORER, GRADERS["gpt"]), (SCORER, GRADERS["claude"])}
    for run in ("gpt", "claude"):
        judge = judges_by[(SCORER, GRADERS[run])]
        assert judge["flagged"] is (run == "gpt")
        rows = {(r["slice"] if not r["overall"] else None): r for r in judge["rows"]}
        assert set(rows) == {None, *LANGUAGES}
        for language in (None, *LANGUAGES):
            want = expected_agreement(run, language)
            got = rows[language]
            assert got["n"] == want["n"], (run, language)
            assert close(got["discrepancy"], want["discrepancy"]), (run, language)
            assert close(got["kappa"], want["kappa"]), (run, language)
            assert close(got["balanced_accuracy"], want["balanced_accuracy"]), (run, language)
            c = got["confusion"]
            assert (
                c["judge_pass_human_pass"],
                c["judge_fail_human_pass"],
                c["judge_pass_human_fail"],
                c["judge_fail_human_fail"],
            ) == want["confusion"]
            low, high = want["discrepancy_ci"]
            assert close(got["discrepancy_ci"][0], low)
            assert close(got["discrepancy_ci"][1], high)


def test_agreement_json_export_matches_figures_computed_by_hand(client, jw, vera):
    client.force_login(vera)
    response = client.get(agreement_url(jw, "reviews:agreement_json"))
    assert response.status_code == 200
    _check_agreement(json.loads(content(response)))


def test_agreement_api_matches_figures_computed_by_hand(jw, vera):
    response = api(vera).get(api_agreement_url(jw))
    assert response.status_code == 200, response.content
    _check_agreement(response.json())


def test_agreement_csv_has_a_row_per_judge_and_language(client, jw, vera):
    client.force_login(vera)
    rows = list(
        csv.DictReader(io.StringIO(content(client.get(agreement_url(jw, "reviews:agreement_csv")))))
    )
    assert len(rows) == 2 * (1 + len(LANGUAGES))
    gpt_fr = next(r for r in rows if r["grader_model"] == GRADERS["gpt"] and r["slice"] == "fr")
    assert abs(float(gpt_fr["kappa"]) - expected_agreement("gpt", "fr")["kappa"]) <= TOL


def test_agreement_page_shows_each_judge_and_flags_the_poor_one(client, jw, vera):
    client.force_login(vera)
    response = client.get(agreement_url(jw))
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("data-agreement-table") == 2
    assert body.count("data-judge-flag") == 1
    assert GRADERS["gpt"] in body
    assert GRADERS["claude"] in body


def test_other_metadata_keys_slice_the_rows(jw, vera):
    data = api(vera).get(api_agreement_url(jw, by="category")).json()
    assert data["by"] == "category"
    assert data["keys"] == ["category", "language"]
    judge = data["judges"][0]
    assert {r["slice"] for r in judge["rows"] if not r["overall"]} == {"even", "odd"}
    overall = next(r for r in judge["rows"] if r["overall"])
    # the overall row does not depend on the slicing
    by_language = api(vera).get(api_agreement_url(jw)).json()["judges"][0]
    assert overall == next(r for r in by_language["rows"] if r["overall"])


def test_a_queue_without_a_slice_key_has_the_overall_row_only(client, jw, vera):
    ReviewQueue.objects.filter(pk=jw.queue.pk).update(slice_key="")
    data = api(vera).get(api_agreement_url(jw)).json()
    assert data["by"] == ""
    assert data["keys"] == ["category", "language"]
    assert all([r["overall"] for r in j["rows"]] == [True] for j in data["judges"])
    gpt = next(j for j in data["judges"] if j["grader_model"] == GRADERS["gpt"])
    assert close(gpt["rows"][0]["kappa"], expected_agreement("gpt", None)["kappa"])
    client.force_login(vera)
    assert client.get(agreement_url(jw)).status_code == 200


def test_an_unknown_by_key_is_a_form_error_and_a_400(client, jw, vera):
    client.force_login(vera)
    page = client.get(agreement_url(jw, by="nope"))
    assert page.status_code == 200
    assert "errorlist" in page.content.decode()
    assert client.get(agreement_url(jw, "reviews:agreement_csv", by="nope")).status_code == 400
    assert client.get(agreement_url(jw, "reviews:agreement_json", by="nope")).status_code == 400
    response = api(vera).get(api_agreement_url(jw, by="nope"))
    assert response.status_code == 400
    assert "nope" in json.dumps(response.json())


def test_inter_rater_kappa_is_given_per_language(jw, vera):
    data = api(vera).get(api_agreement_url(jw)).json()
    reviewers = {r["slice"]: r for r in data["reviewers"]}
    assert set(reviewers) == {"all", *LANGUAGES}
    assert reviewers["all"]["method"] == "fleiss"  # three reviewers
    assert all(r["items"] > 0 for r in reviewers.values())


# --- flags --------------------------------------------------------------------------------


def test_judge_flags_name_the_poor_judge_only(jw):
    flags = judges.judge_flags(jw.project)
    assert set(flags) == {(SCORER, GRADERS["gpt"])}
    flag = flags[(SCORER, GRADERS["gpt"])]
    assert close(flag.kappa, expected_agreement("gpt", None)["kappa"])
    assert flag.threshold == THRESHOLD
    assert flag.queue == jw.queue


def test_without_a_queue_guideline_the_strictest_adopted_threshold_holds(
    project, institute_a, alice
):
    jw = build_judge_world(
        project=project, institute=institute_a, created_by=alice, queue_threshold=False
    )
    assert judges.judge_flags(project) == {}  # no threshold anywhere yet
    ProjectGuideline.objects.create(project=project, version=jw.version)
    assert set(judges.judge_flags(project)) == {(SCORER, GRADERS["gpt"])}
    assert judges.queue_agreement(jw.queue).threshold == THRESHOLD


def test_flags_show_on_the_matrix_cell_run_page_and_exports(client, jw, vera):
    client.force_login(vera)
    slug = jw.project.slug
    results = client.get(reverse("projects:results", kwargs={"slug": slug})).content.decode()
    assert results.count("data-judge-flag") == 1
    run_page = client.get(reverse("runs:detail", kwargs={"run_id": jw.runs["gpt"].pk}))
    assert "data-judge-flag" in run_page.content.decode()
    good = client.get(reverse("runs:detail", kwargs={"run_id": jw.runs["claude"].pk}))
    assert "data-judge-flag" not in good.content.decode()
    rows = list(
        csv.DictReader(
            io.StringIO(content(client.get(reverse("projects:results_csv", kwargs={"slug": slug}))))
        )
    )
    flagged = {int(r["run_id"]): r["judge_flags"] for r in rows}
    assert GRADERS["gpt"] in flagged[jw.runs["gpt"].pk]
    assert flagged[jw.runs["claude"].pk] == ""
    cells = json.loads(
        content(client.get(reverse("projects:results_json", kwargs={"slug": slug})))
    )["cells"]
    assert any(c["judge_flags"] for c in cells if c["run_id"] == jw.runs["gpt"].pk)
    corrected = api(vera).get(f"/api/v1/projects/{slug}/results/corrected/").json()["cells"]
    by_run = {c["run_id"]: c for c in corrected}
    assert GRADERS["gpt"] in by_run[jw.runs["gpt"].pk]["judge_flags"]
    assert by_run[jw.runs["claude"].pk]["judge_flags"] == ""
    page = client.get(reverse("reviews:corrected", kwargs={"slug": slug})).content.decode()
    assert page.count("data-judge-flag") == 1


# --- corrected results ------------------------------------------------------------------------


def _check_corrected(cells: list[dict], jw) -> None:
    by_run = {c["run_id"]: c for c in cells}
    for key in ("gpt", "claude"):
        want = expected_corrected(key)
        got = by_run[jw.runs[key].pk]
        assert got["judge_based"] is True
        assert close(got["judge_mean"], want["judge_mean"])
        assert close(got["judge_ci_low"], want["judge_ci"][0])
        assert close(got["judge_ci_high"], want["judge_ci"][1])
        assert close(got["corrected_mean"], want["mean"])
        assert close(got["corrected_ci_low"], want["ci"][0])
        assert close(got["corrected_ci_high"], want["ci"][1])
        assert got["n_corrected"] == want["n_corrected"]
        assert close(got["difference"], want["mean"] - want["judge_mean"])


def test_corrected_results_json_and_api_match_figures_computed_by_hand(client, jw, vera):
    client.force_login(vera)
    slug = jw.project.slug
    exported = json.loads(
        content(client.get(reverse("reviews:corrected_json", kwargs={"slug": slug})))
    )
    _check_corrected(exported["cells"], jw)
    response = api(vera).get(f"/api/v1/projects/{slug}/results/corrected/")
    assert response.status_code == 200
    assert response.json()["embargoed"] is False
    _check_corrected(response.json()["cells"], jw)
    rows = list(
        csv.DictReader(
            io.StringIO(
                content(client.get(reverse("reviews:corrected_csv", kwargs={"slug": slug})))
            )
        )
    )
    assert {int(r["run_id"]) for r in rows} == {r.pk for r in jw.runs.values()}


def test_corrected_page_shows_both_figures(client, jw, vera):
    client.force_login(vera)
    body = client.get(
        reverse("reviews:corrected", kwargs={"slug": jw.project.slug})
    ).content.decode()
    assert body.count("<tr data-run=") == 2
    want = expected_corrected("gpt")
    assert f"{want['mean']:.3f}" in body
    assert f"{want['judge_mean']:.3f}" in body


# --- access -----------------------------------------------------------------------------------


def _all_urls(jw) -> list[str]:
    slug = jw.project.slug
    return [
        agreement_url(jw),
        agreement_url(jw, "reviews:agreement_csv"),
        agreement_url(jw, "reviews:agreement_json"),
        reverse("reviews:corrected", kwargs={"slug": slug}),
        reverse("reviews:corrected_csv", kwargs={"slug": slug}),
        reverse("reviews:corrected_json", kwargs={"slug": slug}),
    ]


def test_outsiders_get_404_everywhere(client, jw, charlie):
    client.force_login(charlie)
    for url in _all_urls(jw):
        assert client.get(url).status_code == 404, url
    outsider = api(charlie)
    assert outsider.get(api_agreement_url(jw)).status_code == 404
    assert outsider.get(f"/api/v1/projects/{jw.project.slug}/results/corrected/").status_code == 404


def test_a_queue_of_another_project_is_404(client, jw, vera, institute_a):
    from tests.evaluations.factories import ParticipationFactory, ProjectFactory

    other = ProjectFactory(slug="other-project")
    ParticipationFactory(project=other, institute=institute_a)
    client.force_login(vera)
    url = reverse("reviews:agreement", kwargs={"slug": other.slug, "queue_id": jw.queue.pk})
    assert client.get(url).status_code == 404


def test_an_embargo_hides_the_figures_from_a_programme_manager(client, jw, pm, vera):
    jw.project.embargo_until = timezone.now() + timedelta(days=30)
    jw.project.save(update_fields=["embargo_until"])
    client.force_login(pm)
    urls = _all_urls(jw)
    for url in (urls[0], urls[3]):
        response = client.get(url)
        assert response.status_code == 200
        assert "Results under embargo" in response.content.decode()
        assert "data-agreement-table" not in response.content.decode()
    for url in (urls[1], urls[2], urls[4], urls[5]):
        assert client.get(url).status_code == 404, url
    assert api(pm).get(api_agreement_url(jw)).status_code == 404
    corrected = api(pm).get(f"/api/v1/projects/{jw.project.slug}/results/corrected/").json()
    assert corrected["embargoed"] is True
    assert corrected["cells"] == []
    # participants still see everything
    assert api(vera).get(api_agreement_url(jw)).status_code == 200


# --- query counts -----------------------------------------------------------------------------


def test_pages_and_api_take_a_fixed_number_of_queries(
    client, jw, vera, django_assert_max_num_queries, project, institute_a, alice
):
    client.force_login(vera)
    rest = api(vera)
    slug = jw.project.slug
    pages = [
        *_all_urls(jw),
        reverse("projects:results", kwargs={"slug": slug}),
        reverse("projects:results_csv", kwargs={"slug": slug}),
        reverse("runs:detail", kwargs={"run_id": jw.runs["gpt"].pk}),
    ]
    apis = [api_agreement_url(jw), f"/api/v1/projects/{slug}/results/corrected/"]
    counts = {}
    for url in pages + apis:
        with django_assert_max_num_queries(30) as captured:
            content((rest if url in apis else client).get(url))
        counts[url] = len(captured.captured_queries)
    # a second queue and more runs, items and reviews: not one query more
    more = build_judge_world(project=project, institute=institute_a, created_by=alice, tag="-more")
    queue = ReviewQueue.objects.get(pk=more.queue.pk)
    queue.runs.add(*jw.runs.values())
    for url in pages + apis:
        with django_assert_max_num_queries(counts[url]):
            response = (rest if url in apis else client).get(url)
            content(response)
        assert response.status_code == 200, url
