from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluations.models import (
    AccessWindow,
    AISystem,
    EvaluationProject,
    Finding,
    Participation,
    ProjectSystem,
)
from evaluations.services import findings, projects
from evaluations.templatetags.evaluations_extras import window_state
from tests.evaluations.factories import (
    AccessWindowFactory,
    ParticipationFactory,
    ProjectFactory,
    RunFactory,
    big_project,
    joint_world,
)


@pytest.fixture
def jw(alice, pm, institute_a, institute_b):
    return joint_world(alice=alice, pm=pm, institute_a=institute_a, institute_b=institute_b)


def page(client, user, name, **kwargs):
    client.force_login(user)
    return client.get(reverse(name, kwargs=kwargs))


def post(client, user, name, data=None, **kwargs):
    client.force_login(user)
    return client.post(reverse(name, kwargs=kwargs), data or {})


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- list -----------------------------------------------------------------------------------


def test_project_list_shows_only_projects_of_the_users_institutes(client, jw, alice, institute_c):
    hidden = ProjectFactory(title="Charlie's secret project")
    ParticipationFactory(project=hidden, institute=institute_c, role=Participation.Role.LEAD)
    response = page(client, alice, "projects:list")
    assert response.status_code == 200
    assert "Pre-deployment evaluation of Frontier-1" in response.text
    assert "secret" not in response.text


def test_project_list_filters_by_status_institute_domain_and_search(client, jw, alice, institute_a):
    other = ProjectFactory(title="Autonomy sweep", status="reporting")
    ParticipationFactory(project=other, institute=institute_a, role=Participation.Role.LEAD)
    client.force_login(alice)
    url = reverse("projects:list")

    def titles(**query):
        response = client.get(url, query)
        assert response.status_code == 200
        return {p.title for p in response.context["page"].object_list}

    assert titles() == {"Pre-deployment evaluation of Frontier-1", "Autonomy sweep"}
    assert titles(status="reporting") == {"Autonomy sweep"}
    assert titles(institute="inst-b") == {"Pre-deployment evaluation of Frontier-1"}
    assert titles(domain="cyber") == {"Pre-deployment evaluation of Frontier-1"}
    assert titles(domain="chemical") == set()
    assert titles(q="autonomy") == {"Autonomy sweep"}
    assert titles(q="Frontier-0") == {"Pre-deployment evaluation of Frontier-1"}  # system name
    assert titles(q="autonomy", status="bogus") == {"Autonomy sweep"}  # a bad filter is dropped


def test_the_institute_filter_offers_institutes_the_user_shares_a_project_with(
    client, jw, alice, pm, institute_c
):
    def offered(user):
        client.force_login(user)
        form = client.get(reverse("projects:list")).context["form"]
        return {code for code, _ in form.fields["institute"].choices if code}

    assert offered(alice) == {"inst-a", "inst-b"}  # not inst-c: no project in common
    assert offered(pm) == {"inst-a", "inst-b", "inst-c"}


def test_page_titles_and_breadcrumbs_name_the_project(client, jw, alice):
    project = jw.project
    edit = page(client, alice, "projects:edit", slug=project.slug).text
    assert f"<title>Edit {project.title} · Concord</title>" in edit
    finding = page(client, alice, "projects:finding_add", slug=project.slug).text
    assert f"<title>Record a finding in {project.title} · Concord</title>" in finding
    setup = page(client, alice, "projects:window_add", slug=project.slug).text
    assert f"<title>Record an access window · {project.title} · Concord</title>" in setup
    detail = page(client, alice, "projects:detail", slug=project.slug).text
    crumbs = detail.split('class="breadcrumbs"')[1].split("</p>")[0]
    assert project.title in crumbs
    assert project.slug not in crumbs.replace(f"/{project.slug}/", "")


def test_every_list_has_the_same_filter_and_clear_controls(client, jw, alice):
    client.force_login(alice)
    for name in ("projects:list", "guidelines:list", "exchanges:list", "exchanges:timeline"):
        text = client.get(reverse(name)).text
        assert '<button type="submit" class="button">Filter</button>' in text, name
        assert f'<a class="button" href="{reverse(name)}">Clear</a>' in text, name


