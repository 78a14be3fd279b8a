"""Factories for exchanges. They write rows directly: use them to set up a state; use the
services to test a transition."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from exchanges.models import (
    CalendarFeed,
    ChecklistItem,
    ChecklistItemType,
    Exchange,
    ExchangeApproval,
)
from institutes.models import Role, hash_token
from tests.factories import InstituteFactory, UserFactory


class ExchangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Exchange
        skip_postgeneration_save = True

    person = factory.SubFactory(UserFactory)
    home_institute = factory.SubFactory(InstituteFactory)
    host_institute = factory.SubFactory(InstituteFactory)
    role_title = "Visiting evaluator"
    host_role = Role.EVALUATOR
    start_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=7))
    end_date = factory.LazyAttribute(lambda o: o.start_date + timedelta(days=30))
    status = Exchange.Status.PROPOSED
    objectives = "Learn the partner's harness."

    @factory.post_generation
    def checklist(obj, create, extracted, **kwargs):
        """checklist=True copies the active checklist item types, like a proposal does."""
        if create and extracted:
            for item_type in ChecklistItemType.objects.filter(is_active=True):
                ChecklistItem.objects.create(
                    exchange=obj, item_type=item_type, mandatory=item_type.mandatory
                )


class ExchangeApprovalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExchangeApproval

    exchange = factory.SubFactory(ExchangeFactory)
    institute = factory.LazyAttribute(lambda o: o.exchange.home_institute)
    user = factory.SubFactory(UserFactory)
    decision = ExchangeApproval.Decision.APPROVED


class CalendarFeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CalendarFeed
        exclude = ["token"]

    institute = factory.SubFactory(InstituteFactory)
    token = factory.Sequence(lambda n: f"feed-token-{n}")
    token_hash = factory.LazyAttribute(lambda o: hash_token(o.token))
