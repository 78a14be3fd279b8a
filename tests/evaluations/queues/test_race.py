"""Two reviewers pressing "Next" at the same moment, in two transactions (threads with their own
database connections): an item never gets more reviewers than it needs."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from evaluations.models import ReviewAssignment
from evaluations.services import queues as queue_services
from institutes.models import Role
from tests.evaluations.queues_world import build_queue_world
from tests.factories import member

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def world(institute_a, institute_b):
    alice = member("alice", institute_a, Role.LEAD)
    reviewers = [member(f"rev{i}", institute_a, Role.EVALUATOR) for i in range(6)]
    qw = build_queue_world(institute_a=institute_a, institute_b=institute_b)
    return qw, alice, reviewers


def _in_thread(target, *args):
    errors: list[BaseException] = []

    def run():
        try:
            target(*args)
        except BaseException as exc:  # reported to the test
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def test_a_reviewer_skips_the_item_another_is_being_given(world):
    qw, alice, (a, b, *_rest) = world
    queue = queue_services.queue_create(
        project=qw.project,
        by=alice,
        name="Race",
        runs=[qw.run_lang],
        selection="count",
        per_slice_count=1,
        slice_key="language",
        reviews_per_item=1,
    )
    held, release = threading.Event(), threading.Event()
    got: dict[str, object] = {}

    def first():
        with transaction.atomic():
            got["a"] = queue_services.queue_next(queue=queue, reviewer=a)
            held.set()
            release.wait(10)

    thread, errors = _in_thread(first)
    assert held.wait(10)
    try:
        got["b"] = queue_services.queue_next(queue=queue, reviewer=b)  # while A's is uncommitted
    finally:
        release.set()
        thread.join(10)
    assert not errors
    assert got["a"] is not None
    assert got["b"] is not None
    assert got["a"] != got["b"]


def test_many_reviewers_at_once_never_overfill_an_item(world):
    qw, alice, reviewers = world
    queue = queue_services.queue_create(
        project=qw.project,
        by=alice,
        name="Crowd",
        runs=[qw.run_lang],
        selection="count",
        per_slice_count=1,
        slice_key="language",
        reviews_per_item=2,
    )
    start = threading.Barrier(len(reviewers))

    def press(user):
        start.wait(10)
        queue_services.queue_next(queue=queue, reviewer=user)

    started = [_in_thread(press, user) for user in reviewers]
    for thread, errors in started:
        thread.join(20)
        assert not errors
    per_item: dict[int, int] = {}
    for item_id in ReviewAssignment.objects.values_list("item_id", flat=True):
        per_item[item_id] = per_item.get(item_id, 0) + 1
    assert per_item
    assert max(per_item.values()) <= 2
    # Three items of two places: every reviewer who pressed at once found one, or none was left.
    assert sum(per_item.values()) <= 6
