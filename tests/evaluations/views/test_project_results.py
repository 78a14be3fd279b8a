"""A project's results matrix (with its chart data), its runs list and its replications."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from evaluations import stats
from evaluations.models import EvaluationRun, Participation
from evaluations.results.matrix import build_matrix
from tests.evaluations.factories import ParticipationFactory, ProjectFactory, TaskFactory
from tests.evaluations.results_world import CYBER, QA_A, QA_B, QA_REF, build_results_world, make_run


@pytest.fixture
def rw(alice, bob, vera, charlie, pm, institute_a, institute_b):
    """The results world (tests/evaluations/results_world.py) with the conftest people."""
    return build_results_world(institute_a=institute_a, institute_b=institute_b)


def results_url(project, **query) -> str:
    url = reverse("projects:results", kwargs={"slug": project.slug})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def cells(body: str) -> list[str]:
    """The text of each matrix cell, in order."""
    found = re.findall(r'<td class="matrix-cell[^"]*">(.*?)</td>', body, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in found]


def summary(scores):
    return stats.score_summary([float(s) for s in scores])


def test_matrix_cells_print_the_latest_runs_score_ci_and_sample_count(client, rw, vera):
    client.force_login(vera)
    body = client.get(results_url(rw.project)).content.decode()
    # Columns: target first, then the reference. Rows: Cyber (cyber domain) before Knowledge QA
    # (safeguards domain), by domain order.
    cyber_target, cyber_ref, qa_target, qa_ref = cells(body)
    cyber = summary(CYBER)
    assert cyber_target.startswith(
        f"{cyber.mean:.3f} [{cyber.ci_low:.2f}, {cyber.ci_high:.2f}] n=4"
    )
    assert cyber_ref == "—"
    latest_target = summary(QA_B)  # B's run of QA on the target is newer than A's
    assert qa_target.startswith(f"{latest_target.mean:.3f}")
    assert "2 runs · 2 institutes" in qa_target
    assert qa_ref.startswith(f"{summary(QA_REF).mean:.3f}")


def test_matrix_marks_target_and_reference_systems_in_words(client, rw, vera):
    client.force_login(vera)
    body = client.get(results_url(rw.project)).content.decode()
    head = body[body.index("<thead>") : body.index("</thead>")]
    assert re.search(
        r"badge-target\">Target</span>\s*<span class=\"matrix-system-name\">Lab Frontier-1 1", head
    )
    assert re.search(
        r"badge-ref\">Reference</span>\s*<span class=\"matrix-system-name\">Lab Frontier-0 1", head
    )


def test_matrix_groups_rows_by_domain_with_the_workstream_lead(client, rw, vera):
    client.force_login(vera)
    body = client.get(results_url(rw.project)).content.decode()
    groups = re.findall(r'<tr class="matrix-group"><th[^>]*>(.*?)</th>', body, re.S)
    flat = [" ".join(re.sub(r"<[^>]+>", " ", g).split()) for g in groups]
    assert flat == ["Cyber · workstream led by Institute A", "Safeguards"]


def test_matrix_cells_are_coloured_by_value_and_link_to_their_runs(client, rw, vera):
    client.force_login(vera)
    body = client.get(results_url(rw.project)).content.decode()
    assert re.search(
        r'class="matrix-cell heat-3">\s*<a class="matrix-value" href="/runs/'
        + str(rw.run_cyber.pk)
        + '/"',
        body,
    )
    runs_link = reverse("projects:runs", kwargs={"slug": rw.project.slug})
    assert f'{runs_link}?task={rw.qa.slug}&amp;system={rw.target.pk}"' in body


def test_institute_filter_keeps_only_that_institutes_runs(client, rw, vera):
    client.force_login(vera)
    body = client.get(results_url(rw.project, institute=rw.institute_b.code)).content.decode()
    [qa_target, qa_ref] = cells(body)  # only QA: B ran nothing else
    assert qa_target.startswith(f"{summary(QA_B).mean:.3f}")
    assert "1 run · inst-b" in qa_target
    assert qa_ref == "—"


def test_chart_data_has_a_point_per_system_with_its_interval(client, rw, vera):
    client.force_login(vera)
    body = client.get(results_url(rw.project)).content.decode()
    raw = re.search(
        r'<script id="results-chart-data" type="application/json">(.*?)</script>', body, re.S
    ).group(1)
    charts = {c["task"]: c for c in json.loads(raw)}
    assert set(charts) == {"Knowledge QA", "Cyber range"}
    points = charts["Knowledge QA"]["points"]
    assert [(p["label"], p["reference"]) for p in points] == [
        ("Lab Frontier-1 1", False),
        ("Lab Frontier-0 1", True),
    ]
    ref = summary(QA_REF)
    assert points[1]["low"] == pytest.approx(ref.ci_low)
    assert points[1]["high"] == pytest.approx(ref.ci_high)
    assert points[1]["n"] == 6
    assert points[1]["url"] == f"/runs/{rw.run_ref.pk}/"
    assert body.count('<canvas class="results-chart"') == 2


def test_results_page_has_no_inline_script_or_style(client, rw, vera):
    client.force_login(vera)
    body = client.get(results_url(rw.project)).content.decode()
    assert "style=" not in body
    scripts = re.findall(r"<script([^>]*)>", body)
    assert all('src="' in attrs or 'type="application/json"' in attrs for attrs in scripts)


def test_project_without_runs_says_so(client, rw, vera):
    empty = ProjectFactory(title="Nothing run yet")
    ParticipationFactory(project=empty, institute=rw.institute_a, role=Participation.Role.LEAD)
    client.force_login(vera)
    body = client.get(results_url(empty)).content.decode()
    assert "No successful run yet" in body
    assert "results-chart-data" not in body


def test_failed_runs_do_not_fill_a_cell_but_are_counted(rw):
    failed_task = TaskFactory(name="Broken task")
    make_run(rw.project, failed_task, rw.target, rw.institute_a, [0, 1], status="error")
    matrix = build_matrix(rw.project)
    assert "Broken task" not in [row.task.name for g in matrix.groups for row in g.rows]
    qa_row = next(row for g in matrix.groups for row in g.rows if row.task == rw.qa)
    assert qa_row.cells[0].run_count == 2


def test_outsider_gets_404_for_the_results(client, rw, charlie):
    client.force_login(charlie)
    assert client.get(results_url(rw.project)).status_code == 404


def test_results_matrix_queries_are_bounded_whatever_the_number_of_runs(
    client, rw, vera, django_assert_max_num_queries
):

    for i in range(12):
        task = TaskFactory(name=f"Extra task {i}", domain=rw.qa.domain)
        for system in (rw.target, rw.reference):
            for institute in (rw.institute_a, rw.institute_b):
                make_run(rw.project, task, system, institute, [1, 0, 1, 1] * 10)
    client.force_login(vera)
    with django_assert_max_num_queries(18):
        response = client.get(results_url(rw.project))
    assert response.content.decode().count('<canvas class="results-chart"') == 14


# --- runs list ------------------------------------------------------------------------------


def runs_url(project, **query) -> str:
    url = reverse("projects:runs", kwargs={"slug": project.slug})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_runs_list_filters_by_task_system_and_institute(client, rw, vera):
    client.force_login(vera)
    body = client.get(runs_url(rw.project, task=rw.qa.slug, system=rw.target.pk)).content.decode()
    listed = set(map(int, re.findall(r'href="/runs/(\d+)/">Run', body)))
    assert listed == {rw.run_a.pk, rw.run_b.pk}
    body = client.get(
        runs_url(rw.project, task=rw.qa.slug, institute=rw.institute_b.code)
    ).content.decode()
    assert set(map(int, re.findall(r'href="/runs/(\d+)/">Run', body))) == {rw.run_b.pk}


def test_runs_list_offers_to_compare_two_runs(client, rw, vera):
    client.force_login(vera)
    body = client.get(runs_url(rw.project)).content.decode()
    assert f'action="{reverse("runs:compare")}"' in body
    assert f'name="a" value="{rw.run_a.pk}"' in body
    assert "Compare A with B" in body


def checked_run(body: str, side: str) -> int:
    [pk] = re.findall(rf'name="{side}" value="(\d+)"[^>]*checked', body)
    return int(pk)


def test_runs_list_preselects_two_runs_of_one_task(client, rw, vera):
    lone = make_run(rw.project, TaskFactory(), rw.target, rw.institute_a, [1, 0])  # newest
    client.force_login(vera)
    body = client.get(runs_url(rw.project)).content.decode()
    a, b = checked_run(body, "a"), checked_run(body, "b")
    assert lone.pk not in (a, b)
    assert a != b
    assert len({r.task_id for r in EvaluationRun.objects.filter(pk__in=[a, b])}) == 1


def test_runs_list_preselects_nothing_when_no_two_runs_share_a_task(client, rw, vera):
    client.force_login(vera)
    body = client.get(runs_url(rw.project, task=rw.cyber.slug)).content.decode()
    assert "checked" not in body


def test_runs_list_queries_are_bounded(client, rw, vera, django_assert_max_num_queries):
    for _ in range(30):
        make_run(rw.project, rw.qa, rw.reference, rw.institute_b, [1, 0])
    client.force_login(vera)
    with django_assert_max_num_queries(16):
        assert client.get(runs_url(rw.project)).status_code == 200


# --- replications ---------------------------------------------------------------------------


def replications_url(project) -> str:
    return reverse("projects:replications", kwargs={"slug": project.slug})


def test_replications_list_each_task_and_system_two_institutes_ran(client, rw, vera):
    client.force_login(vera)
    body = client.get(replications_url(rw.project)).content.decode()
    assert "1 replication" in body
    assert "inst-a" in body
    assert "inst-b" in body
    assert f"?a={rw.run_a.pk}&amp;b={rw.run_b.pk}" in body
    # A 4/6 vs B 4/6 with two disagreements: agreement 66.7%, difference 0.
    assert "66.7%" in body
    assert "+0.000" in body
    assert "within error" in body


def test_replications_flag_a_significant_difference(client, rw, vera):
    strong = make_run(rw.project, rw.cyber, rw.target, rw.institute_b, [1] * 30)
    weak = make_run(rw.project, rw.cyber, rw.target, rw.institute_a, [0] * 25 + [1] * 5)
    client.force_login(vera)
    body = client.get(replications_url(rw.project)).content.decode()
    assert "2 replications" in body
    assert "⚠ 1 with a significant difference" in body
    row = re.search(r'<tr class="row-significant">(.*?)</tr>', body, re.S).group(1)
    assert "Cyber range" in row
    assert f"run {weak.pk}" in row
    assert f"run {strong.pk}" in row


def test_replications_queries_are_bounded(client, rw, vera, django_assert_max_num_queries):
    for i in range(10):
        task = TaskFactory(name=f"Replicated {i}")
        make_run(rw.project, task, rw.target, rw.institute_a, [1, 0, 1] * 20)
        make_run(rw.project, task, rw.target, rw.institute_b, [1, 1, 0] * 20)
    client.force_login(vera)
    with django_assert_max_num_queries(14):
        response = client.get(replications_url(rw.project))
    assert "11 replications" in response.content.decode()


def test_qa_scores_in_the_world_are_as_documented():
    assert sum(QA_A) == sum(QA_B) == 4
