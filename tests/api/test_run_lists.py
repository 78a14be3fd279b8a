"""The runs list and a run's samples, the API's busiest reads: the same JSON as their serializers
give, in a number of queries that does not grow with the rows, and the JSON renderer writing what
DRF's would."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer

from config.api.renderers import JSONRenderer
from evaluations.api.job_serializers import SampleSerializer
from evaluations.models import SampleResult
from institutes.models import Role
from tests.api_clients import bearer
from tests.evaluations.factories import RunFactory, SampleResultFactory
from tests.factories import member


@pytest.fixture
def reader(institute_a):
    return member("reader", institute_a, Role.VIEWER)


@pytest.fixture
def run(institute_a):
    return RunFactory(institute=institute_a)


def add_samples(run, start: int, n: int) -> None:
    for i in range(start, start + n):
        SampleResultFactory(
            run=run,
            sample_id=f"q{i:03d}",
            score=None if i % 3 == 0 else i % 2,
            scores={"match": {"value": "C", "explanation": "é\u2028ok", "n": [1, 2.5, None]}},
            metadata={"topic": "chemistry", "nested": {"level": i}},
            input=f'Question {i}: ünïcode, \u2029 and "quotes"',
            output="ANSWER: x" * (i + 1),
            error="timeout" if i == 4 else "",
            total_tokens=i * 10,
        )


def test_a_samples_page_is_what_the_serializer_gives(reader, run):
    add_samples(run, 0, 7)
    body = bearer(reader).get(f"/api/v1/runs/{run.pk}/samples/").json()
    expected = SampleSerializer(SampleResult.objects.filter(run=run).order_by("id"), many=True)
    assert body["results"] == json.loads(json.dumps(expected.data))
    assert list(body["results"][0]) == SampleSerializer.Meta.fields


def test_a_sample_is_read_whole_from_its_own_endpoint(reader, run):
    add_samples(run, 0, 2)
    sample = SampleResult.objects.filter(run=run).order_by("id").last()
    body = bearer(reader).get(f"/api/v1/runs/{run.pk}/samples/{sample.pk}/").json()
    assert body == json.loads(json.dumps(SampleSerializer(sample).data))


def test_samples_list_in_a_number_of_queries_that_does_not_grow(
    reader, run, django_assert_max_num_queries
):
    client = bearer(reader)
    add_samples(run, 0, 3)
    url = f"/api/v1/runs/{run.pk}/samples/?page_size=50"
    client.get(url)  # the token's first use of the minute also records it (two more queries)
    # The token, the reader's memberships, participations and exchanges, the run, its samples.
    with django_assert_max_num_queries(6) as few:
        assert len(client.get(url).json()["results"]) == 3
    add_samples(run, 3, 60)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url).json()
    assert len(page["results"]) == 50
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(page["next"]).json()["results"]) == 13


def test_runs_list_in_a_number_of_queries_that_does_not_grow(
    reader, run, django_assert_max_num_queries
):
    client = bearer(reader)
    url = f"/api/v1/runs/?project={run.project.slug}&status=success&task={run.task.slug}"
    client.get(url)  # the token's first use of the minute also records it
    # The token, memberships, participations, exchanges, the visible projects, the count, the
    # runs, their scorers, and the headline estimates of runs without stored moments (these
    # factory runs; ingested runs carry theirs).
    with django_assert_max_num_queries(9) as few:
        assert client.get(url).json()["count"] == 1
    for _ in range(12):
        RunFactory(project=run.project, institute=run.institute, task=run.task, system=run.system)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).json()["count"] == 13


def test_the_runs_list_keeps_to_the_projects_whose_results_you_may_see(reader, charlie, run):
    url = f"/api/v1/runs/?project={run.project.slug}"
    assert [r["id"] for r in bearer(reader).get(url).json()["results"]] == [run.pk]
    assert bearer(charlie).get(url).json()["results"] == []
    assert bearer(charlie).get(f"/api/v1/runs/{run.pk}/samples/").status_code == 404


AWKWARD = {
    "when": datetime.datetime(2026, 5, 1, 12, 30, 5, 123456, tzinfo=datetime.UTC),
    "naive": datetime.datetime(2026, 5, 1, 12, 30, 5),
    "day": datetime.date(2026, 5, 1),
    "at": datetime.time(9, 15, 30, 250000),
    "long": datetime.timedelta(hours=1, seconds=3),
    "money": Decimal("1.10"),
    "lazy": gettext_lazy("Results"),
    "text": 'line\u2028separator\u2029paragraph, é, 日本, "quoted" \\ \n',
    "numbers": [0, -1, 2**53, 1.5, 0.1, True, False, None],
    "nested": {"a": [{"b": ()}], "empty": {}},
}


def test_the_renderer_writes_what_drf_writes():
    ours = JSONRenderer().render(AWKWARD)
    assert ours == DRFJSONRenderer().render(AWKWARD)
    assert b"\\u2028" in ours
    assert b"\\u2029" in ours


def test_floats_in_exponent_notation_differ_only_in_how_they_are_spelled():
    data = {"small": [1e-7, 2.5e-12], "large": 1e300}
    ours = JSONRenderer().render(data)
    assert b"1e-7" in ours  # Python writes 1e-07: the same number
    assert json.loads(ours) == json.loads(DRFJSONRenderer().render(data)) == data


def test_what_orjson_cannot_write_is_written_by_drf():
    for data in ({"big": 2**70}, {1: "non-string key"}):
        assert JSONRenderer().render(data) == DRFJSONRenderer().render(data)
    indented = "application/json; indent=2"
    assert JSONRenderer().render(AWKWARD, indented) == DRFJSONRenderer().render(AWKWARD, indented)
    assert JSONRenderer().render(None) == b""
