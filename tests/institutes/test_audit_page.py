"""A project's audit trail reads in words: who did what to which object, never table names or a
row's raw columns; the objects are fetched in bulk (bounded queries)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from evaluations.models import EvaluationTask
from evaluations.services import findings, guidelines, jobs
from institutes import audit
from institutes.models import AuditEvent
from tests.evaluations.factories import joint_world

pytestmark = pytest.mark.django_db


def as_user(user):
    return audit.acting_as(actor_id=user.pk, actor_kind="user", source="test")


@pytest.fixture
def world(alice, bob, pm, institute_a, institute_b, django_capture_on_commit_callbacks):
    alice.first_name, bob.first_name = "Alice", "Bob"
    alice.save(update_fields=["first_name"])
    bob.save(update_fields=["first_name"])
    w = joint_world(alice=alice, pm=pm, institute_a=institute_a, institute_b=institute_b)
    w.carol.first_name = "Carol"
    w.carol.save(update_fields=["first_name"])
    return w


def trail(client, user, project, **params):
    client.force_login(user)
    response = client.get(reverse("project_audit", kwargs={"slug": project.slug}), params)
    assert response.status_code == 200
    return response.content.decode()


def test_the_trail_reads_in_words(client, world, alice, bob, institute_a, institute_b):
    project = world.project
    with as_user(alice):
        findings.finding_transition(user=alice, finding=world.finding, status="agreed")
    task = EvaluationTask.objects.get(slug="concord-knowledge-qa")
    with as_user(bob):
        job = jobs.job_queue(
            project=project,
            task=task,
            system=world.target,
            institute=institute_a,
            requested_by=bob,
            params={"limit": 2},
        )
    carol = world.carol
    with as_user(carol):
        guideline = guidelines.guideline_create(
            user=carol,
            code="agentic-cyber-protocol",
            title="Agentic cyber protocol",
            owner_institute=institute_b,
            required_institutes=[institute_b],
        )
        v1 = guidelines.guideline_version_create(user=carol, guideline=guideline, body_markdown="x")
        v1 = guidelines.guideline_version_submit(user=carol, version=v1)
        v1 = guidelines.guideline_version_approve(user=carol, version=v1, institute=institute_b)
    with as_user(alice):
        guidelines.project_adopt_guideline(user=alice, project=project, version=v1)
    body = trail(client, alice, project)
    assert "<strong>Alice</strong> agreed the finding &#x27;Solves hard CTFs&#x27;" in body
    assert f"<strong>Bob</strong> queued job {job.pk} ({task} on {world.target})" in body
    # The history of the guideline version the project adopted is part of its trail.
    assert "<strong>Carol</strong> approved v1 of agentic-cyber-protocol" in body
    assert "<strong>Carol</strong> signed v1 of agentic-cyber-protocol for Institute B" in body
    assert "<strong>Alice</strong> adopted v1 of agentic-cyber-protocol for the project" in body
    assert "status: Draft → Agreed" in body
    # Never a table name, never a row's raw columns.
    assert "evaluations_" not in body
    assert "institutes_" not in body
    assert "{&#x27;" not in body
    assert "{'" not in body


def test_deleted_rows_and_security_events_are_named(client, world, alice):
    project = world.project
    with as_user(alice):
        doomed = findings.finding_create(user=alice, project=project, title="A passing thought")
        doomed.delete()
    audit.record("export", user=alice, project_id=project.pk, what="score_table", format="csv")
    body = trail(client, alice, project)
    assert "<strong>Alice</strong> deleted the finding &#x27;A passing thought&#x27;" in body
    assert "<strong>Alice</strong> exported score table as CSV" in body


def test_worker_writes_name_the_job(client, world, alice, bob):
    with audit.acting_as(actor_id=bob.pk, actor_kind="worker", source="job 7"):
        findings.finding_update(user=alice, finding=world.finding, title="Solves CTFs")
    body = trail(client, alice, world.project)
    assert "<strong>Bob</strong> changed the finding &#x27;Solves CTFs&#x27;" in body
    assert "(worker, job 7)" in body


def test_the_trail_page_queries_do_not_grow_with_events(
    client, world, alice, django_assert_max_num_queries
):
    url = reverse("project_audit", kwargs={"slug": world.project.slug})
    client.force_login(alice)
    client.get(url)
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    baseline = len(few.captured_queries)
    with as_user(alice):
        for n in range(40):
            findings.finding_create(user=alice, project=world.project, title=f"Finding {n}")
    with django_assert_max_num_queries(baseline):
        body = client.get(url).content.decode()
    assert "drafted the finding &#x27;Finding 39&#x27;" in body


def test_the_project_page_links_to_the_trail_for_leads_only(client, world, alice, bob):
    url = reverse("project_audit", kwargs={"slug": world.project.slug})
    client.force_login(alice)
    assert (
        url
        in client.get(
            reverse("projects:detail", kwargs={"slug": world.project.slug})
        ).content.decode()
    )
    client.force_login(bob)
    assert (
        url
        not in client.get(
            reverse("projects:detail", kwargs={"slug": world.project.slug})
        ).content.decode()
    )
    assert AuditEvent.objects.exists()


def test_the_trail_page_names_systems_and_participants_without_a_query_each(
    client, world, alice, pm, institute_c, django_assert_max_num_queries
):
    from evaluations.services import projects
    from tests.evaluations.factories import AISystemFactory

    url = reverse("project_audit", kwargs={"slug": world.project.slug})
    client.force_login(alice)
    client.get(url)
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    baseline = len(few.captured_queries)
    with as_user(alice):
        for n in range(8):
            system = AISystemFactory(name=f"Extra {n}")
            projects.project_system_add(user=alice, project=world.project, system=system)
    with as_user(pm):
        projects.participation_add(user=pm, project=world.project, institute=institute_c)
    with django_assert_max_num_queries(baseline):
        body = client.get(url).content.decode()
    assert "Extra 7" in body
