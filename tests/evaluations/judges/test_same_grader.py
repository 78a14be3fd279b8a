"""Judges on the pages and in the API: the run page marks a judge with its grader model, the runs
API lists each run's scorers, and the compare and replications pages say whether two runs'
headline scores were graded by the same model ("Same grader?")."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from evaluations.models import RunScorer
from evaluations.results import graders
from tests.evaluations.results_world import build_results_world, make_run


@pytest.fixture
def rw(alice, bob, vera, charlie, pm, institute_a, institute_b):
    return build_results_world(institute_a=institute_a, institute_b=institute_b)


def judge(run, model, name="match"):
    return RunScorer.objects.create(run=run, name=name, judge=True, grader_model=model)


def rule(run, name="match"):
    return RunScorer.objects.create(run=run, name=name, judge=False)


def compare(client, user, a, b) -> str:
    client.force_login(user)
    response = client.get(reverse("runs:compare") + f"?a={a.pk}&b={b.pk}")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("a", "b", "answer"),
    [
        ((True, "judge-x"), (True, "judge-x"), "yes"),
        ((True, "judge-x"), (True, "judge-y"), "no"),
        ((True, "judge-x"), (False, ""), "no"),
        ((False, ""), (False, ""), "n/a"),
        ((True, ""), (True, "judge-y"), "unknown"),
        (None, (True, "judge-y"), "unknown"),
    ],
)
def test_same_grader_answers(a, b, answer):
    def scorer(spec):
        return None if spec is None else RunScorer(name="s", judge=spec[0], grader_model=spec[1])

    match = graders.GraderMatch(scorer(a), scorer(b))
    assert match.answer == answer
    assert match.differs == (answer == "no")


def test_runs_graded_by_different_judges_are_flagged_on_the_comparison(client, rw, vera):
    judge(rw.run_a, "concord-demo/judge-strict")
    judge(rw.run_b, "concord-demo/judge-lenient")
    body = compare(client, vera, rw.run_a, rw.run_b)
    assert "data-grader-differs" in body
    assert "graded by different judges" in body
    assert "judge: concord-demo/judge-strict" in body
    assert "judge: concord-demo/judge-lenient" in body
    assert 'data-same-grader="no"' in body


def test_runs_graded_by_the_same_judge_say_yes(client, rw, vera):
    judge(rw.run_a, "concord-demo/judge-strict")
    judge(rw.run_b, "concord-demo/judge-strict")
    body = compare(client, vera, rw.run_a, rw.run_b)
    assert "data-grader-differs" not in body
    assert 'data-same-grader="yes"' in body


def test_rule_based_scorers_answer_not_applicable(client, rw, vera):
    rule(rw.run_a)
    rule(rw.run_b)
    body = compare(client, vera, rw.run_a, rw.run_b)
    assert 'data-same-grader="n/a"' in body
    assert "rule-based scorer" in body
    assert "data-grader-differs" not in body


def test_replications_say_whether_the_institutes_used_the_same_grader(client, rw, vera):
    judge(rw.run_a, "concord-demo/judge-strict")
    judge(rw.run_b, "concord-demo/judge-lenient")
    client.force_login(vera)
    body = client.get(reverse("projects:replications", kwargs={"slug": rw.project.slug}))
    text = body.content.decode()
    assert 'data-same-grader="no"' in text
    assert "A: judge: concord-demo/judge-strict" in text
    assert "B: judge: concord-demo/judge-lenient" in text


def test_replications_read_the_scorers_in_one_query(rw, vera):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from evaluations.results import comparisons

    judge(rw.run_a, "j")
    rule(rw.run_b)
    third = make_run(rw.project, rw.qa, rw.reference, rw.institute_a, [1, 0])
    make_run(rw.project, rw.qa, rw.reference, rw.institute_b, [1, 1])
    judge(third, "j")
    with CaptureQueriesContext(connection) as queries:
        replications = comparisons.replications_for_project(rw.project, vera)
    assert len(replications) == 2
    scorer_queries = [q for q in queries if "evaluations_runscorer" in q["sql"]]
    assert len(scorer_queries) == 1
    graded = {r.run_a.pk: r.grader.answer for r in replications}
    assert graded[rw.run_a.pk] == "no"
    assert graded[third.pk] == "unknown"  # the other side has no scorer rows


def test_the_run_page_marks_a_judge_with_its_grader_model(client, rw, vera):
    judge(rw.run_a, "concord-demo/judge-strict")
    client.force_login(vera)
    body = client.get(reverse("runs:detail", kwargs={"run_id": rw.run_a.pk})).content.decode()
    assert "judge: concord-demo/judge-strict" in body
    rule(rw.run_b)
    body = client.get(reverse("runs:detail", kwargs={"run_id": rw.run_b.pk})).content.decode()
    assert "data-judge" not in body


def test_the_runs_api_lists_each_runs_scorers(rw, vera):
    judge(rw.run_a, "concord-demo/judge-strict")
    rule(rw.run_a, name="exact")
    api = APIClient()
    api.force_login(vera)
    detail = api.get(f"/api/v1/runs/{rw.run_a.pk}/").json()
    assert detail["scorers"] == [
        {"name": "exact", "judge": False, "grader_model": ""},
        {"name": "match", "judge": True, "grader_model": "concord-demo/judge-strict"},
    ]
    listed = {r["id"]: r["scorers"] for r in api.get("/api/v1/runs/").json()["results"]}
    assert listed[rw.run_a.pk] == detail["scorers"]
    assert listed[rw.run_b.pk] == []


def test_the_runs_list_reads_scorers_in_a_fixed_number_of_queries(rw, vera):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = APIClient()
    api.force_login(vera)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get("/api/v1/runs/").status_code == 200
        return len(queries)

    for run in (rw.run_a, rw.run_b):
        judge(run, "j")
    before = count()
    for _ in range(4):
        run = make_run(rw.project, rw.qa, rw.target, rw.institute_a, [1, 0])
        judge(run, "j")
        rule(run, name="exact")
    assert count() == before
