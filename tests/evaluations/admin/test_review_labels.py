"""The admin of review labels (what each says about the answer, which make the default set) and
of a guideline version's label set and judge threshold, editable while it is a draft."""

from __future__ import annotations

import pytest
from django.urls import reverse

from evaluations.models import GuidelineVersion, ReviewLabel
from tests.evaluations.admin.test_projects import change_post
from tests.evaluations.factories import joint_world


@pytest.fixture
def jw(alice, pm, institute_a, institute_b):
    return joint_world(alice=alice, pm=pm, institute_a=institute_a, institute_b=institute_b)


def test_a_programme_manager_sets_a_labels_verdict_and_default(client, pm):
    client.force_login(pm)
    label = ReviewLabel.objects.get(slug="tool-use-fault")
    url = reverse("admin:evaluations_reviewlabel_change", args=[label.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert {"verdict", "default"} <= set(page.context["adminform"].form.fields)
    response = client.post(
        url,
        {"name": "Tool-use fault", "description": "", "verdict": "0", "default": "on", "order": 60},
    )
    assert response.status_code == 302
    label.refresh_from_db()
    assert (label.verdict, label.default, label.slug) == (0.0, True, "tool-use-fault")
    changelist = client.get(reverse("admin:evaluations_reviewlabel_changelist"))
    assert "Tool-use fault" in changelist.text


def test_a_verdict_outside_zero_to_one_is_a_form_error(client, pm):
    client.force_login(pm)
    label = ReviewLabel.objects.get(slug="correct")
    url = reverse("admin:evaluations_reviewlabel_change", args=[label.pk])
    response = client.post(url, {"name": "Correct", "verdict": "2", "order": 10})
    assert response.status_code == 200
    label.refresh_from_db()
    assert label.verdict == 1.0


def test_a_drafts_labels_and_threshold_are_edited_in_the_admin_until_submitted(client, jw, pm):
    client.force_login(pm)
    labels = list(ReviewLabel.objects.filter(slug__in=["correct", "refusal"]))
    response = change_post(
        client,
        "guidelineversion",
        jw.draft.pk,
        {
            "body_markdown": "# Edited",
            "change_summary": "",
            "review_labels": [label.pk for label in labels],
            "judge_min_kappa": "0.55",
        },
    )
    assert response.status_code == 302
    draft = GuidelineVersion.objects.get(pk=jw.draft.pk)
    assert set(draft.review_labels.all()) == set(labels)
    assert draft.judge_min_kappa == 0.55

    high = change_post(
        client,
        "guidelineversion",
        jw.draft.pk,
        {"body_markdown": "# Edited", "change_summary": "", "judge_min_kappa": "3"},
    )
    assert high.status_code == 200
    assert GuidelineVersion.objects.get(pk=jw.draft.pk).judge_min_kappa == 0.55

    page = client.get(reverse("admin:evaluations_guidelineversion_change", args=[jw.v2.pk]))
    assert page.status_code == 200
    assert "Judge min kappa" in page.text  # shown, read-only: not a field of the form
    assert not {"review_labels", "judge_min_kappa"} & set(page.context["adminform"].form.fields)
    change_post(
        client,
        "guidelineversion",
        jw.v2.pk,
        {"review_labels": [labels[0].pk], "judge_min_kappa": "0.9"},
    )
    v2 = GuidelineVersion.objects.get(pk=jw.v2.pk)
    assert (list(v2.review_labels.all()), v2.judge_min_kappa) == ([], None)
