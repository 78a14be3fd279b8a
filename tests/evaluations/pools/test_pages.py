"""The pools page of an institute and a project's choice of pool, as a lead uses them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from evaluations.models import Participation, WorkerPool
from evaluations.models.pools import hash_credential
from evaluations.services.pools import pool_create

pytestmark = pytest.mark.django_db


def test_a_lead_creates_a_pool_and_sees_its_credential_once(client, alice, institute_a):
    client.force_login(alice)
    url = reverse("pools:list", kwargs={"code": institute_a.code})
    response = client.post(url, {"name": "gpu", "description": "Our cluster", "is_default": "on"})
    assert response.status_code == 200
    raw = response.context["created"]["raw"]
    pool = WorkerPool.objects.get()
    assert pool.credential_hash == hash_credential(raw)
    assert pool.is_default
    html = response.content.decode()
    assert raw in html
    assert "concord worker" in html
    assert "CONCORD_WORKER_TOKEN" in html
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    )
    again = client.get(url)
    assert raw not in again.content.decode()
    assert "gpu" in again.content.decode()


def test_the_list_is_for_the_institutes_leads_only(client, bob, charlie, institute_a):
    url = reverse("pools:list", kwargs={"code": institute_a.code})
    for user in (bob, charlie):
        client.force_login(user)
        assert client.get(url).status_code == 404


def test_revoke_and_default_buttons(client, alice, institute_a, django_assert_max_num_queries):
    one, _ = pool_create(institute=institute_a, name="one", by=alice)
    two, _ = pool_create(institute=institute_a, name="two", by=alice)
    client.force_login(alice)
    kwargs = {"code": institute_a.code}
    response = client.post(reverse("pools:default", kwargs={**kwargs, "pk": one.pk}))
    assert response.status_code == 302
    one.refresh_from_db()
    assert one.is_default
    client.post(reverse("pools:revoke", kwargs={**kwargs, "pk": two.pk}))
    two.refresh_from_db()
    assert two.revoked_at is not None
    for n in range(5):
        pool_create(institute=institute_a, name=f"more-{n}", by=alice)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("pools:list", kwargs=kwargs)).status_code == 200


def test_a_project_lead_chooses_the_pool_of_a_participating_institute(
    client, alice, bob, project, institute_a, institute_b
):
    pool, _ = pool_create(institute=institute_a, name="gpu", by=alice)
    pool_create(institute=institute_b, name="b-only", by=None)
    url = reverse(
        "projects:participation_pool", kwargs={"slug": project.slug, "institute_id": institute_a.pk}
    )
    client.force_login(alice)
    page = client.get(url)
    assert page.status_code == 200
    assert "gpu" in page.content.decode()
    assert "b-only" not in page.content.decode()
    assert client.post(url, {"pool": pool.pk}).status_code == 302
    assert Participation.objects.get(project=project, institute=institute_a).worker_pool == pool
    detail = client.get(reverse("projects:detail", kwargs={"slug": project.slug}))
    assert "its pool “gpu”" in detail.content.decode()
    client.force_login(bob)
    assert client.post(url, {"pool": ""}).status_code == 403
