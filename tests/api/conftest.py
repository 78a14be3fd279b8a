"""Fixtures for the API tests: a joint project led by institute A (alice, bob, vera), with
institute B as partner (carol leads it); charlie (institute C) is the outsider; pm the programme
manager. Clients authenticate the way partner tools do, with bearer tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from evaluations.models import Domain
from evaluations.services import findings, guidelines, projects
from institutes.models import Role
from tests.factories import member


@pytest.fixture
def anonymous():
    return APIClient()


@pytest.fixture
def carol(institute_b):
    return member("carol", institute_b, Role.LEAD)


@pytest.fixture
def system(alice):
    return projects.system_create(
        user=alice, developer="Lab", name="Frontier", version="2", inspect_model="mockllm/model"
    )


@pytest.fixture
def reference_system(alice):
    return projects.system_create(
        user=alice, developer="Lab", name="Frontier", version="1", inspect_model="mockllm/model"
    )


@pytest.fixture
def project(alice, institute_a, pm, institute_b, carol, system, reference_system, bob):
    """A joint project of A (lead) and B (partner) with a target and a reference system, an
    access window, a cyber workstream led by A and a draft finding."""
    project = projects.project_create(
        user=alice, title="Frontier 2 pre-deployment", lead_institute=institute_a
    )
    projects.participation_add(user=pm, project=project, institute=institute_b)
    projects.project_system_add(user=alice, project=project, system=system)
    projects.project_system_add(
        user=alice, project=project, system=reference_system, is_reference=True
    )
    now = timezone.now()
    projects.access_window_create(
        user=alice,
        project=project,
        system=system,
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=20),
        terms="No public disclosure before release.",
    )
    projects.workstream_create(
        user=alice,
        project=project,
        domain=Domain.objects.get(slug="cyber"),
        lead_institute=institute_a,
        members=[bob],
    )
    findings.finding_create(user=bob, project=project, title="Uplift on CTF tasks")
    return project


@pytest.fixture
def guideline(alice, institute_a, institute_b):
    return guidelines.guideline_create(
        user=alice,
        code="cyber-ctf",
        title="Cyber CTF protocol",
        owner_institute=institute_a,
        required_institutes=[institute_a, institute_b],
        domain=Domain.objects.get(slug="cyber"),
    )


@pytest.fixture
def approved_version(guideline, alice, carol, institute_a, institute_b):
    version = guidelines.guideline_version_create(
        user=alice, guideline=guideline, body_markdown="# Protocol\nRun every task 3 epochs."
    )
    guidelines.guideline_version_submit(user=alice, version=version)
    guidelines.guideline_version_approve(user=alice, version=version, institute=institute_a)
    return guidelines.guideline_version_approve(user=carol, version=version, institute=institute_b)
