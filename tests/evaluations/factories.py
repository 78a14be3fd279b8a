"""Factories for projects, systems and guidelines, and `joint_world`: one realistic joint project
built through the services (so it obeys their rules), shared by page and permission tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import factory
from django.utils import timezone

from evaluations.models import (
    AccessWindow,
    AISystem,
    Domain,
    EvaluationProject,
    Finding,
    Guideline,
    GuidelineVersion,
    Participation,
    ProjectSystem,
    Workstream,
)
from evaluations.services import findings, guidelines, projects
from institutes.models import Institute, Role, User
from tests.factories import InstituteFactory, member


class AISystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AISystem

    developer = "Lab"
    name = factory.Sequence(lambda n: f"Model-{n}")
    version = "1"
    inspect_model = "mockllm/model"


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EvaluationProject

    slug = factory.Sequence(lambda n: f"project-{n}")
    title = factory.Sequence(lambda n: f"Project {n}")
    status = EvaluationProject.Status.ACTIVE


class ParticipationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participation

    project = factory.SubFactory(ProjectFactory)
    institute = factory.SubFactory(InstituteFactory)
    role = Participation.Role.LEAD


class ProjectSystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectSystem

    project = factory.SubFactory(ProjectFactory)
    system = factory.SubFactory(AISystemFactory)
    is_reference = False


class AccessWindowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccessWindow

    project = factory.SubFactory(ProjectFactory)
    system = factory.SubFactory(AISystemFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=10))


class FindingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Finding

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Finding {n}")
    body = "Some **markdown**."


def big_project(institute: Institute, *, n: int, members: list[User]) -> EvaluationProject:
    """A project with n systems, windows and findings and every domain as a workstream."""
    project = ProjectFactory()
    ParticipationFactory(project=project, institute=institute)
    for i in range(n):
        link = ProjectSystemFactory(project=project, is_reference=bool(i % 2))
        AccessWindowFactory(project=project, system=link.system)
        FindingFactory(project=project)
    for domain in Domain.objects.all():
        ws = Workstream.objects.create(project=project, domain=domain, lead_institute=institute)
        ws.members.set(members)
    return project


@dataclass
class JointWorld:
    """Institute A (alice lead, bob evaluator, vera viewer) leads the project; B (carol lead)
    takes part; C (charlie) does not. Guideline `bio-protocol`: v1 approved and adopted, v2 in
    review (B has signed, A has not), v3 draft. Guideline `cyber-protocol` (A signs alone):
    v1 approved, not adopted by the project (`adoptable`)."""

    project: EvaluationProject
    target: AISystem
    reference: AISystem
    spare_system: AISystem
    window: AccessWindow
    workstream: Workstream
    finding: Finding
    guideline: Guideline
    v1: GuidelineVersion
    v2: GuidelineVersion
    v3: GuidelineVersion
    adoptable: GuidelineVersion
    carol: User


def joint_world(*, alice, pm, institute_a, institute_b, institute_c=None) -> JointWorld:
    carol = member("carol", institute_b, Role.LEAD)
    project = projects.project_create(
        user=alice,
        title="Pre-deployment evaluation of Frontier-1",
        slug="frontier",
        lead_institute=institute_a,
        description="Joint testing.",
    )
    projects.participation_add(user=pm, project=project, institute=institute_b)
    target = projects.system_create(
        user=alice, developer="Lab", name="Frontier-1", inspect_model="mockllm/model"
    )
    reference = projects.system_create(
        user=alice, developer="Lab", name="Frontier-0", inspect_model="mockllm/model"
    )
    spare = projects.system_create(
        user=alice, developer="Other Lab", name="Spare", inspect_model="mockllm/model"
    )
    projects.project_system_add(user=alice, project=project, system=target)
    projects.project_system_add(user=alice, project=project, system=reference, is_reference=True)
    now = timezone.now()
    window = projects.access_window_create(
        user=alice,
        project=project,
        system=target,
        starts_at=now - timedelta(days=2),
        ends_at=now + timedelta(days=19, hours=1),
    )
    workstream = projects.workstream_create(
        user=alice,
        project=project,
        domain=Domain.objects.get(slug="cyber"),
        lead_institute=institute_a,
        members=User.objects.filter(username__in=["bob"]),
    )
    finding = findings.finding_create(
        user=alice, project=project, title="Solves hard CTFs", workstream=workstream
    )
    guideline = guidelines.guideline_create(
        user=alice,
        code="bio-protocol",
        title="Bio protocol",
        owner_institute=institute_a,
        required_institutes=[institute_a, institute_b],
    )
    v1 = guidelines.guideline_version_create(
        user=alice, guideline=guideline, body_markdown="# Protocol\n\nRun 5 epochs.\n"
    )
    guidelines.guideline_version_submit(user=alice, version=v1)
    guidelines.guideline_version_approve(user=alice, version=v1, institute=institute_a)
    v1 = guidelines.guideline_version_approve(user=carol, version=v1, institute=institute_b)
    guidelines.project_adopt_guideline(user=alice, project=project, version=v1)
    v2 = guidelines.guideline_version_create(
        user=alice, guideline=guideline, body_markdown="# Protocol\n\nRun 10 epochs.\n"
    )
    v2 = guidelines.guideline_version_submit(user=alice, version=v2)
    guidelines.guideline_version_approve(user=carol, version=v2, institute=institute_b)
    v3 = guidelines.guideline_version_create(
        user=alice, guideline=guideline, body_markdown="# Protocol\n\nRun 20 epochs.\n"
    )
    other = guidelines.guideline_create(
        user=alice,
        code="cyber-protocol",
        title="Cyber protocol",
        owner_institute=institute_a,
        required_institutes=[institute_a],
    )
    other_v1 = guidelines.guideline_version_create(
        user=alice, guideline=other, body_markdown="Solve CTFs."
    )
    guidelines.guideline_version_submit(user=alice, version=other_v1)
    other_v1 = guidelines.guideline_version_approve(
        user=alice, version=other_v1, institute=institute_a
    )
    return JointWorld(
        project=project,
        target=target,
        reference=reference,
        spare_system=spare,
        window=window,
        workstream=workstream,
        finding=finding,
        guideline=guideline,
        v1=v1,
        v2=v2,
        v3=v3,
        adoptable=other_v1,
        carol=carol,
    )