def test_project_list_answers_htmx_with_the_results_fragment_only(client, jw, alice):
    client.force_login(alice)
    response = client.get(reverse("projects:list"), {"q": "frontier"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="project-results"' in response.text
    assert "<html" not in response.text
    assert "Frontier-1" in response.text


def test_project_list_runs_a_bounded_number_of_queries(
    client, alice, bob, institute_a, django_assert_max_num_queries
):
    for _ in range(3):
        big_project(institute_a, n=2, members=[bob])
    client.force_login(alice)
    url = reverse("projects:list")
    client.get(url)  # warm the session
    with django_assert_max_num_queries(14) as few:
        assert client.get(url).status_code == 200
    for _ in range(20):
        big_project(institute_a, n=6, members=[alice, bob])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.context["page"].paginator.count == 23


# --- project page ---------------------------------------------------------------------------


def test_project_page_shows_the_whole_project(client, jw, vera):
    response = page(client, vera, "projects:detail", slug="frontier")
    assert response.status_code == 200
    text = response.text
    for expected in [
        "Institute A",
        "Lead institute",
        "Institute B",
        "Partner institute",
        "Frontier-1",
        "Target",
        "Frontier-0",
        "Reference",
        "Open · closes in 19 days",
        "Cyber",
        "bio-protocol v1",
        "Solves hard CTFs",
    ]:
        assert expected in text, expected
    # A viewer reads: no management forms or buttons.
    assert reverse("projects:edit", kwargs={"slug": "frontier"}) not in text
    assert "Mark agreed" not in text
    assert "Record a finding" not in text


def test_leads_see_the_management_actions(client, jw, alice):
    text = page(client, alice, "projects:detail", slug="frontier").text
    assert reverse("projects:edit", kwargs={"slug": "frontier"}) in text
    assert "Mark active" in text
    assert "Mark agreed" in text
    assert "Record a finding" in text


def test_window_state_says_open_upcoming_or_closed(client, jw, alice):
    now = timezone.now()
    projects.access_window_create(
        user=alice,
        project=jw.project,
        system=jw.reference,
        starts_at=now + timedelta(days=5, hours=1),
        ends_at=now + timedelta(days=9),
    )
    projects.access_window_create(
        user=alice,
        project=jw.project,
        system=jw.reference,
        starts_at=now - timedelta(days=9),
        ends_at=now - timedelta(days=2),
    )
    text = page(client, alice, "projects:detail", slug="frontier").text
    assert "Open · closes in 19 days" in text
    assert "Opens in 5 days" in text
    assert "Closed" in text


def test_window_state_counts_hours_on_the_last_day():
    at = datetime(2026, 1, 10, 12, tzinfo=UTC)
    window = AccessWindow(starts_at=at - timedelta(days=3), ends_at=at + timedelta(hours=5))
    assert window_state(window, at).text == "Open · closes in 5 hours"
    assert window_state(window, at + timedelta(hours=4, minutes=30)).text == (
        "Open · closes in 1 hour"
    )
    assert window_state(window, at - timedelta(days=4)).text == "Opens in 1 day"
    assert window_state(window, at + timedelta(hours=5)).key == "closed"


def test_embargoed_findings_are_hidden_from_a_programme_manager_outside_the_project(
    client, jw, alice, pm
):
    projects.project_update(
        user=alice, project=jw.project, embargo_until=timezone.now() + timedelta(days=30)
    )
    response = page(client, pm, "projects:detail", slug="frontier")
    assert response.status_code == 200
    assert "Solves hard CTFs" not in response.text
    assert "under embargo" in response.text
    assert (
        page(client, pm, "projects:finding_edit", slug="frontier", pk=jw.finding.pk).status_code
        == 404
    )
    assert page(client, pm, "projects:finding_add", slug="frontier").status_code == 404
    assert "Solves hard CTFs" in page(client, alice, "projects:detail", slug="frontier").text


def test_project_page_runs_a_bounded_number_of_queries(
    client, alice, bob, institute_a, django_assert_max_num_queries
):
    small = big_project(institute_a, n=1, members=[bob])
    large = big_project(institute_a, n=40, members=[alice, bob])
    client.force_login(alice)
    client.get(reverse("dashboard:home"))
    url = reverse("projects:detail", kwargs={"slug": small.slug})
    # 21: the project's own tasks (import-only ones among them) are one query.
    with django_assert_max_num_queries(21) as few:
        assert client.get(url).status_code == 200
    url = reverse("projects:detail", kwargs={"slug": large.slug})
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["findings"]) == 40


def test_finding_bodies_render_as_inert_markdown(client, jw, alice):
    findings.finding_update(
        user=alice,
        finding=jw.finding,
        body='**bold** <script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror="alert(3)">',
    )
    text = page(client, alice, "projects:detail", slug="frontier").text
    assert "<strong>bold</strong>" in text
    assert "<script>alert" not in text
    assert "javascript:" not in text
    assert "onerror" not in text


# --- forms ----------------------------------------------------------------------------------


def test_a_lead_opens_a_project_from_the_form(client, alice, institute_a):
    response = post(
        client,
        alice,
        "projects:create",
        {"title": "Joint cyber test", "lead_institute": institute_a.pk},
    )
    project = EvaluationProject.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:detail", kwargs={"slug": "joint-cyber-test"})
    assert project.participations.get().institute == institute_a


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"title": "New"}, "slug", "The address 'new' is reserved"),
        ({"title": "X", "slug": "frontier"}, "slug", "is taken by another project"),
        ({"title": "X", "slug": "not a slug"}, "slug", "Enter a valid"),
    ],
)
def test_project_form_shows_errors(client, jw, alice, institute_a, data, field, message):
    response = post(client, alice, "projects:create", {"lead_institute": institute_a.pk, **data})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert message.split("'")[0] in response.text


