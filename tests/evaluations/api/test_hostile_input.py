"""Input the schema does not allow is refused with a 4xx in the error shape, never a 500."""

import json

import pytest
from rest_framework.test import APIClient

from tests.evaluations.factories import RunFactory, SampleResultFactory

VALID = {"project": "joint", "task": "concord-knowledge-qa", "system": 1}

BODIES = [
    {"project": 1},
    {"project": None},
    {**VALID, "task": []},
    {**VALID, "system": "5"},
    {**VALID, "system": 2**70},
    {**VALID, "system": -1},
    {**VALID, "system": True},
    {"project": "j\x00", "task": "x\x00", "system": 1},
    {**VALID, "params": "x"},
    {**VALID, "params": [1]},
    {**VALID, "params": {"limit": 1e309}},
    {**VALID, "params": {"temperature": float("nan")}},
    {**VALID, "params": {"task_args": {"a": "\x00"}}},
    {**VALID, "institute": 5},
    {**VALID, "guideline_version": "a"},
    {**VALID, "guideline_version": 2**70},
    [],
]


@pytest.fixture
def client(bob):
    client = APIClient()
    client.force_login(bob)
    return client


@pytest.mark.parametrize("body", BODIES)
def test_a_job_request_of_the_wrong_shape_is_refused(client, project, target_system, body):
    response = client.post(
        "/api/v1/jobs/", json.dumps(body, allow_nan=True), content_type="application/json"
    )
    assert response.status_code in (400, 403, 404), response.content[:300]
    assert response.json()["error"]["status"] == response.status_code


QUERIES = [
    ("/api/v1/jobs/", {"system": "abc"}),
    ("/api/v1/jobs/", {"system": "99999999999999999999999"}),
    ("/api/v1/jobs/", {"status": "nope"}),
    ("/api/v1/jobs/", {"project": "a\x00"}),
    ("/api/v1/runs/", {"system": "1e999"}),
    ("/api/v1/runs/", {"source": "x"}),
    ("/api/v1/jobs/99999999999999999999999/", {}),
    ("/api/v1/runs/99999999999999999999999/", {}),
    ("/api/v1/runs/99999999999999999999/samples/", {}),
    ("/api/v1/tasks/a%00b/", {}),
    ("SAMPLES", {"cursor": "garbage"}),
    ("SAMPLES", {"page_size": "0"}),
    ("SAMPLES", {"page_size": "-5"}),
    ("SAMPLES", {"page_size": "100000"}),
    ("SAMPLES", {"score": "nan"}),
    ("SAMPLES", {"score": "1e999"}),
    ("SAMPLES", {"epoch": "99999999999999999999"}),
    ("SAMPLES", {"sample_id": "a\x00"}),
    ("SAMPLES", {"has_error": "maybe"}),
]


@pytest.mark.parametrize(("path", "query"), QUERIES)
def test_odd_queries_never_fail_the_server(client, project, institute_a, path, query):
    run = RunFactory(project=project, institute=institute_a)
    SampleResultFactory(run=run)
    if path == "SAMPLES":
        path = f"/api/v1/runs/{run.pk}/samples/"
    response = client.get(path, query)
    assert response.status_code in (200, 400, 404), response.content[:300]
