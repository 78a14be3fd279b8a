from __future__ import annotations

import pytest

from tests.evaluations.queues_world import build_queue_world


@pytest.fixture
def qw(alice, bob, vera, charlie, pm, institute_a, institute_b):
    return build_queue_world(institute_a=institute_a, institute_b=institute_b)


@pytest.fixture
def dan(institute_b):
    """An evaluator at B, the project's partner institute: a second reviewer."""
    from institutes.models import Role
    from tests.factories import member

    return member("dan", institute_b, Role.EVALUATOR)
