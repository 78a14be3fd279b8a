"""The developer's side pages: a lead's "Developer contacts" page (list, invite, revoke,
re-invite), the sign-up page an invitation links to, and the developer contact's own pages."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from evaluations.models import DeveloperContact, Organisation
from evaluations.services import developer_contacts as services
from institutes.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough pass phrase"


def contacts_url(project) -> str:
    return reverse("developers:contacts", kwargs={"slug": project.slug})


def test_project_page_links_leads_to_the_contacts(client, dw, alice, bob):
    client.force_login(alice)
    page = client.get(reverse("projects:detail", kwargs={"slug": dw.project.slug}))
    assert contacts_url(dw.project) in page.content.decode()
    client.force_login(bob)
    page = client.get(reverse("projects:detail", kwargs={"slug": dw.project.slug}))
    assert contacts_url(dw.project) not in page.content.decode()


def test_lead_invites_from_the_contacts_page(client, dw, alice, django_capture_on_commit_callbacks):
    Organisation.objects.create(name="Frontier Lab")
    client.force_login(alice)
    page = client.get(contacts_url(dw.project))
    assert 'list="developer-organisations"' in page.content.decode()
    assert '<option value="Frontier Lab">' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            contacts_url(dw.project),
            {"email": "ada@frontier.example", "name": "Ada", "organisation": "frontier lab"},
        )
    assert response.status_code == 302
    contact = DeveloperContact.objects.get()
    assert contact.organisation.name == "Frontier Lab"
    assert mail.outbox[-1].to == ["ada@frontier.example"]
    page = client.get(contacts_url(dw.project)).content.decode()
    assert "ada@frontier.example" in page
    assert 'data-status="invited"' in page


def test_invite_form_shows_the_services_refusal(client, dw, alice, bob):
    client.force_login(alice)
    response = client.post(
        contacts_url(dw.project), {"email": bob.email, "name": "Bob", "organisation": "Lab"}
    )
    assert response.status_code == 200
    assert "participants" in response.content.decode()
    assert not DeveloperContact.objects.exists()


def test_contacts_page_is_n_plus_one_free(client, dw, alice, invite, django_assert_max_num_queries):
    for n in range(6):
        invite(dw.project, alice, email=f"p{n}@lab.example", organisation=f"Lab {n}")
    client.force_login(alice)
    client.get(contacts_url(dw.project))
    with django_assert_max_num_queries(14):
        assert client.get(contacts_url(dw.project)).status_code == 200


def test_revoke_and_reinvite_buttons(
    client, dw, alice, active_devon, invite, django_capture_on_commit_callbacks
):
    pending, _ = invite(dw.project, alice, email="p@lab.example")
    client.force_login(alice)
    kwargs = {"slug": dw.project.slug, "pk": active_devon.pk}
    assert client.post(reverse("developers:contact_revoke", kwargs=kwargs)).status_code == 302
    assert DeveloperContact.objects.get(pk=active_devon.pk).revoked_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse(
                "developers:contact_reinvite", kwargs={"slug": dw.project.slug, "pk": pending.pk}
            )
        )
    assert mail.outbox[-1].to == ["p@lab.example"]


def test_anonymous_signs_up_from_the_invitation(client, dw, alice, invite):
    _, token = invite(dw.project, alice, email="new@lab.example")
    url = reverse("developers:accept", kwargs={"token": token})
    page = client.get(url)
    assert page.status_code == 200
    assert dw.project.title in page.content.decode()
    assert "Frontier Lab" in page.content.decode()
    differs = client.post(
        url, {"username": "newdev", "password": PASSWORD, "password_again": "other"}
    )
    assert differs.status_code == 200
    assert not User.objects.filter(username="newdev").exists()
    response = client.post(
        url, {"username": "newdev", "password": PASSWORD, "password_again": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("developers:project", kwargs={"slug": dw.project.slug})
    home = client.get(reverse("developers:home"))  # signed in as the new account
    assert dw.project.title in home.content.decode()
    again = client.get(url)
    assert again.status_code == 410
    assert "used already" in again.content.decode()


def test_signed_in_with_the_invited_address_accepts_with_a_button(client, dw, alice, devon, invite):
    _, token = invite(dw.project, alice)
    client.force_login(devon)
    url = reverse("developers:accept", kwargs={"token": token})
    page = client.get(url).content.decode()
    assert "Accept" in page
    assert 'name="username"' not in page
    assert client.post(url).status_code == 302
    assert DeveloperContact.objects.get().user == devon


def test_signed_in_with_another_address_is_told(client, dw, alice, charlie, invite):
    _, token = invite(dw.project, alice)
    client.force_login(charlie)
    url = reverse("developers:accept", kwargs={"token": token})
    assert "data-invitation-mismatch" in client.get(url).content.decode()
    assert client.post(url).status_code == 200
    assert DeveloperContact.objects.get().user is None


def test_a_made_up_token_is_a_clear_error(client):
    page = client.get(reverse("developers:accept", kwargs={"token": "nope"}))
    assert page.status_code == 410
    assert "not valid" in page.content.decode()


def test_developer_pages_list_only_what_was_shared(client, dw, alice, devon, active_devon):
    finding = dw.jw.finding  # a draft: not shared
    client.force_login(devon)
    home = client.get(reverse("developers:home")).content.decode()
    assert dw.project.title in home
    assert finding.title not in home
    type(finding).objects.filter(pk=finding.pk).update(
        status="shared_with_developer", shared_at=active_devon.accepted_at
    )
    project_page = client.get(reverse("developers:project", kwargs={"slug": dw.project.slug}))
    assert finding.title in project_page.content.decode()


def test_developer_home_is_n_plus_one_free(
    client, devon, active_devon, django_assert_max_num_queries
):
    client.force_login(devon)
    client.get(reverse("developers:home"))
    with django_assert_max_num_queries(10):
        assert client.get(reverse("developers:home")).status_code == 200


def test_the_developer_project_page_is_404_to_participants_and_after_revocation(
    client, dw, alice, devon, active_devon
):
    url = reverse("developers:project", kwargs={"slug": dw.project.slug})
    client.force_login(alice)
    assert client.get(url).status_code == 404
    services.developer_contact_revoke(contact=active_devon, by=alice)
    client.force_login(devon)
    assert client.get(url).status_code == 404
