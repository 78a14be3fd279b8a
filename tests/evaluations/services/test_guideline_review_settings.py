"""A guideline version's review settings, its label set and judge threshold, are part of its
content: set with its text, frozen with it once submitted, carried into the next draft."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from evaluations.models import ReviewLabel
from evaluations.services import guidelines
from tests.evaluations.factories import joint_world


@pytest.fixture
def jw(alice, pm, institute_a, institute_b):
    return joint_world(alice=alice, pm=pm, institute_a=institute_a, institute_b=institute_b)


def labels(*slugs: str) -> list[ReviewLabel]:
    return list(ReviewLabel.objects.filter(slug__in=slugs))


def slugs(version) -> set[str]:
    return set(version.review_labels.values_list("slug", flat=True))


def test_a_draft_is_created_and_edited_with_its_labels_and_threshold(jw, alice):
    draft = guidelines.guideline_version_update(
        user=alice,
        version=jw.draft,
        body_markdown="Solve CTFs, reviewed.",
        review_labels=labels("correct", "incorrect", "tool-use-fault"),
        judge_min_kappa=0.6,
    )
    draft.refresh_from_db()
    assert slugs(draft) == {"correct", "incorrect", "tool-use-fault"}
    assert draft.judge_min_kappa == 0.6

    # Left out: unchanged; given: replaced ([]: the default set, None: no threshold).
    guidelines.guideline_version_update(user=alice, version=draft, body_markdown="Again.")
    draft.refresh_from_db()
    assert (slugs(draft), draft.judge_min_kappa) == (
        {"correct", "incorrect", "tool-use-fault"},
        0.6,
    )
    guidelines.guideline_version_update(
        user=alice, version=draft, body_markdown="Again.", review_labels=[], judge_min_kappa=None
    )
    draft.refresh_from_db()
    assert (slugs(draft), draft.judge_min_kappa) == (set(), None)


@pytest.mark.parametrize("kappa", [1.01, -1.5, float("nan"), "high"])
def test_a_threshold_outside_minus_one_to_one_is_refused(jw, alice, kappa):
    with pytest.raises(ValidationError) as refused:
        guidelines.guideline_version_update(
            user=alice, version=jw.draft, body_markdown="x", judge_min_kappa=kappa
        )
    assert "from -1 to 1" in refused.value.message_dict["judge_min_kappa"][0]
    jw.draft.refresh_from_db()
    assert (jw.draft.body_markdown, jw.draft.judge_min_kappa) == (
        "Solve CTFs.\n\nWithin 20 minutes.\n",
        None,
    )


@pytest.mark.parametrize("kappa", [-1, 0, 1])
def test_the_ends_of_the_kappa_scale_are_thresholds(jw, alice, kappa):
    version = guidelines.guideline_version_update(
        user=alice, version=jw.draft, body_markdown="x", judge_min_kappa=kappa
    )
    assert version.judge_min_kappa == kappa


def test_a_submitted_version_keeps_its_labels_and_threshold(jw, alice):
    guidelines.guideline_version_update(
        user=alice,
        version=jw.draft,
        body_markdown="x",
        review_labels=labels("correct"),
        judge_min_kappa=0.5,
    )
    guidelines.guideline_version_submit(user=alice, version=jw.draft)
    with pytest.raises(ValidationError, match="Only a draft can be edited"):
        guidelines.guideline_version_update(
            user=alice,
            version=jw.draft,
            body_markdown="x",
            review_labels=labels("incorrect"),
            judge_min_kappa=0.9,
        )
    jw.draft.refresh_from_db()
    assert (slugs(jw.draft), jw.draft.judge_min_kappa) == ({"correct"}, 0.5)


def test_the_next_draft_starts_with_the_latest_versions_labels_and_threshold(
    jw, alice, institute_a
):
    v2 = jw.v2
    v2.review_labels.set(labels("correct", "refusal"))
    type(v2).objects.filter(pk=v2.pk).update(judge_min_kappa=0.4)
    guidelines.guideline_version_approve(user=alice, version=v2, institute=institute_a)
    v3 = guidelines.guideline_version_create(user=alice, guideline=jw.guideline, body_markdown="3")
    assert (slugs(v3), v3.judge_min_kappa) == ({"correct", "refusal"}, 0.4)
    assert slugs(v2) == {"correct", "refusal"}  # the approved version keeps its own


def test_a_new_draft_may_set_its_own_labels_and_threshold(jw, alice, institute_a):
    jw.v2.review_labels.set(labels("correct"))
    guidelines.guideline_version_approve(user=alice, version=jw.v2, institute=institute_a)
    v3 = guidelines.guideline_version_create(
        user=alice,
        guideline=jw.guideline,
        body_markdown="3",
        review_labels=[],
        judge_min_kappa=None,
    )
    assert (slugs(v3), v3.judge_min_kappa) == (set(), None)


def test_a_new_draft_with_an_out_of_range_threshold_is_not_created(jw, alice, institute_a):
    guidelines.guideline_version_approve(user=alice, version=jw.v2, institute=institute_a)
    with pytest.raises(ValidationError) as refused:
        guidelines.guideline_version_create(
            user=alice, guideline=jw.guideline, body_markdown="3", judge_min_kappa=2
        )
    assert set(refused.value.message_dict) == {"judge_min_kappa"}
    assert not jw.guideline.versions.filter(number=3).exists()


def test_a_queue_under_the_version_offers_its_labels_and_holds_judges_to_its_threshold(
    alice, institute_a, institute_b
):
    from evaluations.results import judges
    from evaluations.services import queues
    from tests.evaluations.queues_world import build_queue_world

    qw = build_queue_world(institute_a=institute_a, institute_b=institute_b)
    guideline = guidelines.guideline_create(
        user=alice,
        code="review-protocol",
        title="Review protocol",
        owner_institute=institute_a,
        required_institutes=[institute_a],
    )
    version = guidelines.guideline_version_create(
        user=alice,
        guideline=guideline,
        body_markdown="Review every answer.",
        review_labels=labels("correct", "incorrect", "environment-bug"),
        judge_min_kappa=0.7,
    )
    guidelines.guideline_version_submit(user=alice, version=version)
    version = guidelines.guideline_version_approve(
        user=alice, version=version, institute=institute_a
    )
    guidelines.project_adopt_guideline(user=alice, project=qw.project, version=version)
    queue = queues.queue_create(
        project=qw.project,
        by=alice,
        name="Under the protocol",
        runs=[qw.run_lang],
        guideline_version=version,
    )
    assert set(queue.labels.values_list("slug", flat=True)) == {
        "correct",
        "incorrect",
        "environment-bug",
    }
    assert judges.queue_agreement(queue).threshold == 0.7
