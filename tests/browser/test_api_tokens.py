"""The API tokens page in Chromium under the strict CSP: make a token from the account menu,
copy it with the button, revoke it after confirming."""

from __future__ import annotations

import pytest

from institutes.models import ApiToken
from tests.browser.conftest import login
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_user_makes_copies_and_revokes_a_token(page, alice):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    login(page, "alice", PASSWORD)
    page.locator(".whoami").get_by_role("link", name="API tokens").click()
    page.wait_for_url("**/accounts/tokens/")
    page.fill("#id_name", "browser harness")
    page.select_option("#id_scope", "write")
    page.click("button:has-text('Make the token')")
    token = page.locator("[data-new-token]").input_value()
    assert token.startswith("cnc_")
    assert token in page.locator("#curl-example").inner_text()

    page.click("button[data-copy='new-token']")
    page.wait_for_selector("button[data-copy='new-token']:has-text('Copied')")
    assert page.evaluate("navigator.clipboard.readText()") == token

    page.goto("/accounts/tokens/")
    assert token not in page.content()
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("tr:has-text('browser harness') button:has-text('Revoke')")
    page.wait_for_selector("tr:has-text('browser harness') .token-revoked")
    assert ApiToken.objects.get().revoked_at is not None
    assert page.concord_errors == []


def test_dismissing_the_confirmation_keeps_the_token(page, alice):
    from institutes.services import token_create

    token_create(user=alice, name="kept", scope="read")
    login(page, "alice", PASSWORD)
    page.goto("/accounts/tokens/")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("tr:has-text('kept') button:has-text('Revoke')")
    page.wait_for_timeout(300)
    assert ApiToken.objects.get().revoked_at is None
    assert page.concord_errors == []
