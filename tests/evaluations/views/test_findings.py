"""The finding pages: evidence picked from the project's own runs, shown as links with the
finding's author and date; irreversible steps ask for confirmation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from evaluations.models import Finding, FindingEvidence
from evaluations.services import findings
from tests.evaluations.factories import RunFactory
from tests.evaluations.results_world import build_results_world


@pytest.fixture
def rw(alice, bob, vera, charlie, pm, institute_a, institute_b):
    return build_results_world(institute_a=institute_a, institute_b=institute_b)


def add_url(project) -> str:
    return reverse("projects:finding_add", kwargs={"slug": project.slug})


def sample_address(sample) -> str:
    return reverse("runs:sample_detail", kwargs={"run_id": sample.run_id, "sample_pk": sample.pk})


def test_the_form_offers_only_the_projects_own_runs(client, rw, bob, institute_a):
    stranger = RunFactory(institute=institute_a)
    client.force_login(bob)
    form = client.get(add_url(rw.project)).context["form"]
    offered = {run.pk for run in form.fields["evidence_runs"].queryset}
    assert rw.run_a.pk in offered
    assert stranger.pk not in offered
    pairs = dict(form.fields["evidence_comparisons"].choices)
    assert f"{rw.run_a.pk}-{rw.run_b.pk}" in pairs or f"{rw.run_b.pk}-{rw.run_a.pk}" in pairs
    assert not any(str(rw.run_cyber.pk) in key.split("-") for key in pairs)  # no partner


def test_an_evaluator_records_a_finding_with_evidence(client, rw, bob):
    sample = rw.run_a.samples.first()
    client.force_login(bob)
    form = client.get(add_url(rw.project)).context["form"]
    pair = next(key for key, _ in form.fields["evidence_comparisons"].choices)
    response = client.post(
        add_url(rw.project),
        {
            "title": "Refusals",
            "severity": "high",
            "evidence_runs": [rw.run_a.pk],
            "evidence_comparisons": [pair],
            "evidence_samples": f"http://testserver{sample_address(sample)}\n",
        },
    )
    assert response.status_code == 302
    finding = Finding.objects.get(title="Refusals")
    assert sorted(finding.evidence.values_list("kind", flat=True)) == [
        "comparison",
        "run",
        "sample",
    ]
    page = client.get(reverse("projects:detail", kwargs={"slug": rw.project.slug})).text
    assert sample_address(sample) in page
    assert reverse("runs:detail", kwargs={"run_id": rw.run_a.pk}) in page
    a, b = pair.split("-")
    assert f"{reverse('runs:compare')}?a={a}&amp;b={b}" in page
    assert "Recorded by bob" in page or f"Recorded by {bob.display_name}" in page


def test_a_sample_of_another_project_is_a_form_error(client, rw, bob, institute_a):
    stranger = RunFactory(institute=institute_a)
    sample = stranger.samples.create(sample_id="s1")
    client.force_login(bob)
    response = client.post(
        add_url(rw.project),
        {"title": "Borrowed", "severity": "low", "evidence_samples": sample_address(sample)},
    )
    assert response.status_code == 200
    assert "not a sample of this project" in str(response.context["form"].errors)
    response = client.post(
        add_url(rw.project),
        {"title": "Borrowed", "severity": "low", "evidence_runs": [stranger.pk]},
    )
    assert "evidence_runs" in response.context["form"].errors
    assert not Finding.objects.filter(title="Borrowed").exists()


def test_editing_a_finding_shows_and_keeps_its_evidence(client, rw, bob):
    sample = rw.run_a.samples.first()
    finding = findings.finding_create(
        user=bob,
        project=rw.project,
        title="Kept",
        evidence=[{"kind": "sample", "sample": sample}, {"kind": "run", "run": rw.run_b}],
    )
    url = reverse("projects:finding_edit", kwargs={"slug": rw.project.slug, "pk": finding.pk})
    client.force_login(bob)
    form = client.get(url).context["form"]
    assert form.initial["evidence_runs"] == [rw.run_b.pk]
    assert sample_address(sample) in form.initial["evidence_samples"]
    response = client.post(
        url,
        {
            "title": "Kept",
            "severity": "medium",
            "evidence_samples": form.initial["evidence_samples"],
        },
    )
    assert response.status_code == 302
    assert list(finding.evidence.values_list("kind", flat=True)) == [FindingEvidence.Kind.SAMPLE]


def test_sharing_and_publishing_ask_for_confirmation(client, rw, alice):
    finding = findings.finding_create(user=alice, project=rw.project, title="Shared soon")
    detail = reverse("projects:detail", kwargs={"slug": rw.project.slug})
    client.force_login(alice)
    assert 'data-confirm="Mark “Shared soon” shared' not in client.get(detail).text
    findings.finding_transition(user=alice, finding=finding, status="agreed")
    assert 'data-confirm="Mark “Shared soon” shared with the developer?' in client.get(detail).text
    findings.finding_transition(user=alice, finding=finding, status="shared_with_developer")
    assert 'data-confirm="Publish “Shared soon”?' in client.get(detail).text
