"""Losing access ends sessions at once (institutes.sessions): a removed or lowered membership, a
disabled account, a lost platform role. Tokens: access is worked out per request, and a disabled
user's tokens are refused. Sessions also end after inactivity and after a fixed time, and
signing in gives a new session key."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from evaluations.models import Participation
from institutes import sessions
from institutes.models import AuditEvent, Membership, Role, User
from tests.api_clients import bearer
from tests.evaluations.factories import ParticipationFactory, ProjectFactory
from tests.factories import PASSWORD
from tests.figures import figure


@pytest.fixture
def project(institute_a):
    project = ProjectFactory(slug="sessions-project")
    ParticipationFactory(project=project, institute=institute_a, role=Participation.Role.LEAD)
    return project


def page_urls(project) -> list[str]:
    slug = project.slug
    return ["/", f"/projects/{slug}/", f"/projects/{slug}/results/", "/projects/"]


def api_urls(project) -> list[str]:
    return [f"/api/v1/projects/{project.slug}/", f"/api/v1/projects/{project.slug}/"]


def successes(client, urls) -> int:
    """Requests answered with the page itself (not a redirect to sign in, not a refusal)."""
    return sum(1 for url in urls if client.get(url).status_code == 200)


def test_removing_a_membership_ends_the_users_sessions_at_once(client, bob, project):
    client.force_login(bob)
    api = bearer(bob)
    assert successes(client, page_urls(project)) == 4
    assert successes(api, api_urls(project)) == 2
    Membership.objects.filter(user=bob).delete()
    after = successes(client, page_urls(project) + api_urls(project))
    token_after = successes(api, api_urls(project))
    figure(
        f"removed membership: {after} session requests (pages, API) and {token_after} token "
        "requests for the project succeed after"
    )
    assert (after, token_after) == (0, 0)
    assert SESSION_KEY not in client.session
    assert client.get("/")["Location"].startswith(reverse("login"))


def test_a_removed_membership_through_the_admin_ends_sessions(client, bob, pm, project):
    pm.is_superuser = True
    pm.save()
    bob_client = type(client)()
    bob_client.force_login(bob)
    membership = Membership.objects.get(user=bob)
    client.force_login(pm)
    response = client.post(f"/admin/institutes/membership/{membership.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert successes(bob_client, page_urls(project)) == 0


def test_a_lowered_role_ends_sessions_and_a_raised_one_does_not(client, bob, vera, project):
    client.force_login(bob)
    Membership.objects.filter(user=bob).update(role=Role.VIEWER)  # a bulk update
    assert successes(client, page_urls(project)) == 0
    client.force_login(vera)
    Membership.objects.filter(user=vera).update(role=Role.EVALUATOR)
    assert successes(client, page_urls(project)) == 4


def test_disabling_a_user_ends_sessions_and_tokens(client, bob, project):
    client.force_login(bob)
    api = bearer(bob)
    assert api.get(api_urls(project)[0]).status_code == 200
    User.objects.filter(pk=bob.pk).update(is_active=False)
    pages = successes(client, page_urls(project))
    tokens = successes(api, [*api_urls(project), "/api/v1/institutes/", "/api/v1/projects/"])
    figure(f"disabled user: {pages} page and {tokens} token requests succeed after")
    assert (pages, tokens) == (0, 0)
    assert api.get("/api/v1/institutes/").status_code == 401


@pytest.mark.parametrize("flag", ["is_programme_manager", "is_staff", "is_superuser"])
def test_losing_a_platform_role_ends_sessions(client, pm, project, flag):
    setattr(pm, flag, True)
    pm.save()
    client.force_login(pm)
    assert client.get("/").status_code == 200
    setattr(pm, flag, False)
    pm.save()
    assert client.get("/").status_code == 302


def test_a_stale_save_of_the_user_does_not_bring_sessions_back(client, bob, project):
    stale = User.objects.get(pk=bob.pk)  # loaded before the membership ends
    client.force_login(bob)
    Membership.objects.filter(user=bob).delete()
    stale.first_name = "Robert"
    stale.save()  # writes the old session_epoch back: the trigger keeps the higher one
    assert successes(client, page_urls(project)) == 0


def test_a_token_loses_a_removed_membership_on_its_next_request(bob, project):
    api = bearer(bob)
    assert api.get(api_urls(project)[0]).status_code == 200
    Membership.objects.filter(user=bob).delete()
    assert api.get(api_urls(project)[0]).status_code == 404
    assert api.get("/api/v1/projects/").json()["results"] == []


def test_other_users_sessions_are_untouched(client, alice, bob, project):
    client.force_login(alice)
    Membership.objects.filter(user=bob).delete()
    assert successes(client, page_urls(project)) == 4


# --- signing in, idle and absolute timeouts ------------------------------------------------


def test_signing_in_gives_a_new_session_key(client, alice):
    client.get(reverse("login"))
    session = client.session
    session["before"] = True
    session.save()
    before = session.session_key
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session.session_key != before
    assert int(client.session[SESSION_KEY]) == alice.pk


def _age(client, *, signed_in_ago: float, seen_ago: float) -> None:
    session = client.session
    now = time.time()
    session[sessions.SIGNED_IN_AT] = now - signed_in_ago
    session[sessions.SEEN_AT] = now - seen_ago
    session.save()


def test_a_session_idle_for_longer_than_the_limit_is_signed_out(client, alice, settings):
    settings.CONCORD_SESSION_IDLE_SECONDS = 1800
    client.force_login(alice)
    assert client.get("/").status_code == 200
    _age(client, signed_in_ago=3600, seen_ago=1801)
    response = client.get("/projects/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert client.get("/").status_code == 302  # and stays signed out
    event = AuditEvent.objects.filter(action="session_expired").get()
    assert (event.actor_id, event.changes) == (alice.pk, {"reason": "idle"})


def test_a_session_active_within_the_limit_stays(client, alice):
    client.force_login(alice)
    client.get("/")
    _age(client, signed_in_ago=3600, seen_ago=1700)
    assert client.get("/projects/").status_code == 200
    # The request counted as activity: the last-seen time moved to now.
    assert time.time() - client.session[sessions.SEEN_AT] < 5


def test_a_session_ends_after_the_absolute_limit_however_active(client, alice, settings):
    settings.SESSION_COOKIE_AGE = 12 * 3600
    client.force_login(alice)
    client.get("/")
    _age(client, signed_in_ago=12 * 3600 + 1, seen_ago=10)
    assert client.get("/projects/").status_code == 302
    assert AuditEvent.objects.get(action="session_expired").changes == {"reason": "absolute"}


def test_an_api_request_of_an_expired_session_is_refused(client, alice):
    client.force_login(alice)
    client.get("/")
    _age(client, signed_in_ago=100, seen_ago=4000)
    assert client.get("/api/v1/projects/").status_code in (401, 403)


def test_the_last_seen_time_is_not_written_on_every_request(client, alice):
    client.force_login(alice)
    client.get("/")
    seen = client.session[sessions.SEEN_AT]
    client.get("/projects/")
    assert client.session[sessions.SEEN_AT] == seen  # within a minute: the session is not saved


def test_signing_out_ends_the_session_wherever_it_is_kept(client, alice, project):
    """Sessions are read from the cache when there is one (`SESSION_ENGINE`): signing out deletes
    the cached copy too, so the old cookie is refused."""
    client.force_login(alice)
    assert client.get(f"/projects/{project.slug}/results/").status_code == 200
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.post(reverse("logout")).status_code in (200, 302)
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie  # the cookie from before
    response = client.get(f"/projects/{project.slug}/results/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_cached_session_still_ends_when_a_membership_is_removed(client, bob, project):
    client.force_login(bob)
    assert client.get("/projects/").status_code == 200
    assert client.get("/projects/").status_code == 200  # now read from the cache, if any
    Membership.objects.filter(user=bob).delete()
    assert client.get("/projects/").status_code == 302
