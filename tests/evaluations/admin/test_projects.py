from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from evaluations.models import Finding, GuidelineVersion, Participation
from evaluations.services import findings, projects
from tests.evaluations.factories import ParticipationFactory, ProjectFactory, joint_world


@pytest.fixture
def jw(alice, pm, institute_a, institute_b):
    return joint_world(alice=alice, pm=pm, institute_a=institute_a, institute_b=institute_b)


@pytest.fixture
def staff_alice(alice):
    """alice with admin access to evaluations (Django permissions), but no platform-wide role."""
    alice.is_staff = True
    alice.save()
    alice.user_permissions.set(Permission.objects.filter(content_type__app_label="evaluations"))
    return alice


def changelist(model: str) -> str:
    return reverse(f"admin:evaluations_{model}_changelist")


def change(model: str, pk: int) -> str:
    return reverse(f"admin:evaluations_{model}_change", args=[pk])


def change_post(client, model: str, pk: int, data: dict):
    """POST a change form as the browser would: with the (read-only) inlines' management forms."""
    url = change(model, pk)
    form = client.get(url)
    for inline in form.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        data = {f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0, **data}
    return client.post(url, data)


@pytest.mark.parametrize(
    "model",
    ["evaluationproject", "aisystem", "domain", "guideline", "guidelineversion", "finding"],
)
def test_programme_managers_browse_every_admin_list_with_filters_and_search(client, jw, pm, model):
    client.force_login(pm)
    assert client.get(changelist(model)).status_code == 200
    assert client.get(changelist(model), {"q": "frontier"}).status_code == 200


@pytest.mark.parametrize(
    ("model", "attr"),
    [
        ("evaluationproject", "project"),
        ("aisystem", "target"),
        ("guideline", "guideline"),
        ("guidelineversion", "draft"),
        ("finding", "finding"),
    ],
)
def test_programme_managers_open_every_change_form(client, jw, pm, model, attr):
    client.force_login(pm)
    assert client.get(change(model, getattr(jw, attr).pk)).status_code == 200


def test_staff_see_only_the_projects_they_take_part_in(client, jw, staff_alice, institute_c):
    hidden = ProjectFactory(title="Someone else's project")
    ParticipationFactory(project=hidden, institute=institute_c, role=Participation.Role.LEAD)
    client.force_login(staff_alice)
    response = client.get(changelist("evaluationproject"))
    assert list(response.context["cl"].result_list) == [jw.project]
    assert client.get(change("evaluationproject", hidden.pk)).status_code == 302  # "not found"


def test_programme_managers_see_every_project(client, jw, pm, institute_c):
    hidden = ProjectFactory(title="Someone else's project")
    ParticipationFactory(project=hidden, institute=institute_c, role=Participation.Role.LEAD)
    client.force_login(pm)
    response = client.get(changelist("evaluationproject"))
    assert set(response.context["cl"].result_list) == {jw.project, hidden}


def test_status_changes_go_through_the_service_as_admin_actions(client, jw, pm):
    client.force_login(pm)
    url = changelist("evaluationproject")
    response = client.post(
        url, {"action": "mark_closed", "_selected_action": [jw.project.pk]}, follow=True
    )
    assert any("cannot become closed" in str(m) for m in response.context["messages"])
    jw.project.refresh_from_db()
    assert jw.project.status == "proposed"
    client.post(url, {"action": "mark_active", "_selected_action": [jw.project.pk]})
    jw.project.refresh_from_db()
    assert jw.project.status == "active"


def test_the_status_field_is_read_only_in_the_change_form(client, jw, pm):
    client.force_login(pm)
    response = change_post(
        client,
        "evaluationproject",
        jw.project.pk,
        {"title": "Renamed in admin", "description": "", "status": "closed"},
    )
    assert response.status_code == 302
    jw.project.refresh_from_db()
    assert (jw.project.title, jw.project.status) == ("Renamed in admin", "proposed")


def test_adding_a_project_in_the_admin_leads_to_the_page_form(client, pm):
    client.force_login(pm)
    response = client.get(reverse("admin:evaluations_evaluationproject_add"))
    assert response["Location"] == reverse("projects:create")


def test_finding_transitions_in_the_admin_follow_the_workflow(client, jw, pm):
    client.force_login(pm)
    url = changelist("finding")
    response = client.post(
        url, {"action": "mark_published", "_selected_action": [jw.finding.pk]}, follow=True
    )
    assert any("cannot become published" in str(m) for m in response.context["messages"])
    client.post(url, {"action": "mark_agreed", "_selected_action": [jw.finding.pk]})
    assert Finding.objects.get(pk=jw.finding.pk).status == "agreed"


def test_a_published_finding_edit_is_a_form_error_not_a_500(client, jw, alice, pm):
    jw.project.developer_response_days = 0  # no response window: publish at once
    jw.project.save(update_fields=["developer_response_days"])
    for status in ("agreed", "shared_with_developer", "published"):
        findings.finding_transition(user=alice, finding=jw.finding, status=status)
    client.force_login(pm)
    response = client.post(
        change("finding", jw.finding.pk),
        {"title": "Rewritten", "severity": "low", "body": "", "workstream": ""},
    )
    assert response.status_code == 200
    assert "A published finding cannot be changed." in response.text
    assert Finding.objects.get(pk=jw.finding.pk).title == "Solves hard CTFs"


def test_embargoed_findings_stay_out_of_a_programme_managers_admin(client, jw, alice, pm):
    projects.project_update(
        user=alice, project=jw.project, embargo_until=timezone.now() + timedelta(days=9)
    )
    client.force_login(pm)
    assert list(client.get(changelist("finding")).context["cl"].result_list) == []


def test_a_draft_version_is_edited_through_the_service_and_a_submitted_one_is_frozen(
    client, jw, pm
):
    client.force_login(pm)
    response = change_post(
        client,
        "guidelineversion",
        jw.draft.pk,
        {"body_markdown": "# Edited", "change_summary": "x"},
    )
    assert response.status_code == 302
    assert GuidelineVersion.objects.get(pk=jw.draft.pk).body_markdown == "# Edited"
    change_post(client, "guidelineversion", jw.v2.pk, {"body_markdown": "# Sneaky"})
    assert GuidelineVersion.objects.get(pk=jw.v2.pk).body_markdown != "# Sneaky"


def test_submitting_drafts_is_an_admin_action(client, jw, pm):
    client.force_login(pm)
    client.post(
        changelist("guidelineversion"),
        {"action": "submit_for_review", "_selected_action": [jw.draft.pk]},
    )
    assert GuidelineVersion.objects.get(pk=jw.draft.pk).status == "in_review"


def test_an_ai_system_with_a_key_instead_of_a_variable_name_is_a_form_error(client, pm):
    client.force_login(pm)
    response = client.post(
        reverse("admin:evaluations_aisystem_add"),
        {
            "developer": "Lab",
            "name": "M",
            "version": "",
            "kind": "model",
            "description": "",
            "inspect_model": "nomodel",
            "base_url": "",
            "api_key_env": "",
        },
    )
    assert response.status_code == 200
    assert "provider/model" in response.text
