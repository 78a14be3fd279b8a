from django.utils import timezone

from evaluations.models import EvaluationProject, GuidelineVersion
from evaluations.seed import PROJECT_SLUG, seed_evaluations
from institutes import access
from institutes.seed import seed_institutes


def test_the_demo_has_a_realistic_joint_project(db):
    people = seed_institutes()
    seed_evaluations(people, with_runs=False)
    seed_evaluations(people, with_runs=False)  # a second run adds nothing
    project = EvaluationProject.objects.get(slug=PROJECT_SLUG)
    assert project.title == "Pre-deployment evaluation of Frontier-1"
    assert set(project.participations.values_list("institute__code", "role")) == {
        ("uk-aisi", "lead"),
        ("us-caisi", "partner"),
    }
    links = list(project.project_systems.select_related("system"))
    targets = [link.system for link in links if not link.is_reference]
    assert len(targets) == 1
    assert targets[0].inspect_model == "concord-demo/strong"
    assert sum(link.is_reference for link in links) == 2
    leads = dict(project.workstreams.values_list("domain__slug", "lead_institute__code"))
    assert leads == {"cyber": "uk-aisi", "biological": "us-caisi"}
    window = project.access_windows.get()
    assert window.system == targets[0]
    assert window.is_open()
    assert 18 <= (window.ends_at - timezone.now()).days <= 21
    statuses = dict(
        GuidelineVersion.objects.filter(guideline__code="agentic-cyber-protocol").values_list(
            "number", "status"
        )
    )
    assert statuses == {1: "approved", 2: "draft"}
    assert project.adoptions.get().version.number == 1
    assert project.findings.count() == 2
    alice, pm = people.users["alice"], people.users["pm"]
    assert access.can_manage(alice, project)
    assert access.can_see_results(pm, project)
    assert not access.can_view(people.users["kenji"], project)
