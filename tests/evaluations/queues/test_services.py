"""Review queues' writes: creating a queue (who, validation, the draw, labels, all or nothing),
"Next" with one to three reviews per item, eligibility, closing, and saving a review."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from evaluations.models import (
    Guideline,
    GuidelineVersion,
    ProjectGuideline,
    ReviewAssignment,
    ReviewLabel,
    ReviewQueue,
    ReviewQueueItem,
    SampleReview,
)
from evaluations.services import queues as queue_services
from institutes.models import AuditEvent
from tests.evaluations.factories import ProjectFactory, RunFactory

pytestmark = pytest.mark.django_db


def make(qw, by, **kwargs) -> ReviewQueue:
    defaults = {"name": "Languages", "runs": [qw.run_lang]}
    return queue_services.queue_create(project=qw.project, by=by, **{**defaults, **kwargs})


def label(slug="correct") -> ReviewLabel:
    return ReviewLabel.objects.get(slug=slug)


def review(item, user, slug="correct"):
    return queue_services.queue_review_save(item=item, reviewer=user, label=label(slug))


# --- creating ------------------------------------------------------------------------------


def test_a_lead_creates_a_queue_of_every_sample_with_the_default_labels(qw, alice):
    queue = make(qw, alice, slice_key="language")
    assert queue.items.count() == 12
    assert set(queue.labels.values_list("slug", flat=True)) == set(
        ReviewLabel.objects.filter(default=True).values_list("slug", flat=True)
    )
    assert sorted(queue.items.values_list("position", flat=True)) == list(range(12))
    event = AuditEvent.objects.filter(action="review_queue_created").get()
    assert event.changes["items"] == 12


def test_count_per_slice_value_draws_n_of_each_language(qw, alice):
    queue = make(qw, alice, selection="count", per_slice_count=3, slice_key="language", seed=5)
    values = list(queue.items.values_list("slice_value", flat=True))
    assert sorted(values) == ["de", "de", "en", "en", "en", "fr", "fr", "fr"]


def test_percent_per_slice_value_rounds_up(qw, alice):
    queue = make(qw, alice, selection="percent", per_slice_percent=25, slice_key="language")
    values = sorted(queue.items.values_list("slice_value", flat=True))
    assert values == ["de", "en", "en", "fr"]


def test_the_same_seed_draws_the_same_items(qw, alice):
    kwargs = {"selection": "count", "per_slice_count": 2, "slice_key": "language", "seed": 42}
    a = make(qw, alice, **kwargs)
    b = make(qw, alice, **kwargs)
    c = make(qw, alice, **{**kwargs, "seed": 43})
    picks = [
        list(q.items.order_by("position").values_list("sample_id", flat=True)) for q in (a, b, c)
    ]
    assert picks[0] == picks[1]
    assert picks[0] != picks[2]


def test_labels_come_from_the_adopted_guideline_version(qw, alice):
    guideline = Guideline.objects.create(code="rev-g", title="Review guide")
    version = GuidelineVersion.objects.create(guideline=guideline, number=1, body_markdown="x")
    version.review_labels.set([label("refusal"), label("scorer-wrong")])
    with pytest.raises(ValidationError) as exc:
        make(qw, alice, guideline_version=version)
    assert "guideline_version" in exc.value.error_dict
    ProjectGuideline.objects.create(project=qw.project, version=version)
    queue = make(qw, alice, guideline_version=version)
    assert set(queue.labels.values_list("slug", flat=True)) == {"refusal", "scorer-wrong"}


def test_a_version_without_labels_gives_the_default_set(qw, alice):
    guideline = Guideline.objects.create(code="rev-h", title="Review guide")
    version = GuidelineVersion.objects.create(guideline=guideline, number=1, body_markdown="x")
    ProjectGuideline.objects.create(project=qw.project, version=version)
    queue = make(qw, alice, guideline_version=version)
    assert queue.labels.count() == ReviewLabel.objects.filter(default=True).count()


@pytest.mark.parametrize("who", ["bob", "vera", "charlie"])
def test_only_leads_and_programme_managers_create_queues(qw, who, request):
    with pytest.raises(PermissionDenied):
        make(qw, request.getfixturevalue(who))
    assert not ReviewQueue.objects.exists()


def test_a_programme_manager_creates_a_queue(qw, pm):
    assert make(qw, pm).items.count() == 12


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"reviews_per_item": 4}, "reviews_per_item"),
        ({"reviews_per_item": 0}, "reviews_per_item"),
        ({"selection": "count"}, "per_slice_count"),
        ({"selection": "count", "per_slice_count": 0}, "per_slice_count"),
        ({"selection": "percent", "per_slice_percent": 0}, "per_slice_percent"),
        ({"selection": "percent", "per_slice_percent": 120}, "per_slice_percent"),
        ({"selection": "some"}, "selection"),
        ({"runs": []}, "runs"),
        ({"name": " "}, "name"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_settings_are_refused_by_field(qw, alice, kwargs, field):
    with pytest.raises(ValidationError) as exc:
        make(qw, alice, **kwargs)
    assert field in exc.value.error_dict
    assert not ReviewQueue.objects.exists()


def test_an_unknown_slice_key_lists_the_keys_present(qw, alice):
    with pytest.raises(ValidationError) as exc:
        make(qw, alice, slice_key="dialect")
    message = exc.value.error_dict["slice_key"][0].message
    assert "category, language" in message


def test_runs_of_another_project_are_refused(qw, alice, institute_a):
    other = RunFactory(project=ProjectFactory(), institute=institute_a)
    with pytest.raises(ValidationError) as exc:
        make(qw, alice, runs=[qw.run_lang, other])
    assert "runs" in exc.value.error_dict


def test_reviewers_must_review_in_the_project_and_institutes_take_part(
    qw, alice, vera, charlie, institute_c
):
    with pytest.raises(ValidationError) as exc:
        make(qw, alice, reviewers=[vera, charlie], institutes=[institute_c])
    assert set(exc.value.error_dict) == {"reviewers", "institutes"}
    assert "charlie, vera" in exc.value.error_dict["reviewers"][0].message


def test_runs_without_samples_are_refused_and_nothing_is_written(qw, alice, institute_a):
    empty = RunFactory(
        project=qw.project, institute=institute_a, task=qw.rw.qa, system=qw.rw.target
    )
    with pytest.raises(ValidationError):
        make(qw, alice, runs=[empty])
    assert not ReviewQueue.objects.exists()


def test_a_failed_item_write_leaves_no_queue(qw, alice, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(ReviewQueueItem.objects, "bulk_create", boom)
    with pytest.raises(RuntimeError):
        make(qw, alice)
    assert not ReviewQueue.objects.exists()


# --- Next ----------------------------------------------------------------------------------


def test_next_hands_items_in_order_and_gives_back_an_unfinished_one(qw, alice, bob):
    queue = make(qw, alice)
    first = queue_services.queue_next(queue=queue, reviewer=bob)
    assert first.position == 0
    assert queue_services.queue_next(queue=queue, reviewer=bob) == first
    review(first, bob)
    second = queue_services.queue_next(queue=queue, reviewer=bob)
    assert second.position == 1
    assignment = ReviewAssignment.objects.get(item=first, reviewer=bob)
    assert assignment.completed_at is not None


@pytest.mark.parametrize("per_item", [1, 2, 3])
def test_an_item_takes_as_many_reviewers_as_it_needs(qw, alice, bob, dan, per_item):
    queue = make(qw, alice, reviews_per_item=per_item)
    reviewers = [alice, bob, dan]
    firsts = []
    for user in reviewers:
        item = queue_services.queue_next(queue=queue, reviewer=user)
        firsts.append(item.position)
        review(item, user)
    # The first item takes `per_item` reviewers; the others go on to the next one.
    assert firsts.count(0) == per_item
    per_sample = [
        SampleReview.objects.filter(sample_id=sample_pk).count()
        for sample_pk in queue.items.values_list("sample_id", flat=True)
    ]
    assert max(per_sample) == per_item


def test_nothing_is_left_once_every_item_has_its_reviews(qw, alice, bob):
    queue = make(qw, alice, selection="count", per_slice_count=1, slice_key="language")
    done = []
    while (item := queue_services.queue_next(queue=queue, reviewer=bob)) is not None:
        review(item, bob)
        done.append(item.slice_value)
    assert sorted(done) == ["de", "en", "fr"]
    assert queue_services.queue_next(queue=queue, reviewer=alice) is None


def test_an_idle_assignment_gives_its_place_up_after_the_timeout(qw, alice, bob, dan):
    queue = make(qw, alice, selection="count", per_slice_count=1, slice_key="language")
    taken = queue_services.queue_next(queue=queue, reviewer=bob)
    assert queue_services.queue_next(queue=queue, reviewer=dan) != taken
    ReviewAssignment.objects.filter(reviewer=bob).update(
        assigned_at=timezone.now() - queue_services.ASSIGNMENT_TIMEOUT - timedelta(minutes=1)
    )
    review(queue_services.queue_next(queue=queue, reviewer=dan), dan)
    assert queue_services.queue_next(queue=queue, reviewer=dan) == taken
    review(taken, dan)
    # Bob comes back: his item is full, so his idle assignment goes and he gets another.
    mine = queue_services.queue_next(queue=queue, reviewer=bob)
    assert mine != taken
    assert not ReviewAssignment.objects.filter(item=taken, reviewer=bob).exists()


def test_only_the_named_reviewers_and_institutes_take_items(qw, alice, bob, dan, institute_b):
    by_name = make(qw, alice, reviewers=[bob])
    with pytest.raises(PermissionDenied):
        queue_services.queue_next(queue=by_name, reviewer=dan)
    assert queue_services.queue_next(queue=by_name, reviewer=bob) is not None
    by_institute = make(qw, alice, institutes=[institute_b])
    with pytest.raises(PermissionDenied):
        queue_services.queue_next(queue=by_institute, reviewer=bob)
    assert queue_services.queue_next(queue=by_institute, reviewer=dan) is not None


@pytest.mark.parametrize("who", ["vera", "charlie"])
def test_viewers_and_outsiders_take_nothing(qw, alice, who, request):
    queue = make(qw, alice)
    with pytest.raises(PermissionDenied):
        queue_services.queue_next(queue=queue, reviewer=request.getfixturevalue(who))


def test_a_closed_queue_hands_nothing_and_takes_no_review(qw, alice, bob):
    queue = make(qw, alice)
    item = queue_services.queue_next(queue=queue, reviewer=bob)
    with pytest.raises(PermissionDenied):
        queue_services.queue_close(queue=queue, by=bob)
    queue_services.queue_close(queue=queue, by=alice)
    assert queue_services.queue_next(queue=queue, reviewer=bob) is None
    with pytest.raises(ValidationError):
        review(item, bob)
    queue_services.queue_reopen(queue=queue, by=alice)
    assert queue_services.queue_next(queue=queue, reviewer=bob) == item
    assert AuditEvent.objects.filter(action="review_queue_closed").count() == 1


# --- saving --------------------------------------------------------------------------------


def test_a_review_is_blind_when_the_queue_is_and_uses_the_queues_labels(qw, alice, bob):
    queue = make(qw, alice, labels=[label("refusal"), label("correct")], blind=True)
    item = queue_services.queue_next(queue=queue, reviewer=bob)
    with pytest.raises(ValidationError) as exc:
        review(item, bob, "environment-bug")
    assert "label" in exc.value.error_dict
    saved = queue_services.queue_review_save(
        item=item, reviewer=bob, label=label("refusal"), manual_score=0.0, note="Refused."
    )
    assert (saved.blind, saved.label.slug, saved.manual_score) == (True, "refusal", 0.0)
    assert SampleReview.objects.filter(sample=item.sample).count() == 1


def test_saving_without_next_records_a_completed_assignment(qw, alice, bob):
    queue = make(qw, alice, blind=False)
    item = queue.items.order_by("position").last()
    saved = review(item, bob)
    assert saved.blind is False
    assert ReviewAssignment.objects.get(item=item, reviewer=bob).completed_at is not None


def test_an_item_opened_by_its_address_takes_no_review_beyond_what_it_needs(qw, alice, bob, dan):
    queue = make(qw, alice, reviews_per_item=1)
    item = queue_services.queue_next(queue=queue, reviewer=bob)
    review(item, bob)
    with pytest.raises(ValidationError, match="already has the 1 review it needs"):
        review(item, dan)
    assert not SampleReview.objects.filter(reviewer=dan).exists()
    assert not ReviewAssignment.objects.filter(reviewer=dan).exists()
    review(item, bob, "incorrect")  # its reviewer may still change their own review
    assert SampleReview.objects.get(reviewer=bob).label.slug == "incorrect"


def test_a_place_held_by_next_is_not_taken_by_someone_opening_the_item(qw, alice, bob, dan):
    queue = make(qw, alice, reviews_per_item=1)
    item = queue_services.queue_next(queue=queue, reviewer=bob)  # bob holds the only place
    with pytest.raises(ValidationError):
        review(item, dan)
    review(item, bob)


def test_a_bad_manual_score_saves_nothing(qw, alice, bob):
    queue = make(qw, alice)
    item = queue_services.queue_next(queue=queue, reviewer=bob)
    with pytest.raises(ValidationError):
        queue_services.queue_review_save(item=item, reviewer=bob, label=label(), manual_score=1.5)
    assert ReviewAssignment.objects.get(item=item, reviewer=bob).completed_at is None
    assert not SampleReview.objects.exists()
