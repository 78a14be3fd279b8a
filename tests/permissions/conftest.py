import pytest

from tests.permissions import registry


@pytest.fixture
def world(alice, bob, vera, charlie, pm, institute_a, institute_b, institute_c):
    """The people of the matrix (see registry.ROLES) plus every area's objects (`world_part`)."""
    from tests.permissions.routes import load_entries

    load_entries()
    world = registry.World(
        users={
            "anonymous": None,
            "outsider": charlie,
            "viewer": vera,
            "evaluator": bob,
            "lead": alice,
            "pm": pm,
        },
        extra={"institute_a": institute_a, "institute_b": institute_b, "institute_c": institute_c},
    )
    for part in registry.WORLD_PARTS:
        part(world)
    return world


def pytest_terminal_summary(terminalreporter):
    """Say how the URL configuration is covered, whenever the matrix ran."""
    if not terminalreporter.stats.get("passed") and not terminalreporter.stats.get("failed"):
        return
    from tests.permissions.routes import classify

    terminalreporter.write_line(f"permission matrix: {classify().summary()}")
