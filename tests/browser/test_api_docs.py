"""Swagger UI in Chromium under the site's Content-Security-Policy: it renders the API's
operations and the browser reports no CSP violation or script error."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_renders_under_the_csp(page):
    page.goto("/api/docs/")
    page.wait_for_selector("#operations-tag-projects", timeout=20_000)
    page.wait_for_selector("#operations-projects-projects_transition_create")
    assert page.locator(".opblock").count() > 10
    assert page.concord_errors == []
