"""The admin's querysets are scoped like every page: a staff user who is not a programme manager,
even holding every model permission, sees in each changelist only what belongs to the projects
(and institutes) they take part in. Programme managers see everything but embargoed results of
projects they do not take part in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.utils import timezone

from evaluations.models import (
    AISystem,
    EvaluationJob,
    EvaluationProject,
    EvaluationRun,
    Finding,
    Guideline,
    GuidelineVersion,
)
from exchanges.models import CalendarFeed, Exchange
from institutes.models import ApiToken, AuditEvent, Membership, User
from tests.exchanges.factories import CalendarFeedFactory
from tests.figures import figure


@pytest.fixture
def sam(two_worlds):
    """Staff at institute A (its lead), not a programme manager, with every model permission."""
    user = two_worlds.users["lead"]
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.all())
    return User.objects.get(pk=user.pk)  # fresh: no cached permissions


def foreign_rows(w) -> dict[type, set]:
    """What belongs to C's and D's world: none of it is A's staff's business."""
    f = w.foreign
    c_and_d = [w.institute_c.pk, f["exchange"].home_institute_id]
    return {
        EvaluationProject: {f["project"].pk},
        AISystem: {f["system"].pk},
        EvaluationRun: {f["run"].pk},
        EvaluationJob: {f["job"].pk},
        Finding: {f["finding"].pk},
        Guideline: {f["guideline"].pk},
        GuidelineVersion: set(
            GuidelineVersion.objects.filter(guideline=f["guideline"]).values_list("pk", flat=True)
        ),
        Exchange: {f["exchange"].pk},
        Membership: set(
            Membership.objects.filter(institute__in=c_and_d).values_list("pk", flat=True)
        ),
        User: set(
            User.objects.filter(memberships__institute__in=c_and_d).values_list("pk", flat=True)
        ),
        ApiToken: set(ApiToken.objects.exclude(user=w.users["lead"]).values_list("pk", flat=True)),
        CalendarFeed: set(
            CalendarFeed.objects.filter(institute__in=c_and_d).values_list("pk", flat=True)
        ),
    }


def test_staff_who_are_not_programme_managers_see_only_their_own_in_every_changelist(
    two_worlds, sam, client
):
    w = two_worlds
    CalendarFeedFactory(institute=w.institute_c, token="c-feed-token")
    GuidelineVersion.objects.create(
        guideline=w.foreign["guideline"], number=1, body_markdown="FOREIGN"
    )
    from institutes.services import token_create

    token_create(user=w.users["outsider"], name="charlie's", expires_in_days=1)
    client.force_login(sam)
    forbidden = foreign_rows(w)
    leaks, changelists = [], 0
    for model in admin.site._registry:
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        response = client.get(url)
        if response.status_code != 200:
            continue  # refused outright (the audit trail: programme managers only)
        changelists += 1
        shown = {obj.pk for obj in response.context["cl"].result_list}
        bad = shown & forbidden.get(model, set())
        if bad:
            leaks.append(f"  {url}: {sorted(bad)}")
    figure(
        f"admin scope: {changelists} changelists as staff with every permission, "
        f"{len(leaks)} showing another institute's rows"
    )
    assert changelists >= 10
    assert client.get("/admin/institutes/auditevent/").status_code == 403
    assert not leaks, "\n".join(leaks)


def test_programme_managers_do_not_see_embargoed_results_of_others_in_the_admin(two_worlds, client):
    w = two_worlds
    EvaluationProject.objects.filter(pk=w.rw.project.pk).update(
        embargo_until=timezone.now() + timedelta(days=30)
    )
    pm = w.users["pm"]
    client.force_login(pm)
    runs = client.get("/admin/evaluations/evaluationrun/?all=")
    shown = {run.pk for run in runs.context["cl"].result_list}
    assert w.rw.run_a.pk not in shown
    assert w.foreign["run"].pk in shown  # not embargoed: the programme manager sees it
    assert client.get(f"/admin/evaluations/evaluationrun/{w.rw.run_a.pk}/change/").status_code in (
        302,
        404,
    )
    assert AuditEvent.objects.filter(action="embargoed_read").count() == 0
