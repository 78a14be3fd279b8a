from django.contrib.auth import SESSION_KEY

from tests.factories import PASSWORD


def test_login_page_renders(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"Sign in to Concord" in response.content


def test_login_with_good_password_lands_on_dashboard(client, alice):
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/"
    assert int(client.session[SESSION_KEY]) == alice.pk
    assert b"inst-a" in response.content  # the user's institute and role in the layout


def test_login_with_bad_password_shows_an_error_and_no_session(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert b"enter a correct username and password" in response.content
    assert SESSION_KEY not in client.session


def test_pages_need_login(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_logout_ends_the_session(client, alice):
    client.force_login(alice)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert SESSION_KEY not in client.session
    assert client.get("/").status_code == 302


def test_password_change_enforces_validators_then_works(client, alice):
    client.force_login(alice)
    weak = client.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"},
    )
    assert weak.status_code == 200
    assert b"too short" in weak.content
    good = client.post(
        "/accounts/password/change/",
        {
            "old_password": PASSWORD,
            "new_password1": "a much longer pass phrase",
            "new_password2": "a much longer pass phrase",
        },
    )
    assert good.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("a much longer pass phrase")


def test_pages_carry_a_strict_content_security_policy(client, db):
    csp = client.get("/accounts/login/")["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
