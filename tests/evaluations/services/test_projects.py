from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from evaluations.models import AISystem, Domain, EvaluationProject, Finding, Participation
from evaluations.services import findings, guidelines, projects
from institutes import access
from institutes.models import Role
from tests.factories import member


@pytest.fixture
def system(alice):
    return projects.system_create(
        user=alice, developer="Lab", name="Frontier", version="1", inspect_model="mockllm/model"
    )


@pytest.fixture
def project(alice, institute_a):
    return projects.project_create(user=alice, title="Joint test", lead_institute=institute_a)


def test_a_lead_opens_a_project_for_their_institute(project, alice, institute_a):
    assert project.slug == "joint-test"
    assert project.participations.get().role == Participation.Role.LEAD
    assert access.can_manage(alice, project)


def test_a_lead_cannot_open_a_project_for_an_institute_they_do_not_lead(alice, institute_b):
    with pytest.raises(PermissionDenied, match="do not lead Institute B"):
        projects.project_create(user=alice, title="X", lead_institute=institute_b)
    assert not EvaluationProject.objects.exists()


def test_an_evaluator_cannot_open_a_project(bob, institute_a):
    with pytest.raises(PermissionDenied):
        projects.project_create(user=bob, title="X", lead_institute=institute_a)


def test_a_lead_cannot_add_an_institute_they_do_not_lead(project, alice, institute_b):
    with pytest.raises(ValidationError, match="Only a lead of Institute B"):
        projects.participation_add(user=alice, project=project, institute=institute_b)


def test_a_programme_manager_adds_any_institute(project, pm, institute_b):
    projects.participation_add(user=pm, project=project, institute=institute_b)
    assert project.institutes.count() == 2


def test_the_last_lead_institute_cannot_be_removed(project, alice, institute_a):
    with pytest.raises(ValidationError, match="at least one lead institute"):
        projects.participation_remove(user=alice, project=project, institute=institute_a)


def test_project_status_follows_its_workflow(project, alice):
    with pytest.raises(ValidationError, match="proposed project cannot become closed"):
        projects.project_transition(user=alice, project=project, status="closed")
    for status in ("active", "reporting", "closed"):
        projects.project_transition(user=alice, project=project, status=status)
    project.refresh_from_db()
    assert project.status == "closed"


def test_a_project_with_unfinished_findings_cannot_close(project, alice):
    for status in ("active", "reporting"):
        projects.project_transition(user=alice, project=project, status=status)
    finding = findings.finding_create(user=alice, project=project, title="Uplift in cyber")
    with pytest.raises(ValidationError, match="1 unfinished finding"):
        projects.project_transition(user=alice, project=project, status="closed")
    for status in ("agreed", "shared_with_developer"):
        findings.finding_transition(user=alice, finding=finding, status=status)
    projects.project_transition(user=alice, project=project, status="closed")


def test_an_access_window_must_end_after_it_starts(project, alice, system):
    projects.project_system_add(user=alice, project=project, system=system)
    now = timezone.now()
    with pytest.raises(ValidationError, match="must end after it starts"):
        projects.access_window_create(
            user=alice,
            project=project,
            system=system,
            starts_at=now,
            ends_at=now - timedelta(days=1),
        )


def test_access_windows_of_one_system_do_not_overlap(project, alice, system):
    projects.project_system_add(user=alice, project=project, system=system)
    now = timezone.now()
    projects.access_window_create(
        user=alice, project=project, system=system, starts_at=now, ends_at=now + timedelta(days=10)
    )
    with pytest.raises(ValidationError, match="overlaps"):
        projects.access_window_create(
            user=alice,
            project=project,
            system=system,
            starts_at=now + timedelta(days=5),
            ends_at=now + timedelta(days=20),
        )


def test_an_access_window_needs_the_system_in_the_project(project, alice, system):
    now = timezone.now()
    with pytest.raises(ValidationError, match="not in this project"):
        projects.access_window_create(
            user=alice,
            project=project,
            system=system,
            starts_at=now,
            ends_at=now + timedelta(days=1),
        )


def test_workstream_members_must_be_staff_of_participating_institutes(
    project, alice, bob, charlie, institute_a
):
    cyber = Domain.objects.get(slug="cyber")
    with pytest.raises(ValidationError, match="charlie"):
        projects.workstream_create(
            user=alice,
            project=project,
            domain=cyber,
            lead_institute=institute_a,
            members=[bob, charlie],
        )
    ws = projects.workstream_create(
        user=alice, project=project, domain=cyber, lead_institute=institute_a, members=[bob]
    )
    assert list(ws.members.all()) == [bob]
    with pytest.raises(ValidationError, match="already has a Cyber workstream"):
        projects.workstream_create(
            user=alice, project=project, domain=cyber, lead_institute=institute_a
        )


def test_system_keeps_only_the_name_of_its_key_variable(alice):
    with pytest.raises(ValidationError):
        projects.system_create(
            user=alice,
            developer="Lab",
            name="M",
            inspect_model="openai-api/lab/m",
            base_url="http://127.0.0.1:9/v1",
            api_key_env="sk-live-123",
        )
    system = projects.system_create(
        user=alice,
        developer="Lab",
        name="M",
        inspect_model="openai-api/lab/m",
        base_url="http://127.0.0.1:9/v1",
        api_key_env="LAB_API_KEY",
    )
    assert AISystem.objects.get(pk=system.pk).api_key_env == "LAB_API_KEY"


