"""The review queue admin: programme managers list and read queues, close and reopen them
through the service; nobody adds or deletes one there."""

from __future__ import annotations

import pytest
from django.urls import reverse

from evaluations.models import ReviewQueue
from evaluations.services import queues as queue_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(qw, alice):
    return queue_services.queue_create(
        project=qw.project, by=alice, name="Admin queue", runs=[qw.run_lang]
    )


def test_a_programme_manager_reads_queues_with_their_item_counts(client, pm, queue):
    client.force_login(pm)
    changelist = client.get(reverse("admin:evaluations_reviewqueue_changelist"))
    assert changelist.status_code == 200
    assert "Admin queue" in changelist.text
    change = client.get(reverse("admin:evaluations_reviewqueue_change", args=[queue.pk]))
    assert change.status_code == 200
    assert client.get(reverse("admin:evaluations_reviewqueue_add")).status_code == 403
    delete = reverse("admin:evaluations_reviewqueue_delete", args=[queue.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert ReviewQueue.objects.filter(pk=queue.pk).exists()


def test_the_close_action_goes_through_the_service(client, pm, queue):
    client.force_login(pm)
    client.post(
        reverse("admin:evaluations_reviewqueue_changelist"),
        {"action": "close", "_selected_action": [queue.pk]},
    )
    queue.refresh_from_db()
    assert queue.status == ReviewQueue.Status.CLOSED
