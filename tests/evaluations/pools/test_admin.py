"""The admin of worker pools: a programme manager creates one (the credential is shown once,
in the message after saving, never on its page) and revokes with the action."""

from __future__ import annotations

import pytest
from django.urls import reverse

from evaluations.models import WorkerPool
from evaluations.models.pools import hash_credential

pytestmark = pytest.mark.django_db


def test_a_programme_manager_creates_and_revokes_a_pool(client, pm, institute_a):
    client.force_login(pm)
    add = reverse("admin:evaluations_workerpool_add")
    data = {"institute": institute_a.pk, "name": "gpu", "description": "", "is_default": "on"}
    response = client.post(add, data, follow=True)
    assert response.status_code == 200
    pool = WorkerPool.objects.get()
    shown = [str(m) for m in response.context["messages"]]
    raw = next(m.split("<code>")[1].split("</code>")[0] for m in shown if "<code>" in m)
    assert pool.credential_hash == hash_credential(raw)
    assert pool.is_default
    page = client.get(reverse("admin:evaluations_workerpool_change", args=[pool.pk]))
    assert raw not in page.content.decode()
    assert pool.credential_hash not in page.content.decode()
    changelist = reverse("admin:evaluations_workerpool_changelist")
    client.post(changelist, {"action": "revoke", "_selected_action": [pool.pk]})
    pool.refresh_from_db()
    assert pool.revoked_at is not None
