"""Fixtures shared by the whole suite.

People are named the way the permission tests read: alice leads institute A, bob is an evaluator
at A, vera a viewer at A, charlie an outsider at institute C, pm a programme manager, and devon a
person of an AI developer (no institute; in the matrices' world, a developer contact of the
project).
"""

from __future__ import annotations

import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections

from institutes.models import Role
from tests.factories import InstituteFactory, UserFactory, member


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


@pytest.fixture
def devon(db):
    return UserFactory(username="devon", email="devon@developer.example")


@pytest.fixture
def verify_second_factor():
    """For tests that turn the second factor on (settings.CONCORD_REQUIRE_OTP = True; the suite
    runs with it off): `verify_second_factor(client, user)` after `client.force_login(user)` marks
    the session as having passed it, with a confirmed authenticator device of the user's."""

    def verify(client, user):
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="Test app", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return device

    return verify


@pytest.fixture
def wsgi_app():
    """The WSGI application, without the per-request closing of database connections (the test
    runs in one transaction; Django's test client skips that closing the same way)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def world(alice, bob, vera, charlie, pm, devon, institute_a, institute_b, institute_c):
    """The permission matrices' world (tests/permissions/registry.py): the people of the matrix,
    one per role, plus every area's objects (`world_part`, in the entries modules). The security
    tests build on it."""
    from tests.permissions import registry

    registry.load_entries()
    world = registry.World(
        users={
            "anonymous": None,
            "outsider": charlie,
            "viewer": vera,
            "evaluator": bob,
            "lead": alice,
            "pm": pm,
            "developer": devon,
        },
        extra={"institute_a": institute_a, "institute_b": institute_b, "institute_c": institute_c},
    )
    for part in [*registry.WORLD_PARTS, *registry.LATE_WORLD_PARTS]:
        part(world)
    return world


def pytest_terminal_summary(terminalreporter):
    """Repeat the figures the tests measured (tests/figures.py)."""
    from tests import figures

    for line in figures.lines(failed=bool(terminalreporter.stats.get("failed"))):
        terminalreporter.write_line(line)
