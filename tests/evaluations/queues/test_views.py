"""Review queue pages: the list with progress, planning a queue, the queue page with "Next",
the item page (transcript blind, labels, "Save and next"), the blind rule on the item and the
sample pages, read-only viewers, outsiders' 404, and bounded queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from evaluations.models import ReviewLabel, ReviewQueue
from evaluations.services import queues as queue_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(qw, alice):
    return queue_services.queue_create(
        project=qw.project,
        by=alice,
        name="Languages",
        runs=[qw.run_lang],
        selection="count",
        per_slice_count=2,
        slice_key="language",
        reviews_per_item=2,
        blind=True,
        seed=3,
    )


def url(name, queue, **kwargs):
    return reverse(name, kwargs={"slug": queue.project.slug, "queue_id": queue.pk, **kwargs})


def item_url(queue, item):
    return url("reviews:item", queue, item_id=item.pk)


def correct() -> ReviewLabel:
    return ReviewLabel.objects.get(slug="correct")


def test_the_list_shows_each_queue_with_its_progress(client, qw, queue, bob):
    queue_services.queue_review_save(
        item=queue.items.order_by("position").first(), reviewer=bob, label=correct()
    )
    client.force_login(bob)
    response = client.get(reverse("reviews:queues", kwargs={"slug": qw.project.slug}))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Languages" in body
    assert "0 / 6 items done" in body
    assert "New queue" not in body  # bob evaluates; leads plan queues


def test_the_project_page_links_to_the_reviews(client, qw, vera):
    client.force_login(vera)
    body = client.get(reverse("projects:detail", kwargs={"slug": qw.project.slug})).content
    assert reverse("reviews:queues", kwargs={"slug": qw.project.slug}).encode() in body


def test_a_lead_plans_a_queue_with_the_form(client, qw, alice, bob):
    client.force_login(alice)
    create = reverse("reviews:queue_create", kwargs={"slug": qw.project.slug})
    page = client.get(create)
    assert page.status_code == 200
    assert b'value="language"' in page.content  # the runs' metadata keys
    response = client.post(
        create,
        {
            "name": "French and German",
            "runs": [qw.run_lang.pk, qw.run_lang_ref.pk],
            "selection": "percent",
            "per_slice_percent": "50",
            "slice_key": "language",
            "seed": "11",
            "reviews_per_item": "2",
            "reviewers": [bob.pk],
            "blind": "on",
        },
    )
    queue = ReviewQueue.objects.get(name="French and German")
    assert response.status_code == 302
    assert response["Location"] == url("reviews:queue", queue)
    assert queue.items.count() == 12  # half of each language in each of the two runs
    assert list(queue.reviewers.all()) == [bob]


def test_the_form_takes_the_runs_pages_filter_and_keeps_it(client, qw, alice):
    client.force_login(alice)
    response = client.post(
        reverse("reviews:queue_create", kwargs={"slug": qw.project.slug}),
        {
            "name": "Reference runs",
            "selection": "all",
            "seed": "1",
            "reviews_per_item": "1",
            "filter-system": str(qw.rw.reference.pk),
        },
    )
    assert response.status_code == 302
    queue = ReviewQueue.objects.get(name="Reference runs")
    assert queue.run_filter == {"system": str(qw.rw.reference.pk)}
    assert set(queue.runs.all()) == {qw.rw.run_ref, qw.run_lang_ref}


def test_the_form_shows_the_services_errors_on_their_fields(client, qw, alice):
    client.force_login(alice)
    response = client.post(
        reverse("reviews:queue_create", kwargs={"slug": qw.project.slug}),
        {
            "name": "Bad",
            "runs": [qw.rw.run_a.pk],
            "selection": "count",
            "seed": "1",
            "reviews_per_item": "1",
        },
    )
    assert response.status_code == 400
    assert "per_slice_count" in response.context["form"].errors
    assert not ReviewQueue.objects.exists()


def test_next_takes_a_reviewer_to_an_item_with_the_system_hidden(client, qw, queue, bob):
    client.force_login(bob)
    response = client.post(url("reviews:next", queue))
    assert response.status_code == 302
    item = queue.items.get(position=0)
    assert response["Location"] == item_url(queue, item)
    page = client.get(response["Location"])
    body = page.content.decode()
    assert page.status_code == 200
    assert "Frontier-1" not in body
    assert "Blind review: system hidden" in body
    assert "Save and next" in body
    for label in queue.labels.all():
        assert label.name in body


def test_save_and_next_saves_and_moves_on(client, qw, queue, bob):
    client.force_login(bob)
    first = client.post(url("reviews:next", queue))["Location"]
    response = client.post(first, {"label": correct().pk, "note": "Fine."})
    assert response.status_code == 302
    assert response["Location"] == item_url(queue, queue.items.get(position=1))
    page = client.get(url("reviews:queue", queue)).content.decode()
    assert "Your progress: 1 of 6" in page


def test_a_label_outside_the_queues_set_is_refused_on_the_form(client, qw, alice, bob):
    queue = queue_services.queue_create(
        project=qw.project,
        by=alice,
        name="Two labels",
        runs=[qw.run_lang],
        labels=[correct()],
    )
    client.force_login(bob)
    item = queue.items.get(position=0)
    other = ReviewLabel.objects.get(slug="refusal")
    response = client.post(item_url(queue, item), {"label": other.pk})
    assert response.status_code == 400
    assert "label" in response.context["form"].errors


def test_a_reviewer_sees_no_other_review_before_saving_theirs(client, qw, queue, bob, dan):
    item = queue_services.queue_next(queue=queue, reviewer=bob)
    queue_services.queue_review_save(
        item=item, reviewer=bob, label=correct(), note="Bob thinks it is right."
    )
    assert queue_services.queue_next(queue=queue, reviewer=dan) == item
    client.force_login(dan)
    body = client.get(item_url(queue, item)).content.decode()
    assert "Bob thinks it is right." not in body
    assert "show once you saved yours" in body
    # Nor on the sample's own page while the assignment is open.
    sample_page = reverse(
        "runs:sample_detail", kwargs={"run_id": item.sample.run_id, "sample_pk": item.sample_id}
    )
    body = client.get(sample_page).content.decode()
    assert "Bob thinks it is right." not in body
    assert "Frontier-1" not in body.split("<main", 1)[-1]
    client.post(item_url(queue, item), {"label": correct().pk})
    assert "Bob thinks it is right." in client.get(item_url(queue, item)).content.decode()
    assert "Bob thinks it is right." in client.get(sample_page).content.decode()


def test_viewers_read_queues_without_next_or_a_form(client, qw, queue, vera):
    client.force_login(vera)
    page = client.get(url("reviews:queue", queue)).content.decode()
    assert "Next ›" not in page
    item = queue.items.get(position=0)
    body = client.get(item_url(queue, item)).content.decode()
    assert "Save and next" not in body
    assert client.post(url("reviews:next", queue)).status_code == 403


def test_outsiders_get_404_everywhere(client, qw, queue, charlie):
    client.force_login(charlie)
    item = queue.items.get(position=0)
    for address in (
        reverse("reviews:queues", kwargs={"slug": qw.project.slug}),
        url("reviews:queue", queue),
        item_url(queue, item),
    ):
        assert client.get(address).status_code == 404


def test_an_item_of_another_queue_is_404(client, qw, queue, alice, bob):
    other = queue_services.queue_create(
        project=qw.project, by=alice, name="Other", runs=[qw.rw.run_a]
    )
    client.force_login(bob)
    assert client.get(item_url(queue, other.items.first())).status_code == 404


def test_a_lead_closes_and_reopens_a_queue(client, qw, queue, alice, bob):
    client.force_login(alice)
    assert client.post(url("reviews:queue_close", queue)).status_code == 302
    client.force_login(bob)
    assert "This queue is closed" in client.get(url("reviews:queue", queue)).content.decode()
    response = client.post(url("reviews:next", queue), follow=True)
    assert "Nothing is left for you" in response.content.decode()
    client.force_login(alice)
    client.post(url("reviews:queue_reopen", queue))
    queue.refresh_from_db()
    assert queue.status == "open"


def test_pages_read_a_bounded_number_of_queries(
    client, qw, queue, alice, bob, dan, django_assert_max_num_queries
):
    for user in (bob, dan, alice):
        for _ in range(3):
            item = queue_services.queue_next(queue=queue, reviewer=user)
            if item is not None:
                queue_services.queue_review_save(item=item, reviewer=user, label=correct())
    for n in range(3):
        queue_services.queue_create(
            project=qw.project, by=alice, name=f"More {n}", runs=[qw.run_lang_ref]
        )
    client.force_login(bob)
    item = queue.items.get(position=0)
    with django_assert_max_num_queries(9):
        assert (
            client.get(reverse("reviews:queues", kwargs={"slug": qw.project.slug})).status_code
            == 200
        )
    with django_assert_max_num_queries(14):
        assert client.get(url("reviews:queue", queue)).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(item_url(queue, item)).status_code == 200
