"""The permission matrices run on the `world` fixture of tests/conftest.py."""


def pytest_terminal_summary(terminalreporter):
    """Say how the URL configuration is covered, whenever the matrix ran."""
    if not terminalreporter.stats.get("passed") and not terminalreporter.stats.get("failed"):
        return
    from tests.permissions.routes import classify

    terminalreporter.write_line(f"permission matrix: {classify().summary()}")
