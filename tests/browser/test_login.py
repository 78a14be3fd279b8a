from tests.browser.conftest import login, screenshot
from tests.factories import PASSWORD


def test_a_person_signs_in_and_sees_their_institute_and_role(page, alice, transactional_db):
    page.goto("/accounts/login/")
    screenshot(page, "login")
    login(page, "alice", PASSWORD)
    assert page.url.endswith("/")
    assert page.locator("h1").inner_text() == "Dashboard"
    assert "inst-a · Lead" in page.locator(".whoami").inner_text()
    assert page.concord_errors == []


def test_a_wrong_password_is_refused_with_a_message(page, alice, transactional_db):
    page.goto("/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "not the password")
    page.click("button[type=submit]")
    assert "correct username and password" in page.locator(".form-errors").inner_text()
