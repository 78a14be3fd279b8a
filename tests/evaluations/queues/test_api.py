"""The review queues API: list and filters, detail with progress, create (400 with field
messages), "Next" (200 with the item, 204 when none is left), a review, closing; outsiders 404."""

from __future__ import annotations

import pytest

from evaluations.models import ReviewQueue
from evaluations.services import queues as queue_services
from tests.api_clients import bearer

pytestmark = pytest.mark.django_db

API = "/api/v1/review-queues/"


@pytest.fixture
def queue(qw, alice):
    return queue_services.queue_create(
        project=qw.project,
        by=alice,
        name="Languages",
        runs=[qw.run_lang],
        selection="count",
        per_slice_count=1,
        slice_key="language",
        reviews_per_item=1,
    )


def test_a_lead_creates_a_queue(qw, alice):
    response = bearer(alice).post(
        API,
        {
            "project": qw.project.slug,
            "name": "By language",
            "runs": [qw.run_lang.pk],
            "selection": "percent",
            "per_slice_percent": 50,
            "slice_key": "language",
            "seed": 9,
            "reviews_per_item": 2,
            "labels": ["correct", "incorrect"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["progress"]["total"] == {"items": 6, "done": 0, "reviews": 0}
    assert sorted(s["value"] for s in data["progress"]["slices"]) == ["de", "en", "fr"]
    assert data["labels"] == ["correct", "incorrect"]
    assert data["seed"] == 9


def test_a_left_out_seed_is_drawn_and_returned(qw, alice):
    response = bearer(alice).post(
        API,
        {"project": qw.project.slug, "name": "Seeded", "runs": [qw.run_lang.pk]},
        format="json",
    )
    assert response.status_code == 201
    assert isinstance(response.json()["seed"], int)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"slice_key": "dialect"}, "slice_key"),
        ({"selection": "count"}, "per_slice_count"),
        ({"reviews_per_item": 5}, "reviews_per_item"),
        ({"runs": []}, "runs"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(qw, alice, body, field):
    response = bearer(alice).post(
        API,
        {"project": qw.project.slug, "name": "Bad", "runs": [qw.run_lang.pk], **body},
        format="json",
    )
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not ReviewQueue.objects.exists()


def test_an_evaluator_may_not_create_a_queue(qw, bob):
    response = bearer(bob).post(
        API, {"project": qw.project.slug, "name": "No", "runs": [qw.run_lang.pk]}, format="json"
    )
    assert response.status_code == 403


def test_list_filters_by_project_and_status(qw, queue, alice, bob):
    queue_services.queue_close(queue=queue, by=alice)
    api = bearer(bob)
    assert [q["id"] for q in api.get(API, {"project": qw.project.slug}).json()["results"]] == [
        queue.pk
    ]
    assert api.get(API, {"status": "open"}).json()["results"] == []
    assert api.get(API, {"project": "elsewhere"}).json()["results"] == []


def test_next_then_review_then_nothing_left(qw, queue, bob):
    api = bearer(bob)
    reviewed = 0
    while True:
        response = api.post(f"{API}{queue.pk}/next/")
        if response.status_code == 204:
            break
        assert response.status_code == 200
        item = response.json()
        assert set(item) >= {"id", "sample", "run", "epoch", "position", "slice_value"}
        assert f"/reviews/{queue.pk}/items/{item['id']}/" in item["transcript"]
        saved = api.post(
            f"{API}{queue.pk}/items/{item['id']}/review/",
            {"label": "correct", "manual_score": 1.0, "note": "Right."},
            format="json",
        )
        assert saved.status_code == 200, saved.content
        assert saved.json()["blind"] is True
        reviewed += 1
    assert reviewed == 3
    detail = api.get(f"{API}{queue.pk}/").json()
    assert detail["progress"]["total"]["done"] == 3
    assert detail["progress"]["reviewers"][0]["username"] == "bob"


def test_a_label_outside_the_queue_is_a_400(qw, alice, queue, bob):
    queue.labels.set(queue.labels.filter(slug="correct"))
    item = queue.items.first()
    response = bearer(bob).post(
        f"{API}{queue.pk}/items/{item.pk}/review/", {"label": "refusal"}, format="json"
    )
    assert response.status_code == 400
    assert "label" in response.json()["error"]["fields"]


def test_close_by_a_lead_only(qw, queue, alice, bob):
    assert bearer(bob).post(f"{API}{queue.pk}/close/").status_code == 403
    response = bearer(alice).post(f"{API}{queue.pk}/close/")
    assert response.json()["status"] == "closed"
    assert bearer(bob).post(f"{API}{queue.pk}/next/").status_code == 204


def test_outsiders_get_404(qw, queue, charlie):
    api = bearer(charlie)
    assert api.get(API).json()["results"] == []
    assert api.get(f"{API}{queue.pk}/").status_code == 404
    assert api.post(f"{API}{queue.pk}/next/").status_code == 404


def test_the_list_reads_a_bounded_number_of_queries(
    qw, queue, alice, bob, django_assert_max_num_queries
):
    for n in range(4):
        queue_services.queue_create(project=qw.project, by=alice, name=f"Q{n}", runs=[qw.rw.run_a])
    api = bearer(bob)
    with django_assert_max_num_queries(14):
        assert len(api.get(API).json()["results"]) == 5
