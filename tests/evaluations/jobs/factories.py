"""Factories for projects, systems, jobs and results used by the jobs and results tests."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from evaluations.models import (
    AccessWindow,
    AISystem,
    EvaluationJob,
    EvaluationProject,
    EvaluationRun,
    EvaluationTask,
    Participation,
    ProjectSystem,
    RunScore,
    SampleResult,
)
from tests.factories import InstituteFactory


class AISystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AISystem

    developer = "Example Lab"
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

    project = factory.SubFactory(ProjectFactory)
    institute = factory.SubFactory(InstituteFactory)
    role = Participation.Role.PARTNER


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
    ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EvaluationTask

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

    project = factory.SubFactory(ProjectFactory)
    task = factory.SubFactory(TaskFactory)
    system = factory.SubFactory(AISystemFactory)
    institute = factory.SubFactory(InstituteFactory)
    inspect_eval_id = factory.Sequence(lambda n: f"eval-{n}")
    primary_scorer = "match"
    primary_metric = "accuracy"
    primary_value = 0.5
    primary_stderr = 0.1


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