def test_viewers_do_not_act_and_evaluators_do_not_manage(project, institute_a):
    viewer = member("vee", institute_a, Role.VIEWER)
    evaluator = member("eve", institute_a, Role.EVALUATOR)
    with pytest.raises(PermissionDenied):
        findings.finding_create(user=viewer, project=project, title="x")
    finding = findings.finding_create(user=evaluator, project=project, title="x")
    with pytest.raises(PermissionDenied):
        findings.finding_transition(user=evaluator, finding=finding, status="agreed")


def test_finding_status_moves_forward_only(project, alice):
    finding = findings.finding_create(user=alice, project=project, title="x")
    with pytest.raises(ValidationError, match="cannot become published"):
        findings.finding_transition(user=alice, finding=finding, status="published")
    assert Finding.objects.get().status == "draft"


@pytest.fixture
def guideline(alice, institute_a, institute_b):
    return guidelines.guideline_create(
        user=alice,
        code="bio-uplift",
        title="Bio uplift protocol",
        owner_institute=institute_a,
        required_institutes=[institute_a, institute_b],
    )


def test_a_version_is_approved_when_every_required_institute_has_signed(
    guideline, alice, institute_a, institute_b
):
    carol = member("carol", institute_b, Role.LEAD)
    v1 = guidelines.guideline_version_create(user=alice, guideline=guideline, body_markdown="# v1")
    guidelines.guideline_version_submit(user=alice, version=v1)
    v1 = guidelines.guideline_version_approve(user=alice, version=v1, institute=institute_a)
    assert v1.status == "in_review"
    with pytest.raises(ValidationError, match="already approved"):
        guidelines.guideline_version_approve(user=alice, version=v1, institute=institute_a)
    with pytest.raises(PermissionDenied, match="Only a lead of Institute B"):
        guidelines.guideline_version_approve(user=alice, version=v1, institute=institute_b)
    v1 = guidelines.guideline_version_approve(user=carol, version=v1, institute=institute_b)
    assert v1.status == "approved"

    v2 = guidelines.guideline_version_create(user=alice, guideline=guideline, body_markdown="# v2")
    assert v2.number == 2
    guidelines.guideline_version_submit(user=alice, version=v2)
    guidelines.guideline_version_approve(user=alice, version=v2, institute=institute_a)
    guidelines.guideline_version_approve(user=carol, version=v2, institute=institute_b)
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v2.status) == ("superseded", "approved")


def test_a_draft_cannot_be_approved(guideline, alice, institute_a):
    v1 = guidelines.guideline_version_create(user=alice, guideline=guideline, body_markdown="text")
    with pytest.raises(ValidationError, match="Only a version in review"):
        guidelines.guideline_version_approve(user=alice, version=v1, institute=institute_a)


def test_only_approved_versions_are_adopted(guideline, alice, project):
    v1 = guidelines.guideline_version_create(user=alice, guideline=guideline, body_markdown="text")
    with pytest.raises(ValidationError, match="Only an approved"):
        guidelines.project_adopt_guideline(user=alice, project=project, version=v1)


def test_outsiders_do_not_see_the_project(project, charlie, pm):
    assert not access.visible_projects(charlie).exists()
    assert access.visible_projects(pm).get() == project


def test_registering_a_system_for_a_project_adds_both_or_neither(project, alice, bob, system):
    link = projects.project_system_register(
        user=alice,
        project=project,
        is_reference=True,
        developer="Lab",
        name="Reference",
        inspect_model="mockllm/model",
    )
    assert (link.system.name, link.is_reference) == ("Reference", True)
    with pytest.raises(ValidationError, match="already exists"):
        projects.project_system_register(
            user=alice, project=project, developer="Lab", name="Frontier", version="1",
            inspect_model="mockllm/model",
        )  # fmt: skip
    assert project.project_systems.count() == 1
    with pytest.raises(PermissionDenied):
        projects.project_system_register(
            user=bob, project=project, developer="Lab", name="Sneaky", inspect_model="mockllm/model"
        )
    assert not AISystem.objects.filter(name="Sneaky").exists()


def test_addresses_the_pages_use_are_reserved(alice, institute_a):
    with pytest.raises(ValidationError, match="reserved"):
        projects.project_create(user=alice, title="New", lead_institute=institute_a)
    with pytest.raises(ValidationError, match="reserved"):
        guidelines.guideline_create(
            user=alice,
            code="new",
            title="New",
            owner_institute=institute_a,
            required_institutes=[institute_a],
        )


def test_a_key_in_place_of_its_variable_name_is_refused_on_that_field(alice):
    with pytest.raises(ValidationError) as exc:
        projects.system_create(
            user=alice,
            developer="Lab",
            name="M",
            inspect_model="openai-api/lab/m",
            base_url="http://127.0.0.1:9/v1",
            api_key_env="sk-live-123",
        )
    assert "never the key itself" in exc.value.message_dict["api_key_env"][0]
    assert not AISystem.objects.exists()
