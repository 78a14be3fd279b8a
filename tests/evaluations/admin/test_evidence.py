"""A programme manager cannot delete evidence in the admin: no delete page for a project with
runs or findings, a run or a published finding, no bulk delete action, and no admin at all for
sample results and reviews. Projects are withdrawn or closed instead."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from evaluations.models import EvaluationProject, EvaluationRun, Finding, SampleResult, SampleReview
from tests.evaluations.evidence_world import build_evidence, counts
from tests.evaluations.factories import ProjectFactory


@pytest.fixture
def evidence(db):
    return build_evidence()


def delete_url(model: str, pk: int) -> str:
    return reverse(f"admin:evaluations_{model}_delete", args=[pk])


@pytest.mark.parametrize(
    ("model", "name"),
    [("evaluationproject", "project"), ("evaluationrun", "run"), ("finding", "published")],
)
def test_a_programme_manager_cannot_delete_evidence_in_the_admin(client, pm, evidence, model, name):
    client.force_login(pm)
    obj = evidence[name]
    before = counts()
    change = client.get(reverse(f"admin:evaluations_{model}_change", args=[obj.pk]))
    assert change.status_code == 200
    assert delete_url(model, obj.pk) not in change.text  # no "Delete" link
    assert client.get(delete_url(model, obj.pk)).status_code == 403
    assert client.post(delete_url(model, obj.pk), {"post": "yes"}).status_code == 403
    assert counts() == before


@pytest.mark.parametrize("model", ["evaluationproject", "evaluationrun", "finding"])
def test_the_bulk_delete_action_is_gone(client, pm, evidence, model):
    client.force_login(pm)
    changelist = reverse(f"admin:evaluations_{model}_changelist")
    assert "delete_selected" not in client.get(changelist).text
    before = counts()
    pks = [o.pk for o in (evidence["project"], evidence["run"], evidence["published"])]
    client.post(changelist, {"action": "delete_selected", "_selected_action": pks, "post": "yes"})
    assert counts() == before


def test_sample_results_and_reviews_have_no_admin_to_delete_them_from(client, pm, evidence):
    assert not admin.site.is_registered(SampleResult)
    assert not admin.site.is_registered(SampleReview)
    with pytest.raises(NoReverseMatch):
        delete_url("sampleresult", evidence["sample"].pk)
    # The run's page shows its scores read-only: no inline row can be deleted either.
    client.force_login(pm)
    page = client.get(reverse("admin:evaluations_evaluationrun_change", args=[evidence["run"].pk]))
    assert all(not f.formset.can_delete for f in page.context["inline_admin_formsets"])


def test_a_project_without_runs_or_findings_may_still_be_deleted_by_a_programme_manager(
    client, pm, db
):
    project = ProjectFactory()
    client.force_login(pm)
    response = client.post(delete_url("evaluationproject", project.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not EvaluationProject.objects.filter(pk=project.pk).exists()


def test_a_draft_finding_may_still_be_deleted_in_the_admin(client, pm, evidence):
    client.force_login(pm)
    draft = evidence["draft"]
    assert client.post(delete_url("finding", draft.pk), {"post": "yes"}).status_code == 302
    assert not Finding.objects.filter(pk=draft.pk).exists()
    assert EvaluationRun.objects.filter(pk=evidence["run"].pk).exists()
