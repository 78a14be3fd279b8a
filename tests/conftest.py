"""Fixtures shared by the whole suite.

People are named the way the permission tests read: alice leads institute A, bob is an evaluator
at A, vera a viewer at A, charlie an outsider at institute C, and pm a programme manager.
"""

from __future__ import annotations

import pytest

from institutes.models import Role
from tests.factories import InstituteFactory, UserFactory, member

PASSWORD = "correct-horse-battery"


@pytest.fixture
def institute_a(db):
    return InstituteFactory(code="inst-a", name="Institute A", country="GB")


@pytest.fixture
def institute_b(db):
    return InstituteFactory(code="inst-b", name="Institute B", country="US")


@pytest.fixture
def institute_c(db):
    return InstituteFactory(code="inst-c", name="Institute C", country="JP")


@pytest.fixture
def alice(institute_a):
    return member("alice", institute_a, Role.LEAD)


@pytest.fixture
def bob(institute_a):
    return member("bob", institute_a, Role.EVALUATOR)


@pytest.fixture
def vera(institute_a):
    return member("vera", institute_a, Role.VIEWER)


@pytest.fixture
def charlie(institute_c):
    return member("charlie", institute_c, Role.LEAD)


@pytest.fixture
def pm(db):
    return UserFactory(username="pm", is_programme_manager=True, is_staff=True)
