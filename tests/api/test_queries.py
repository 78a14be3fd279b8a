"""List endpoints run a bounded number of queries, however many rows they return."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from evaluations.models import Domain
from evaluations.services import findings, guidelines, projects
from institutes.models import Role
from tests.api_clients import bearer
from tests.factories import InstituteFactory, member


def grow(alice, institute_a, pm, start: int, n: int) -> None:
    """n more projects, each with a partner, two systems, a window, a workstream and findings;
    n more guidelines with two versions; n more institutes with staff."""
    cyber = Domain.objects.get(slug="cyber")
    for i in range(start, start + n):
        partner = InstituteFactory(code=f"grow-{i}", name=f"Grown {i}")
        member(f"staff{i}", partner, Role.EVALUATOR)
        member(f"alicelead{i}", partner, Role.LEAD)
        p = projects.project_create(
            user=alice, title=f"Grown study {i}", lead_institute=institute_a
        )
        projects.participation_add(user=pm, project=p, institute=partner)
        for v in ("a", "b"):
            s = projects.system_create(
                user=alice, developer="Lab", name=f"M{i}", version=v, inspect_model="mockllm/m"
            )
            projects.project_system_add(user=alice, project=p, system=s, is_reference=v == "b")
        now = timezone.now()
        projects.access_window_create(
            user=alice, project=p, system=s, starts_at=now, ends_at=now + timedelta(days=3)
        )
        projects.workstream_create(user=alice, project=p, domain=cyber, lead_institute=institute_a)
        for title in ("One", "Two"):
            findings.finding_create(user=alice, project=p, title=f"{title} {i}")
        g = guidelines.guideline_create(
            user=alice,
            code=f"grown-{i}",
            title=f"Grown {i}",
            owner_institute=institute_a,
            required_institutes=[institute_a, partner],
        )
        for body in ("v1", "v2"):  # v1 approved, v2 a draft: one version open at a time
            version = guidelines.guideline_version_create(
                user=alice, guideline=g, body_markdown=body
            )
            if body == "v1":
                guidelines.guideline_version_submit(user=alice, version=version)
                version.status = "approved"  # the signatures are not what this test counts
                version.save(update_fields=["status"])


LISTS = [
    "/api/v1/projects/",
    "/api/v1/systems/",
    "/api/v1/guidelines/",
    "/api/v1/findings/",
    "/api/v1/institutes/",
    "/api/v1/projects/?status=proposed&institute=inst-a&domain=cyber&search=study",
    "/api/v1/findings/?status=draft&severity=medium&ordering=-created_at",
]


@pytest.mark.parametrize("path", LISTS)
def test_list_endpoints_run_a_bounded_number_of_queries(
    path, alice, institute_a, pm, django_assert_max_num_queries
):
    client = bearer(alice)
    grow(alice, institute_a, pm, 0, 2)
    with django_assert_max_num_queries(14) as small:
        assert client.get(path).status_code == 200
    grow(alice, institute_a, pm, 2, 8)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(path)
    assert response.status_code == 200
    assert response.json()["count"] >= 2


def test_project_detail_runs_a_bounded_number_of_queries(
    alice, institute_a, pm, django_assert_max_num_queries
):
    client = bearer(alice)
    grow(alice, institute_a, pm, 0, 1)
    slug = "grown-study-0"
    with django_assert_max_num_queries(16):
        assert client.get(f"/api/v1/projects/{slug}/").status_code == 200
