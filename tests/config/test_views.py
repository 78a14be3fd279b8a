"""The page plumbing in config.views: htmx fragments, POST-only routes that answer 404 first, and
a button's service call reported as messages."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.urls import reverse
from django_htmx.middleware import HtmxMiddleware

from config.views import button_action, is_htmx, post_only
from tests.evaluations.factories import JobFactory, ParticipationFactory, ProjectFactory

HTMX = {"HX-Request": "true"}
HISTORY_RESTORE = {"HX-Request": "true", "HX-History-Restore-Request": "true"}


def _request(rf, method="get", headers=None):
    request = getattr(rf, method)("/somewhere/", headers=headers or {})
    HtmxMiddleware(lambda r: HttpResponse())(request)
    return request


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [({}, False), (HTMX, True), (HISTORY_RESTORE, False), ({"HX-Request": "false"}, False)],
    ids=["plain", "htmx", "history-restore", "not-htmx"],
)
def test_only_an_htmx_request_that_is_not_a_history_restore_wants_a_fragment(rf, headers, fragment):
    assert is_htmx(_request(rf, headers=headers)) is fragment


def test_a_request_without_the_htmx_middleware_is_not_htmx(rf):
    assert is_htmx(rf.get("/", headers=HTMX)) is False


@pytest.fixture
def project(alice, institute_a):
    project = ProjectFactory()
    ParticipationFactory(project=project, institute=institute_a, role="lead")
    return project


def test_a_list_answers_htmx_with_its_fragment_and_a_history_restore_with_the_page(
    client, alice, project
):
    client.force_login(alice)
    url = reverse("projects:list")
    page = client.get(url)
    fragment = client.get(url, headers=HTMX)
    restored = client.get(url, headers=HISTORY_RESTORE)
    assert "<html" in page.text
    assert "<html" in restored.text
    assert "<html" not in fragment.text
    assert project.title in fragment.text
    assert "HX-Request" in page["Vary"]
    assert "HX-Request" in fragment["Vary"]


def _lookup_that_hides(user, pk):
    raise Http404("No such thing.")


def test_post_only_looks_up_before_refusing_the_method(rf):
    seen = []

    def lookup(user, pk):
        seen.append(pk)

    view = post_only(lookup)(lambda request, pk: HttpResponse("done"))
    request = rf.get("/")
    request.user = None
    response = view(request, pk=7)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert seen == [7]
    hidden = post_only(_lookup_that_hides)(lambda request, pk: HttpResponse("done"))
    with pytest.raises(Http404):
        hidden(request, pk=7)


def test_an_outsider_gets_404_from_a_post_only_job_route_whatever_the_method(
    client, charlie, alice, project
):
    job = JobFactory(project=project)
    url = reverse("jobs:cancel", kwargs={"job_id": job.pk})
    client.force_login(charlie)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    client.force_login(alice)
    assert client.get(url).status_code == 405


def test_an_outsider_gets_404_from_a_post_only_project_route_whatever_the_method(
    client, charlie, alice, project
):
    url = reverse("projects:transition", kwargs={"slug": project.slug})
    client.force_login(charlie)
    assert client.get(url).status_code == 404
    assert client.post(url, {"status": "completed"}).status_code == 404
    client.force_login(alice)
    assert client.get(url).status_code == 405


def _message_request(rf):
    request = rf.post("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_a_button_action_returns_what_the_service_returns(rf):
    request = _message_request(rf)
    result = button_action(request, lambda *, n: n + 1, n=41, success="Done.")
    assert result == 42
    assert [str(m) for m in get_messages(request)] == ["Done."]


def test_a_refused_button_action_shows_the_reasons_and_returns_none(rf):
    def refuse():
        raise ValidationError(["Not now.", "Not you."])

    request = _message_request(rf)
    assert button_action(request, refuse, success="Done.") is None
    assert [str(m) for m in get_messages(request)] == ["Not now.", "Not you."]
