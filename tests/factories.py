"""factory_boy factories shared by every test folder."""

from __future__ import annotations

import factory

from institutes.models import Institute, Membership, Role, User

PASSWORD = "correct-horse-battery"  # every factory-made user's


class InstituteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institute
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"inst-{n}")
    name = factory.Sequence(lambda n: f"Institute {n}")
    country = "GB"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    institute = factory.SubFactory(InstituteFactory)
    role = Role.VIEWER


def member(username: str, institute: Institute, role: str = Role.VIEWER) -> User:
    user = UserFactory(username=username)
    MembershipFactory(user=user, institute=institute, role=role)
    return user
