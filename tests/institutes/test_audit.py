"""The audit trail records every write path with who, when, what and from where."""

import pytest
from django.apps import apps
from django.db import connection

from institutes import audit
from institutes.models import ApiToken, AuditEvent, Institute, Membership, Role, hash_token
from tests.factories import PASSWORD, UserFactory


def events(**filters):
    return list(AuditEvent.objects.filter(**filters).order_by("id"))


def test_every_concord_table_but_bulk_samples_has_the_audit_trigger(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT event_object_table FROM information_schema.triggers WHERE trigger_name = 'concord_audit'"
        )
        triggered = {row[0] for row in cursor.fetchall()}
    expected = (
        {
            m._meta.db_table
            for m in apps.get_models(include_auto_created=True)
            if m._meta.app_label in audit.AUDITED_APPS and m._meta.managed and not m._meta.proxy
        }
        - {"institutes_auditevent"}
        - {apps.get_model(label)._meta.db_table for label in audit.BULK_MODELS}
    )
    assert expected - triggered == set()
    assert "evaluations_sampleresult" not in triggered


def test_insert_update_delete_are_recorded_with_changed_columns(db):
    with audit.acting_as(actor_kind="system", source="test"):
        inst = Institute.objects.create(code="x", name="X Institute", country="GB")
        inst.name = "Renamed Institute"
        inst.save()
        pk = inst.pk
        inst.delete()
    insert, update, delete = events(table="institutes_institute", object_id=str(pk))
    assert (insert.action, update.action, delete.action) == ("insert", "update", "delete")
    assert update.changes == {"name": ["X Institute", "Renamed Institute"]}
    assert insert.source == "test"


def test_bulk_queryset_update_is_recorded_row_by_row(db, institute_a, institute_b):
    Institute.objects.all().update(is_active=False)
    updates = events(action="update", table="institutes_institute")
    assert {e.object_id for e in updates} == {str(institute_a.pk), str(institute_b.pk)}
    assert all(e.changes == {"is_active": [True, False]} for e in updates)


def test_secrets_are_redacted(db):
    user = UserFactory(username="sec")
    user.set_password("another long password")
    user.save()
    update = events(action="update", table="institutes_user", object_id=str(user.pk))[-1]
    assert update.changes["password"] == "(redacted)"


def test_a_write_through_a_page_is_recorded_with_user_and_address(client, alice):
    client.force_login(alice)
    response = client.post(
        "/accounts/password/change/",
        {
            "old_password": PASSWORD,
            "new_password1": "a fresh long pass phrase",
            "new_password2": "a fresh long pass phrase",
        },
        REMOTE_ADDR="198.51.100.7",
    )
    assert response.status_code == 302
    event = events(action="update", table="institutes_user", object_id=str(alice.pk))[-1]
    assert event.actor_id == alice.pk
    assert event.actor_kind == "user"
    assert event.ip == "198.51.100.7"
    assert event.source == "POST /accounts/password/change/"
    assert event.request_id


def test_admin_actions_are_recorded_with_the_programme_manager(client, pm, alice, institute_a):
    pm.is_superuser = True
    pm.save()
    client.force_login(pm)
    membership = Membership.objects.get(user=alice)
    response = client.post(
        f"/admin/institutes/membership/{membership.pk}/change/",
        {"user": alice.pk, "institute": institute_a.pk, "role": Role.EVALUATOR},
    )
    assert response.status_code == 302
    event = events(action="update", table="institutes_membership", object_id=str(membership.pk))[-1]
    assert event.actor_id == pm.pk
    assert event.changes == {"role": ["lead", "evaluator"]}


def test_login_and_failed_login_are_security_events(client, alice):
    client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    failed, login = events(action="login_failed")[-1], events(action="login")[-1]
    assert failed.changes == {"username": "alice"}
    assert login.actor_id == alice.pk


def test_writes_with_an_api_token_are_recorded_as_the_token(db, alice, rf):
    from datetime import timedelta

    from django.utils import timezone

    raw = ApiToken.generate_raw()
    token = ApiToken.objects.create(
        user=alice,
        name="t",
        prefix=raw[:8],
        token_hash=hash_token(raw),
        expires_at=timezone.now() + timedelta(days=1),
    )
    from rest_framework.request import Request

    from institutes.authentication import BearerTokenAuthentication

    django_request = rf.post("/api/v1/anything/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    user, _auth = BearerTokenAuthentication().authenticate(Request(django_request))
    django_request.user = user
    assert audit.request_actor(django_request)["actor_kind"] == "token"
    assert audit.request_actor(django_request)["token_id"] == token.pk


def test_read_only_requests_add_no_query(client, alice, django_assert_max_num_queries):
    client.force_login(alice)
    client.get("/")
    with django_assert_max_num_queries(8):
        assert client.get("/").status_code == 200
    assert not AuditEvent.objects.filter(source="GET /").exists()


@pytest.mark.parametrize("kind", ["worker", "system"])
def test_context_marks_workers_and_commands(db, kind):
    with audit.acting_as(actor_kind=kind, source="evaluations.tasks.run_job"):
        Institute.objects.create(code=f"k-{kind}", name=f"K {kind}", country="GB")
    assert events(table="institutes_institute")[-1].actor_kind == kind
    # Outside the block the session is clean again.
    Institute.objects.create(code=f"after-{kind}", name=f"After {kind}", country="GB")
    assert events(table="institutes_institute")[-1].source == ""