def test_the_project_form_offers_only_institutes_the_user_leads(
    client, alice, institute_a, institute_b
):
    response = post(
        client, alice, "projects:create", {"title": "X", "lead_institute": institute_b.pk}
    )
    assert response.status_code == 200
    assert "lead_institute" in response.context["form"].errors
    assert not EvaluationProject.objects.exists()


def test_an_access_window_ending_before_it_starts_is_a_form_error(client, jw, alice):
    response = post(
        client,
        alice,
        "projects:window_add",
        {"system": jw.reference.pk, "starts_at": "2030-01-10T00:00", "ends_at": "2030-01-01T00:00"},
        slug="frontier",
    )
    assert response.status_code == 200
    assert response.context["form"].errors["ends_at"] == [
        "The access window must end after it starts."
    ]
    assert 'class="field-error"' in response.text


def test_an_overlapping_access_window_is_a_form_error(client, jw, alice):
    now = timezone.now()
    response = post(
        client,
        alice,
        "projects:window_add",
        {
            "system": jw.target.pk,
            "starts_at": (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (now + timedelta(days=40)).strftime("%Y-%m-%dT%H:%M"),
        },
        slug="frontier",
    )
    assert response.status_code == 200
    assert "overlaps" in response.context["form"].errors["starts_at"][0]


def test_a_lead_cannot_add_an_institute_they_do_not_lead(client, jw, alice, institute_c):
    response = post(
        client,
        alice,
        "projects:participation_add",
        {"institute": institute_c.pk, "role": "partner"},
        slug="frontier",
    )
    assert response.status_code == 200
    assert "institute" in response.context["form"].errors
    assert not jw.project.participations.filter(institute=institute_c).exists()


def test_a_programme_manager_adds_any_institute_from_the_form(client, jw, pm, institute_c):
    response = post(
        client,
        pm,
        "projects:participation_add",
        {"institute": institute_c.pk, "role": "partner"},
        slug="frontier",
    )
    assert response.status_code == 302
    assert jw.project.participations.get(institute=institute_c).role == "partner"


def test_removing_the_last_lead_institute_is_refused_with_a_message(client, jw, alice, institute_a):
    response = post(
        client, alice, "projects:participation_remove", slug="frontier", institute_id=institute_a.pk
    )
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert any("a project keeps at least one lead institute." in m for m in messages_of(response))
    assert jw.project.participations.filter(institute=institute_a).exists()


def test_closing_a_project_with_unfinished_findings_is_refused_with_a_message(client, jw, alice):
    for status in ("active", "reporting"):
        post(client, alice, "projects:transition", {"status": status}, slug="frontier")
    response = post(client, alice, "projects:transition", {"status": "closed"}, slug="frontier")
    response = client.get(response["Location"])
    assert any("1 unfinished finding" in m for m in messages_of(response))
    jw.project.refresh_from_db()
    assert jw.project.status == "reporting"


def test_findings_move_along_their_workflow(client, jw, alice):
    post(
        client,
        alice,
        "projects:finding_transition",
        {"status": "agreed"},
        slug="frontier",
        pk=jw.finding.pk,
    )
    assert Finding.objects.get(pk=jw.finding.pk).status == "agreed"
    response = post(
        client,
        alice,
        "projects:finding_transition",
        {"status": "published"},
        slug="frontier",
        pk=jw.finding.pk,
    )
    response = client.get(response["Location"])
    assert any("cannot become published" in m for m in messages_of(response))
    assert Finding.objects.get(pk=jw.finding.pk).status == "agreed"


def test_an_evaluator_records_and_edits_a_draft_finding(client, jw, bob):
    response = post(
        client,
        bob,
        "projects:finding_add",
        {
            "title": "Refusals drop under role-play",
            "severity": "high",
            "workstream": jw.workstream.pk,
        },
        slug="frontier",
    )
    assert response.status_code == 302
    finding = Finding.objects.get(title="Refusals drop under role-play")
    assert (finding.created_by, finding.workstream, finding.status) == (bob, jw.workstream, "draft")
    post(
        client,
        bob,
        "projects:finding_edit",
        {"title": "Refusals drop", "severity": "medium"},
        slug="frontier",
        pk=finding.pk,
    )
    finding.refresh_from_db()
    assert (finding.title, finding.severity, finding.workstream) == (
        "Refusals drop",
        "medium",
        None,
    )


def test_an_evaluator_cannot_edit_an_agreed_finding(client, jw, alice, bob):
    findings.finding_transition(user=alice, finding=jw.finding, status="agreed")
    response = post(
        client,
        bob,
        "projects:finding_edit",
        {"title": "Changed", "severity": "low"},
        slug="frontier",
        pk=jw.finding.pk,
    )
    assert response.status_code == 200
    assert "Only leads edit a finding once it has been agreed." in response.text


def test_registering_a_new_system_adds_it_to_the_project(client, jw, alice):
    response = post(
        client,
        alice,
        "projects:system_create",
        {
            "developer": "Lab",
            "name": "Frontier-2",
            "kind": "agent",
            "inspect_model": "openai-api/lab/frontier-2",
            "base_url": "https://lab.example/v1",
            "api_key_env": "LAB_API_KEY",
            "is_reference": "on",
        },
        slug="frontier",
    )
    assert response.status_code == 302
    link = ProjectSystem.objects.get(project=jw.project, system__name="Frontier-2")
    assert link.is_reference
    assert link.system.api_key_env == "LAB_API_KEY"


def test_a_system_form_refuses_a_bad_model_name_and_stores_nothing(client, jw, alice):
    response = post(
        client,
        alice,
        "projects:system_create",
        {"developer": "Lab", "name": "Broken", "kind": "model", "inspect_model": "no-provider"},
        slug="frontier",
    )
    assert response.status_code == 200
    assert "provider/model" in response.context["form"].errors["inspect_model"][0]
    assert not AISystem.objects.filter(name="Broken").exists()


def test_adding_an_existing_system_and_removing_it(client, jw, alice):
    post(client, alice, "projects:system_add", {"system": jw.spare_system.pk}, slug="frontier")
    link = ProjectSystem.objects.get(project=jw.project, system=jw.spare_system)
    assert not link.is_reference
    post(client, alice, "projects:system_remove", slug="frontier", system_id=jw.spare_system.pk)
    assert not ProjectSystem.objects.filter(project=jw.project, system=jw.spare_system).exists()


def test_remove_is_not_offered_for_the_only_lead_nor_a_system_with_runs(
    client, jw, alice, institute_a, institute_b
):
    RunFactory(project=jw.project, system=jw.target, institute=institute_a)
    body = page(client, alice, "projects:detail", slug="frontier").content.decode()
    lead_remove = reverse(
        "projects:participation_remove",
        kwargs={"slug": "frontier", "institute_id": institute_a.pk},
    )
    partner_remove = reverse(
        "projects:participation_remove",
        kwargs={"slug": "frontier", "institute_id": institute_b.pk},
    )
    target_remove = reverse(
        "projects:system_remove", kwargs={"slug": "frontier", "system_id": jw.target.pk}
    )
    reference_remove = reverse(
        "projects:system_remove", kwargs={"slug": "frontier", "system_id": jw.reference.pk}
    )
    assert lead_remove not in body
    assert target_remove not in body
    assert partner_remove in body
    assert reference_remove in body
    assert "Cannot be removed. It is the only lead institute" in body
    assert "Cannot be removed. It has jobs or runs in this project." in body


def test_removing_a_system_with_runs_is_refused_with_the_reason(client, jw, alice, institute_a):
    RunFactory(project=jw.project, system=jw.target, institute=institute_a)
    response = post(
        client, alice, "projects:system_remove", slug="frontier", system_id=jw.target.pk
    )
    messages = messages_of(client.get(response["Location"]))
    assert any("cannot be removed. It has jobs or runs in this project." in m for m in messages)
    assert ProjectSystem.objects.filter(project=jw.project, system=jw.target).exists()


def test_workstreams_are_added_edited_and_deleted(client, jw, alice, bob, institute_b):
    from evaluations.models import Domain, Workstream

    bio = Domain.objects.get(slug="biological")
    response = post(
        client,
        alice,
        "projects:workstream_add",
        {"domain": bio.pk, "lead_institute": institute_b.pk, "members": [jw.carol.pk]},
        slug="frontier",
    )
    assert response.status_code == 302
    ws = Workstream.objects.get(project=jw.project, domain=bio)
    assert (ws.lead_institute, list(ws.members.all())) == (institute_b, [jw.carol])
    response = post(
        client,
        alice,
        "projects:workstream_add",
        {"domain": bio.pk, "lead_institute": institute_b.pk},
        slug="frontier",
    )
    assert "already has a Biological workstream" in response.context["form"].errors["domain"][0]
    post(
        client,
        alice,
        "projects:workstream_edit",
        {"lead_institute": institute_b.pk, "members": [bob.pk, jw.carol.pk]},
        slug="frontier",
        pk=ws.pk,
    )
    assert set(ws.members.all()) == {bob, jw.carol}
    post(client, alice, "projects:workstream_delete", slug="frontier", pk=ws.pk)
    assert not Workstream.objects.filter(pk=ws.pk).exists()


def test_a_lead_adopts_an_approved_guideline_version(client, jw, alice):
    response = post(
        client, alice, "projects:guideline_adopt", {"version": jw.adoptable.pk}, slug="frontier"
    )
    assert response.status_code == 302
    assert jw.project.adoptions.filter(version=jw.adoptable).exists()
    text = client.get(response["Location"]).text
    assert "cyber-protocol v1" in text


def test_the_adopt_form_offers_no_draft_or_adopted_version(client, jw, alice):
    response = page(client, alice, "projects:guideline_adopt", slug="frontier")
    offered = set(response.context["form"].fields["version"].queryset)
    assert offered == {jw.adoptable}
    response = post(
        client, alice, "projects:guideline_adopt", {"version": jw.draft.pk}, slug="frontier"
    )
    assert response.status_code == 200
    assert "version" in response.context["form"].errors


def test_editing_the_project_saves_title_and_embargo(client, jw, alice):
    response = post(
        client,
        alice,
        "projects:edit",
        {"title": "Renamed", "description": "New words", "embargo_until": "2030-05-01T12:00"},
        slug="frontier",
    )
    assert response.status_code == 302
    jw.project.refresh_from_db()
    assert jw.project.title == "Renamed"
    assert jw.project.embargo_until == datetime(2030, 5, 1, 12, tzinfo=UTC)


def test_a_window_can_be_deleted(client, jw, alice):
    post(client, alice, "projects:window_delete", slug="frontier", pk=jw.window.pk)
    assert not AccessWindow.objects.filter(pk=jw.window.pk).exists()


def test_objects_of_another_project_are_not_found_through_this_one(client, jw, alice, institute_a):
    other = ProjectFactory()
    ParticipationFactory(project=other, institute=institute_a, role=Participation.Role.LEAD)
    stray = AccessWindowFactory(project=other)
    response = post(client, alice, "projects:window_delete", slug="frontier", pk=stray.pk)
    assert response.status_code == 404
    assert AccessWindow.objects.filter(pk=stray.pk).exists()


def test_project_page_links_to_results_and_queue_form_for_those_who_act(
    client, alice, vera, institute_a
):
    from evaluations.services.projects import project_create

    project = project_create(user=alice, title="Linked", lead_institute=institute_a)
    client.force_login(alice)
    page = client.get(f"/projects/{project.slug}/").content.decode()
    assert f"/projects/{project.slug}/results/" in page
    assert f"/projects/{project.slug}/jobs/new/" in page
    client.force_login(vera)
    page = client.get(f"/projects/{project.slug}/").content.decode()
    assert f"/projects/{project.slug}/results/" in page
    assert f"/projects/{project.slug}/jobs/new/" not in page
