"""Managing worker pools through the API (/api/v1/worker-pools/, and a project's choice of pool
per institute at /api/v1/projects/<slug>/worker-pools/): the credential is in the creating answer
only and works for the worker API at once; revoked, it stops at once; an institute's pools exist
for its leads and programme managers only."""

from __future__ import annotations

import pytest

from evaluations.models import WorkerPool
from evaluations.models.pools import hash_credential
from evaluations.services import jobs as job_services
from tests.api_clients import bearer, error_of
from tests.evaluations.pools.conftest import worker_client

pytestmark = pytest.mark.django_db

POOLS = "/api/v1/worker-pools/"


def claim(raw: str):
    return worker_client(raw).post("/api/v1/worker/claim/", {"wait": 0}, format="json")


def test_a_lead_makes_a_pool_whose_credential_is_shown_once_and_works_at_once(alice, institute_a):
    client = bearer(alice)
    made = client.post(POOLS, {"name": "uk-gpus", "description": "Our cluster"}, format="json")
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["institute"] == institute_a.code  # the one institute she leads
    raw = body["credential"]
    assert raw.startswith("cwp_")
    assert body["credential_prefix"] == raw[: len(body["credential_prefix"])]
    pool = WorkerPool.objects.get(pk=body["id"])
    assert pool.credential_hash == hash_credential(raw)
    assert claim(raw).status_code == 204  # a working credential: no job yet

    again = client.get(f"{POOLS}{pool.pk}/").json()
    assert "credential" not in again
    assert raw not in str(client.get(POOLS).json())


def test_revoking_stops_the_credential_at_once_and_make_default_moves_the_default(
    alice, institute_a
):
    client = bearer(alice)
    first = client.post(POOLS, {"name": "one", "is_default": True}, format="json").json()
    second = client.post(POOLS, {"name": "two"}, format="json").json()
    made_default = client.post(f"{POOLS}{second['id']}/make-default/")
    assert made_default.json()["is_default"] is True
    assert client.get(f"{POOLS}{first['id']}/").json()["is_default"] is False

    revoked = client.post(f"{POOLS}{second['id']}/revoke/")
    assert revoked.status_code == 200
    assert revoked.json()["is_active"] is False
    assert claim(second["credential"]).status_code == 401


def test_others_pools_are_404_and_only_leads_make_pools(
    alice, bob, charlie, pm, institute_a, institute_b
):
    made = bearer(alice).post(POOLS, {"name": "a-only"}, format="json").json()
    for user in (bob, charlie):
        assert bearer(user).get(f"{POOLS}{made['id']}/").status_code == 404
        assert bearer(user).post(f"{POOLS}{made['id']}/revoke/").status_code == 404
        assert made["id"] not in [p["id"] for p in bearer(user).get(POOLS).json()["results"]]
    refused = bearer(bob).post(POOLS, {"name": "mine"}, format="json")
    assert refused.status_code == 403
    assert "leads" in error_of(refused)["message"]
    # charlie leads C, not A: naming A reads as no such institute.
    foreign = bearer(charlie).post(
        POOLS, {"name": "x", "institute": institute_a.code}, format="json"
    )
    assert foreign.status_code == 400
    assert "institute" in error_of(foreign)["fields"]
    # a programme manager names the institute
    unnamed = bearer(pm).post(POOLS, {"name": "pm-pool"}, format="json")
    assert unnamed.status_code == 400
    named = bearer(pm).post(
        POOLS, {"name": "pm-pool", "institute": institute_b.code}, format="json"
    )
    assert named.status_code == 201
    assert named.json()["institute"] == institute_b.code


def test_a_project_lead_chooses_the_pool_that_runs_an_institutes_jobs(
    project, qa_task, target_system, alice, bob, vera, institute_a
):
    url = f"/api/v1/projects/{project.slug}/worker-pools/"
    made = bearer(alice).post(POOLS, {"name": "chosen"}, format="json").json()
    before = {row["institute"]: row for row in bearer(vera).get(url).json()}
    assert before[institute_a.code] == {
        "institute": institute_a.code,
        "pool": None,
        "runs_on": "concord",
    }

    refused = bearer(bob).post(
        url, {"institute": institute_a.code, "pool": made["id"]}, format="json"
    )
    assert refused.status_code == 403
    chosen = bearer(alice).post(
        url, {"institute": institute_a.code, "pool": made["id"]}, format="json"
    )
    assert chosen.status_code == 200
    rows = {row["institute"]: row for row in chosen.json()}
    assert rows[institute_a.code]["runs_on"] == "chosen"
    job = job_services.job_queue(
        project=project, task=qa_task, system=target_system, institute=institute_a, requested_by=bob
    )
    assert job.pool_id == made["id"]

    unknown = bearer(alice).post(
        url, {"institute": institute_a.code, "pool": 999999}, format="json"
    )
    assert unknown.status_code == 400
    back = bearer(alice).post(url, {"institute": institute_a.code, "pool": None}, format="json")
    assert {r["institute"]: r for r in back.json()}[institute_a.code]["pool"] is None


def test_where_each_institutes_jobs_run_is_read_in_a_fixed_number_of_queries(
    project, alice, institute_a, institute_b, pm, django_assert_num_queries
):
    from evaluations.services.pools import pool_create
    from tests.evaluations.factories import ParticipationFactory
    from tests.factories import InstituteFactory

    pool_create(institute=institute_b, name="b-default", by=pm, is_default=True)
    client = bearer(alice)
    url = f"/api/v1/projects/{project.slug}/worker-pools/"
    client.get(url)  # the token's first use is written once
    with django_assert_num_queries(14) as two:
        rows = {row["institute"]: row["runs_on"] for row in client.get(url).json()}
    assert rows == {institute_a.code: "concord", institute_b.code: "b-default"}
    # A third and a fourth participant cost no query more.
    for code in ("inst-x", "inst-y"):
        ParticipationFactory(project=project, institute=InstituteFactory(code=code))
    with django_assert_num_queries(len(two.captured_queries)):
        assert len(client.get(url).json()) == 4
