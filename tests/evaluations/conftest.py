"""Fixtures of the evaluations tests: a joint project `joint` between institutes A (lead) and B,
with a target system under an open access window, a reference system without any window, and the
shipped knowledge-QA task. People come from tests/conftest.py: alice (lead at A), bob (evaluator
at A), vera (viewer at A), charlie (outsider at C), pm."""

from __future__ import annotations

import pytest

from evaluations.models import EvaluationTask, Participation
from evaluations.services.tasks import task_builtin_upsert
from tests.evaluations.factories import (
    AccessWindowFactory,
    AISystemFactory,
    ParticipationFactory,
    ProjectFactory,
    ProjectSystemFactory,
)


@pytest.fixture
def project(institute_a, institute_b):
    project = ProjectFactory(slug="joint", title="Joint test")
    ParticipationFactory(project=project, institute=institute_a, role=Participation.Role.LEAD)
    ParticipationFactory(project=project, institute=institute_b)
    return project


@pytest.fixture
def target_system(project):
    system = AISystemFactory(developer="Lab", name="Frontier", inspect_model="mockllm/model")
    ProjectSystemFactory(project=project, system=system)
    AccessWindowFactory(project=project, system=system)
    return system


@pytest.fixture
def reference_system(project):
    system = AISystemFactory(developer="Lab", name="Reference", inspect_model="mockllm/ref")
    ProjectSystemFactory(project=project, system=system, is_reference=True)
    return system


@pytest.fixture
def qa_task(db):
    # The data migration wrote it, but transactional tests flush tables between tests.
    task_builtin_upsert()
    return EvaluationTask.objects.get(slug="concord-knowledge-qa")
