"""The guideline version form sets the version's review labels and judge threshold with its text;
the guideline page shows them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from evaluations.models import GuidelineVersion, ReviewLabel
from evaluations.services import guidelines
from tests.evaluations.factories import joint_world


@pytest.fixture
def jw(alice, pm, institute_a, institute_b):
    return joint_world(alice=alice, pm=pm, institute_a=institute_a, institute_b=institute_b)


def url(name, **kwargs):
    return reverse(f"guidelines:{name}", kwargs=kwargs)


def pks(*slugs: str) -> list[int]:
    return list(ReviewLabel.objects.filter(slug__in=slugs).values_list("pk", flat=True))


def test_the_draft_form_sets_labels_and_threshold_and_the_page_shows_them(client, jw, bob):
    client.force_login(bob)
    edit = url("version_edit", code="cyber-protocol", number=2)
    form_page = client.get(edit).text
    assert "Flag LLM judges whose kappa is below" in form_page
    assert "Correct" in form_page
    assert "says: right" in form_page
    assert "says nothing about the answer" in form_page
    response = client.post(
        edit,
        {
            "body_markdown": "Solve CTFs.",
            "review_labels": pks("correct", "incorrect"),
            "judge_min_kappa": "0.65",
        },
    )
    assert response.status_code == 302
    draft = GuidelineVersion.objects.get(pk=jw.draft.pk)
    assert set(draft.review_labels.values_list("slug", flat=True)) == {"correct", "incorrect"}
    assert draft.judge_min_kappa == 0.65

    page = client.get(url("detail", code="cyber-protocol")).text
    v2 = page.split('id="v2"')[1].split("</section>")[0]
    assert "Review labels: Correct, Incorrect" in v2
    assert "Judges flagged below kappa 0.65" in v2
    v1 = page.split('id="v1"')[1].split("</section>")[0]
    assert "Review labels: the default set: Correct, Incorrect, Refusal" in v1
    assert "No threshold" in v1

    # The form shows what is saved.
    form = client.get(edit).context["form"]
    assert {label.slug for label in form.initial["review_labels"]} == {"correct", "incorrect"}
    assert form.initial["judge_min_kappa"] == 0.65


def test_a_threshold_out_of_range_is_a_form_error(client, jw, bob):
    client.force_login(bob)
    edit = url("version_edit", code="cyber-protocol", number=2)
    response = client.post(edit, {"body_markdown": "changed", "judge_min_kappa": "1.5"})
    assert response.status_code == 200
    assert response.context["form"].errors["judge_min_kappa"]
    assert GuidelineVersion.objects.get(pk=jw.draft.pk).body_markdown != "changed"


def test_a_new_version_starts_from_the_latest_versions_labels_and_threshold(
    client, jw, alice, institute_a
):
    jw.v2.review_labels.set(ReviewLabel.objects.filter(slug="refusal"))
    GuidelineVersion.objects.filter(pk=jw.v2.pk).update(judge_min_kappa=0.4)
    guidelines.guideline_version_approve(user=alice, version=jw.v2, institute=institute_a)
    client.force_login(alice)
    create = url("version_create", code="bio-protocol")
    form = client.get(create).context["form"]
    assert [label.slug for label in form.initial["review_labels"]] == ["refusal"]
    assert form.initial["judge_min_kappa"] == 0.4
    assert "change_summary" not in form.initial
    response = client.post(
        create,
        {"body_markdown": "# v3", "review_labels": pks("refusal"), "judge_min_kappa": "0.4"},
    )
    assert response.status_code == 302
    v3 = GuidelineVersion.objects.get(guideline=jw.guideline, number=3)
    assert (list(v3.review_labels.values_list("slug", flat=True)), v3.judge_min_kappa) == (
        ["refusal"],
        0.4,
    )
