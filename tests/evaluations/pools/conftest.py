"""Fixtures of the worker-pool tests: the joint project of tests/evaluations/conftest.py (A lead,
B partner), a pool for A and one for B, their raw credentials, and API clients holding them."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from evaluations.services.pools import pool_create


@pytest.fixture
def pool_a(alice, institute_a):
    pool, raw = pool_create(institute=institute_a, name="a-cluster", by=alice)
    pool.raw = raw
    return pool


@pytest.fixture
def pool_b(pm, institute_b):
    pool, raw = pool_create(institute=institute_b, name="b-cluster", by=pm)
    pool.raw = raw
    return pool


def worker_client(raw: str, host: str = "gpu-01:4242") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_X_CONCORD_WORKER=host)
    return client


@pytest.fixture
def client_a(pool_a):
    return worker_client(pool_a.raw)


@pytest.fixture
def client_b(pool_b):
    return worker_client(pool_b.raw)
