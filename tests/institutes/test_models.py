import pytest
from django.db import IntegrityError

from institutes import access
from institutes.models import Membership, Role
from tests.factories import InstituteFactory, MembershipFactory, UserFactory


def test_membership_role_is_one_per_user_and_institute(alice, institute_a):
    with pytest.raises(IntegrityError):
        MembershipFactory(user=alice, institute=institute_a, role=Role.VIEWER)


def test_membership_role_must_be_known(db, institute_a):
    user = UserFactory()
    with pytest.raises(IntegrityError):
        Membership.objects.create(user=user, institute=institute_a, role="overlord")


def test_role_ranks_order_viewer_evaluator_lead(alice, bob, vera, institute_a):
    assert access.institute_rank(vera, institute_a) < access.institute_rank(bob, institute_a)
    assert access.institute_rank(bob, institute_a) < access.institute_rank(alice, institute_a)


def test_a_user_has_no_role_in_an_institute_they_do_not_belong_to(alice, institute_b):
    assert access.institute_rank(alice, institute_b) == 0


def test_a_user_can_hold_different_roles_in_two_institutes(db, institute_a, institute_b):
    user = UserFactory(username="dual")
    MembershipFactory(user=user, institute=institute_a, role=Role.LEAD)
    MembershipFactory(user=user, institute=institute_b, role=Role.VIEWER)
    assert access.institute_ranks(user) == {institute_a.pk: 3, institute_b.pk: 1}


def test_programme_manager_manages_every_institute(pm, alice, institute_a, institute_b):
    assert access.is_programme_manager(pm)
    assert set(access.manageable_institutes(pm)) == {institute_a, institute_b}
    assert not access.is_programme_manager(alice)
    assert list(access.manageable_institutes(alice)) == [institute_a]


def test_a_disabled_programme_manager_has_no_powers(pm):
    pm.is_active = False
    pm.save()
    assert not access.is_programme_manager(pm)


def test_institute_names_are_editable_and_unique_ignoring_case(db):
    inst = InstituteFactory(code="uk", name="UK AI Safety Institute")
    inst.name = "UK AI Security Institute"
    inst.save()
    inst.refresh_from_db()
    assert inst.name == "UK AI Security Institute"
    with pytest.raises(IntegrityError):
        InstituteFactory(code="uk2", name="uk ai security institute")
