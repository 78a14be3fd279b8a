"""factory_boy factories for the evaluations app, and `joint_world`.

The factories write rows directly: use them to set up a state; use the services to test a
transition. `joint_world` builds one realistic joint project through the services (so it obeys
their rules), shared by page and permission tests.

Defaults: a project is active; a participation is a PARTNER (pass ``role=Participation.Role.LEAD``
for a lead); a run is a finished SUCCESS without a headline score (``scored=True`` gives it one:
match/accuracy 0.5 +- 0.1), and its institute takes part in its project (a Participation is
created if missing; pass ``participation=False`` to skip). For results in the database:

    run = RunFactory(project=project, institute=institute_a)
    add_samples(run, {"1": 1.0, "2": [1.0, 0.0]})      # sample "2" with two epochs
    add_samples(run, [1, 0, 1])                          # samples "1", "2", "3", one epoch each

``add_samples`` writes rows with one ``bulk_create``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

import factory
from django.utils import timezone

from evaluations.models import (
    AccessWindow,
    AISystem,
    Domain,
    EvaluationJob,
    EvaluationProject,
    EvaluationRun,
    EvaluationTask,
    Finding,
    Guideline,
    GuidelineVersion,
    Participation,
    ProjectSystem,
    ReviewLabel,
    RunScore,
    SampleResult,
    SampleReview,
    Workstream,
)
from evaluations.services import findings, guidelines, projects
from institutes.models import Institute, Role, User
from tests.factories import InstituteFactory, UserFactory, member


class AISystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AISystem

    developer = "Lab"
    name = factory.Sequence(lambda n: f"Model {n}")
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
        django_get_or_create = ("project", "institute")

    project = factory.SubFactory(ProjectFactory)
    institute = factory.SubFactory(InstituteFactory)
    role = Participation.Role.PARTNER


class ProjectSystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectSystem
        django_get_or_create = ("project", "system")

    project = factory.SubFactory(ProjectFactory)
    system = factory.SubFactory(AISystemFactory)
    is_reference = False


class AccessWindowFactory(factory.django.DjangoModelFactory):
    """Open now: from yesterday for ten days."""

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


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EvaluationTask
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"task-{n}")
    name = factory.Sequence(lambda n: f"Task {n}")
    inspect_ref = "evaluations.suites.knowledge_qa:concord_knowledge_qa"


class JobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EvaluationJob

    project = factory.SubFactory(ProjectFactory)
    task = factory.SubFactory(TaskFactory)
    system = factory.SubFactory(AISystemFactory)
    institute = factory.SubFactory(InstituteFactory)
    params = factory.LazyFunction(dict)


class RunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EvaluationRun
        skip_postgeneration_save = True

    class Params:
        scored = factory.Trait(
            primary_scorer="match", primary_metric="accuracy", primary_value=0.5, primary_stderr=0.1
        )

    project = factory.SubFactory(ProjectFactory)
    task = factory.SubFactory(TaskFactory)
    system = factory.SubFactory(AISystemFactory)
    institute = factory.SubFactory(InstituteFactory)
    inspect_eval_id = factory.Sequence(lambda n: f"eval-{n:06d}")
    status = EvaluationRun.Status.SUCCESS
    started_at = factory.LazyFunction(timezone.now)
    completed_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def participation(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            ParticipationFactory(project=obj.project, institute=obj.institute)


class RunScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RunScore

    run = factory.SubFactory(RunFactory)
    scorer = "match"
    metric = "accuracy"
    value = 0.5
    stderr = 0.1


class SampleResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SampleResult

    run = factory.SubFactory(RunFactory)
    sample_id = factory.Sequence(lambda n: f"s{n:04d}")
    epoch = 1
    score = 1.0
    input = "question"
    target = "answer"
    output = "ANSWER: answer"


class ReviewLabelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewLabel
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"label-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").capitalize())


class SampleReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SampleReview

    sample = factory.SubFactory(SampleResultFactory)
    reviewer = factory.SubFactory(UserFactory)
    label = factory.SubFactory(ReviewLabelFactory)
    manual_score = None


Scores = Mapping[str, float | Sequence[float | None] | None] | Sequence[float | None]


def add_samples(run: EvaluationRun, scores: Scores, **fields) -> list[SampleResult]:
    """Write a run's sample rows in one query.

    ``scores`` maps sample id to a score (epoch 1) or a list of scores (epochs 1, 2, ...); a plain
    list gives samples "1", "2", ... with one epoch. ``fields`` go to every row (e.g. input=...).
    """
    items = scores.items() if isinstance(scores, Mapping) else enumerate(scores, start=1)
    rows = []
    for sample_id, value in items:
        per_epoch = value if isinstance(value, (list, tuple)) else [value]
        for epoch, score in enumerate(per_epoch, start=1):
            rows.append(
                SampleResult(run=run, sample_id=str(sample_id), epoch=epoch, score=score, **fields)
            )
    return SampleResult.objects.bulk_create(rows)


def big_project(institute: Institute, *, n: int, members: list[User]) -> EvaluationProject:
    """A project with n systems, windows and findings and every domain as a workstream."""
    project = ProjectFactory()
    ParticipationFactory(project=project, institute=institute, role=Participation.Role.LEAD)
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
    review (B has signed, A has not). Guideline `cyber-protocol` (A and B sign too): v1 approved,
    not adopted by the project (`adoptable`), v2 a draft (`draft`). A guideline has at most one
    open version, so the draft and the version in review belong to different guidelines."""

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
    adoptable: GuidelineVersion
    draft: GuidelineVersion
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
    other = guidelines.guideline_create(
        user=alice,
        code="cyber-protocol",
        title="Cyber protocol",
        owner_institute=institute_a,
        required_institutes=[institute_a, institute_b],
    )
    other_v1 = guidelines.guideline_version_create(
        user=alice, guideline=other, body_markdown="Solve CTFs."
    )
    guidelines.guideline_version_submit(user=alice, version=other_v1)
    guidelines.guideline_version_approve(user=alice, version=other_v1, institute=institute_a)
    other_v1 = guidelines.guideline_version_approve(
        user=carol, version=other_v1, institute=institute_b
    )
    draft = guidelines.guideline_version_create(
        user=alice, guideline=other, body_markdown="Solve CTFs.\n\nWithin 20 minutes.\n"
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
        adoptable=other_v1,
        draft=draft,
        carol=carol,
    )
