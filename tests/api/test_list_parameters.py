"""Every list of the API takes `?page_size=` and `?ordering=` under one rule: a value it cannot
honour is a 400 naming the parameter, never quietly replaced. The lists are found by walking the
router, so a new list is checked without being named here."""

from __future__ import annotations

import pytest

from config.api.filters import OrderingFilter
from config.api.pagination import CursorPagination, PageNumberPagination
from config.api_urls import router
from tests.api_clients import bearer, error_of
from tests.evaluations.factories import RunFactory, SampleResultFactory

RUN_ID = r"(?P<run_id>\d+)"
SLUG = r"(?P<slug>[^/.]+)"  # a project's lists: the run's project


def _list_routes():
    for prefix, viewset, _ in router.registry:
        # A plain ViewSet (no queryset, no pagination) answers one report on its list route
        # (a project's results, a queue's judge agreement): not a list of objects to page.
        if hasattr(viewset, "list") and hasattr(viewset, "pagination_class"):
            yield pytest.param(prefix, viewset, id=prefix.replace(RUN_ID, "<run>"))


LISTS = list(_list_routes())


@pytest.fixture
def run(project, institute_a, system):
    run = RunFactory(project=project, institute=institute_a, system=system, participation=False)
    SampleResultFactory.create_batch(3, run=run)
    return run


def _url(prefix: str, run) -> str:
    path = prefix.replace(RUN_ID, str(run.pk)).replace(SLUG, run.project.slug)
    return f"/api/v1/{path}/"


def _ordering_values(viewset) -> list[str]:
    return [value for name in viewset.ordering_fields for value in (name, f"-{name}")]


def test_the_walk_finds_every_list():
    prefixes = {param.values[0] for param in LISTS}
    assert {"projects", "runs", "exchanges", "tasks", rf"runs/{RUN_ID}/samples"} <= prefixes
    assert len(LISTS) >= 10


@pytest.mark.parametrize(("prefix", "viewset"), LISTS)
@pytest.mark.parametrize("size", ["0", "-3", "abc", "1.5", "", "5000"])
def test_a_page_size_a_list_cannot_honour_is_refused(alice, run, prefix, viewset, size):
    response = bearer(alice).get(_url(prefix, run), {"page_size": size})
    assert response.status_code == 400, response.content[:300]
    paginator = viewset.pagination_class
    error = error_of(response)
    assert error["code"] == "invalid"
    assert error["fields"] == {
        "page_size": [f"A whole number from 1 to {paginator.max_page_size}."]
    }


@pytest.mark.parametrize(("prefix", "viewset"), LISTS)
def test_every_list_pages_by_the_one_rule(alice, run, prefix, viewset):
    assert issubclass(viewset.pagination_class, (PageNumberPagination, CursorPagination))
    maximum = viewset.pagination_class.max_page_size
    client = bearer(alice)
    assert client.get(_url(prefix, run), {"page_size": 1}).status_code == 200
    assert client.get(_url(prefix, run), {"page_size": maximum}).status_code == 200
    assert client.get(_url(prefix, run), {"page_size": maximum + 1}).status_code == 400


def test_samples_are_paged_by_the_page_size_asked_for(alice, run):
    client = bearer(alice)
    first = client.get(f"/api/v1/runs/{run.pk}/samples/", {"page_size": 2}).json()
    assert len(first["results"]) == 2
    rest = client.get(first["next"]).json()
    assert len(rest["results"]) == 1
    assert rest["next"] is None


@pytest.mark.parametrize(("prefix", "viewset"), LISTS)
def test_every_list_takes_only_the_orderings_it_lists(alice, run, prefix, viewset):
    assert OrderingFilter in viewset().filter_backends, "a list without strict ordering"
    allowed = _ordering_values(viewset)
    client = bearer(alice)
    response = client.get(_url(prefix, run), {"ordering": "nonsense"})
    assert response.status_code == 400, response.content[:300]
    (message,) = error_of(response)["fields"]["ordering"]
    assert "nonsense" in message
    assert all(value in message for value in allowed)
    # One unknown name among known ones is refused too, not dropped.
    response = client.get(_url(prefix, run), {"ordering": f"{allowed[1]},-nonsense"})
    assert error_of(response)["fields"]["ordering"]
    for value in allowed:
        assert client.get(_url(prefix, run), {"ordering": value}).status_code == 200, value
    assert client.get(_url(prefix, run), {"ordering": ",".join(allowed[::2])}).status_code == 200
    assert client.get(_url(prefix, run), {"ordering": ""}).status_code == 200


def test_a_field_outside_ordering_fields_is_refused_even_if_it_exists(alice, project):
    response = bearer(alice).get("/api/v1/projects/", {"ordering": "description"})
    assert response.status_code == 400
    assert "Allowed values: created_at, -created_at" in error_of(response)["fields"]["ordering"][0]


def test_samples_reverse_by_id(alice, run):
    client = bearer(alice)
    url = f"/api/v1/runs/{run.pk}/samples/"
    ids = [s["id"] for s in client.get(url).json()["results"]]
    reversed_ids = [s["id"] for s in client.get(url, {"ordering": "-id"}).json()["results"]]
    assert reversed_ids == sorted(ids, reverse=True)
    response = client.get(url, {"ordering": "score"})
    assert error_of(response)["fields"]["ordering"] == [
        "Unknown ordering: score. Allowed values: id, -id."
    ]


def test_the_schema_lists_each_lists_orderings_and_page_size_bounds(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/runs/{run_id}/samples/"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert parameters["ordering"]["schema"]["items"]["enum"] == ["id", "-id"]
    assert parameters["page_size"]["schema"]["maximum"] == 1000
    operation = schema["paths"]["/api/v1/projects/"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert "-title" in parameters["ordering"]["schema"]["items"]["enum"]
    assert parameters["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 500}
