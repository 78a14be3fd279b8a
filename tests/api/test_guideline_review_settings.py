"""A guideline version's review labels (slugs) and judge threshold over the API."""

from __future__ import annotations

from evaluations.models import GuidelineVersion
from tests.api_clients import bearer, error_of

BASE = "/api/v1/guidelines/"


def version_url(guideline, number) -> str:
    return f"{BASE}{guideline.code}/versions/{number}/"


def test_a_draft_takes_labels_and_threshold_and_the_version_reads_them(guideline, alice):
    client = bearer(alice)
    drafted = client.post(
        f"{BASE}{guideline.code}/versions/",
        {
            "body_markdown": "# CTF protocol",
            "review_labels": ["incorrect", "correct"],
            "judge_min_kappa": 0.6,
        },
    )
    assert drafted.status_code == 201, drafted.json()
    assert drafted.json()["review_labels"] == ["correct", "incorrect"]
    assert drafted.json()["judge_min_kappa"] == 0.6

    # PATCH: what is left out stays; [] is the default set, null no threshold.
    kept = client.patch(version_url(guideline, 1), {"body_markdown": "# CTF protocol v1"})
    assert (kept.json()["review_labels"], kept.json()["judge_min_kappa"]) == (
        ["correct", "incorrect"],
        0.6,
    )
    cleared = client.patch(
        version_url(guideline, 1), {"review_labels": [], "judge_min_kappa": None}
    )
    assert cleared.status_code == 200, cleared.json()
    assert (cleared.json()["review_labels"], cleared.json()["judge_min_kappa"]) == ([], None)
    assert client.get(version_url(guideline, 1)).json()["body_markdown"] == "# CTF protocol v1"


def test_an_unknown_label_or_a_threshold_out_of_range_is_a_400(guideline, alice):
    client = bearer(alice)
    client.post(f"{BASE}{guideline.code}/versions/", {"body_markdown": "text"})
    unknown = client.patch(version_url(guideline, 1), {"review_labels": ["correct", "no-such"]})
    assert unknown.status_code == 400
    assert "no-such" in str(error_of(unknown)["fields"]["review_labels"])
    high = client.patch(version_url(guideline, 1), {"judge_min_kappa": 1.2})
    assert high.status_code == 400
    assert "judge_min_kappa" in error_of(high)["fields"]
    created = client.post(
        f"{BASE}{guideline.code}/versions/", {"body_markdown": "x", "review_labels": ["nope"]}
    )
    assert created.status_code == 400
    version = GuidelineVersion.objects.get()
    assert (list(version.review_labels.all()), version.judge_min_kappa) == ([], None)


def test_an_approved_version_is_not_patched(guideline, approved_version, alice):
    client = bearer(alice)
    response = client.patch(
        version_url(guideline, 1), {"review_labels": ["correct"], "judge_min_kappa": 0.5}
    )
    assert response.status_code == 400
    assert "Only a draft can be edited" in error_of(response)["message"] + str(
        error_of(response).get("fields", "")
    )
    approved_version.refresh_from_db()
    assert (list(approved_version.review_labels.all()), approved_version.judge_min_kappa) == (
        [],
        None,
    )


def test_a_new_version_keeps_the_latest_versions_settings_unless_given(
    guideline, approved_version, alice
):
    approved_version.review_labels.set(
        approved_version.review_labels.model.objects.filter(slug="refusal")
    )
    GuidelineVersion.objects.filter(pk=approved_version.pk).update(judge_min_kappa=0.3)
    drafted = bearer(alice).post(f"{BASE}{guideline.code}/versions/", {"body_markdown": "v2"})
    assert drafted.status_code == 201
    assert (drafted.json()["review_labels"], drafted.json()["judge_min_kappa"]) == (
        ["refusal"],
        0.3,
    )
