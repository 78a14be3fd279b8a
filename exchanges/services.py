"""Writes for personnel exchanges: proposal, the two institutes' decisions, onboarding, activation,
completion, cancellation, and the institutes' calendar feeds.

Each service checks the caller's rights (exchanges.rules, on institutes.access), validates with a
ValidationError whose messages a person can act on, writes in one transaction, and sends its
e-mails once that transaction commits (`notify`; Celery sends them, see exchanges.notifications).

    proposed --(both sides approve)--> approved --(start date, checklist done)--> active
        --(outcome report)--> completed
    proposed --(either side declines)--> declined
    proposed | approved | active --(reason)--> cancelled
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone

from evaluations.models import EvaluationProject
from exchanges import rules
from exchanges.models import (
    CalendarFeed,
    ChecklistItem,
    ChecklistItemType,
    Exchange,
    ExchangeApproval,
)
from institutes import access
from institutes.models import Institute, Membership, Role, User, hash_token

Status = Exchange.Status

EDITABLE_FIELDS = (
    "person",
    "home_institute",
    "host_institute",
    "project",
    "role_title",
    "host_role",
    "start_date",
    "end_date",
    "objectives",
)
_FOREIGN_KEYS = {"person", "home_institute", "host_institute", "project"}


def notify(
    exchange: Exchange,
    event: str,
    *,
    actor: User | None = None,
    institute: Institute | None = None,
    note: str = "",
) -> None:
    """Schedule the e-mails of this step of the exchange: queued when the transaction commits
    (never for a change rolled back); a broker outage is logged and never fails the change."""
    from exchanges import tasks  # tasks call these services; the enqueue waits until it runs

    kwargs = {
        "exchange_id": exchange.pk,
        "event": event,
        "actor_id": actor.pk if actor else None,
        "institute_id": institute.pk if institute else None,
        "note": note,
    }

    def enqueue_exchange_emails() -> None:  # a named function: a failure is logged by its name
        tasks.exchange_notify.delay(**kwargs)

    transaction.on_commit(enqueue_exchange_emails, robust=True)


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _locked(exchange: Exchange) -> Exchange:
    """Read the exchange again under a row lock, so concurrent decisions and transitions queue."""
    return (
        Exchange.objects.select_for_update(of=("self",))
        .select_related("person", "home_institute", "host_institute")
        .get(pk=exchange.pk)
    )


def _lock_person(person: User) -> None:
    # Proposals for one person queue here, so two overlapping ones cannot both pass the check.
    list(User.objects.select_for_update().filter(pk=person.pk).values_list("pk", flat=True))


def exchange_check(
    *,
    user: User,
    person: User,
    home_institute: Institute,
    host_institute: Institute,
    project: EvaluationProject | None,
    start_date: date,
    end_date: date,
    check_past: bool,
    exclude_pk: int | None = None,
) -> None:
    """The rules an exchange's people, institutes, project and dates obey (raises
    ValidationError). The services apply it; forms may call it to show refusals early."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if start_date and end_date and end_date <= start_date:
        add("end_date", "The exchange must end after it starts.")
    if home_institute.pk == host_institute.pk:
        add("host_institute", "The host institute must differ from the home institute.")
    if not Membership.objects.filter(
        user=person, user__is_active=True, institute=home_institute
    ).exists():
        add(
            "person",
            f"{person.display_name} is not on the staff of {home_institute.name}: an exchange "
            "sends a member of the home institute to the host institute.",
        )
    if (
        check_past
        and start_date
        and start_date < timezone.localdate()
        and not access.is_programme_manager(user)
    ):
        add(
            "start_date",
            "The start date is in the past: only programme managers record past exchanges.",
        )
    if project is not None:
        if not access.can_view(user, project):
            add("project", "You can link only a project you take part in.")
        elif not project.participations.filter(institute=host_institute).exists():
            add(
                "project",
                f"{host_institute.name} does not take part in {project.title}: the person's "
                "access to the project comes through the host institute.",
            )
    if not errors:
        clashes = Exchange.objects.open().filter(person=person).overlapping(start_date, end_date)
        if exclude_pk is not None:
            clashes = clashes.exclude(pk=exclude_pk)
        clash = clashes.select_related("home_institute", "host_institute").first()
        if clash is not None:
            add(
                NON_FIELD_ERRORS,
                f"{person.display_name} already has an exchange on overlapping dates: "
                f"{clash.home_institute.code} → {clash.host_institute.code}, "
                f"{_day(clash.start_date)} to {_day(clash.end_date)} "
                f"({clash.get_status_display().lower()}).",
            )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def exchange_propose(
    *,
    user: User,
    person: User,
    home_institute: Institute,
    host_institute: Institute,
    role_title: str,
    start_date: date,
    end_date: date,
    host_role: str = Role.EVALUATOR,
    project: EvaluationProject | None = None,
    objectives: str = "",
) -> Exchange:
    """A lead of the home or the host institute (or a programme manager) proposes to send a member
    of the home institute to the host institute; an evaluator of the home institute may request
    their own secondment, which then needs their home lead's approval like any other. The dates may not overlap another open exchange
    of the person, nor start in the past unless a programme manager records a past exchange. The
    onboarding checklist is copied from the active checklist item types."""
    access.require(
        rules.may_propose(
            user, home_institute=home_institute, host_institute=host_institute, person=person
        ),
        rules.NOT_A_PROPOSER,
    )
    _lock_person(person)
    exchange_check(
        user=user,
        person=person,
        home_institute=home_institute,
        host_institute=host_institute,
        project=project,
        start_date=start_date,
        end_date=end_date,
        check_past=True,
    )
    exchange = Exchange(
        person=person,
        home_institute=home_institute,
        host_institute=host_institute,
        project=project,
        role_title=role_title.strip(),
        host_role=host_role,
        start_date=start_date,
        end_date=end_date,
        objectives=objectives.strip(),
        status=Status.PROPOSED,
        proposed_by=user,
    )
    exchange.full_clean()
    exchange.save()
    ChecklistItem.objects.bulk_create(
        ChecklistItem(exchange=exchange, item_type=item_type, mandatory=item_type.mandatory)
        for item_type in ChecklistItemType.objects.filter(is_active=True)
    )
    notify(exchange, "proposed", actor=user)
    return exchange


@transaction.atomic
def exchange_update(*, user: User, exchange: Exchange, **fields: Any) -> Exchange:
    """Changes a proposed exchange (same rights and rules as proposing it). Approvals already given
    are withdrawn: they were given to something else."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    exchange = _locked(exchange)
    access.require(
        rules.may_manage(user, exchange),
        "Only a lead of the home or the host institute (or a programme manager) changes an "
        "exchange.",
    )
    if exchange.status != Status.PROPOSED:
        raise ValidationError(
            f"Only a proposed exchange can be changed; this one is "
            f"{exchange.get_status_display().lower()}."
        )
    changed = {}
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        current = (
            getattr(exchange, f"{name}_id") if name in _FOREIGN_KEYS else getattr(exchange, name)
        )
        new = getattr(value, "pk", value) if name in _FOREIGN_KEYS else value
        if current != new:
            changed[name] = value
    if not changed:
        return exchange
    for name, value in changed.items():
        setattr(exchange, name, value)
    access.require(
        rules.may_propose(
            user,
            home_institute=exchange.home_institute,
            host_institute=exchange.host_institute,
            person=exchange.person,
        ),
        rules.NOT_A_PROPOSER,
    )
    _lock_person(exchange.person)
    exchange_check(
        user=user,
        person=exchange.person,
        home_institute=exchange.home_institute,
        host_institute=exchange.host_institute,
        project=exchange.project,
        start_date=exchange.start_date,
        end_date=exchange.end_date,
        check_past="start_date" in changed,
        exclude_pk=exchange.pk,
    )
    exchange.full_clean()
    exchange.save()
    withdrawn, _ = exchange.approvals.all().delete()
    notify(
        exchange,
        "updated",
        actor=user,
        note="The approvals already given were withdrawn: each institute decides again."
        if withdrawn
        else "",
    )
    return exchange


def _deciding_side(
    user: User, exchange: Exchange, institute: Institute | None, *, verb: str
) -> Institute:
    """The side the user decides for: the one given, or the only one they may decide for."""
    if institute is not None and institute.pk not in (
        exchange.home_institute_id,
        exchange.host_institute_id,
    ):
        raise ValidationError(
            {"institute": f"{institute.name} is neither the home nor the host of this exchange."}
        )
    candidates = [institute] if institute is not None else list(exchange.sides)
    led = [side for side in candidates if access.is_lead_of(user, side)]
    access.require(
        bool(led),
        f"Only a lead of {institute.name} decides for {institute.name}."
        if institute is not None
        else "Only a lead of the home or the host institute decides on an exchange.",
    )
    if exchange.status != Status.PROPOSED:
        raise ValidationError(
            f"This exchange is {exchange.get_status_display().lower()}: institutes decide on an "
            "exchange while it is proposed."
        )
    decided = rules.decided_institute_ids(exchange)
    pending = [side for side in led if side.pk not in decided]
    if not pending:
        raise ValidationError(f"{led[0].name} has already decided on this exchange.")
    allowed, refusal = [], ""
    for side in pending:
        reason = rules.decision_refusal(user, exchange, side)
        if reason is None:
            allowed.append(side)
        else:
            refusal = reason
    access.require(bool(allowed), refusal)
    if len(allowed) > 1:
        raise ValidationError(
            {"institute": f"You may {verb} for either side: say which institute you {verb} for."}
        )
    return allowed[0]


@transaction.atomic
def exchange_approve(
    *, user: User, exchange: Exchange, institute: Institute | None = None
) -> Exchange:
    """A lead approves for their side; the exchange is approved once both sides have approved.
    `institute` names the side when the user may decide for both (a programme manager)."""
    exchange = _locked(exchange)
    side = _deciding_side(user, exchange, institute, verb="approve")
    ExchangeApproval.objects.create(
        exchange=exchange, institute=side, user=user, decision=ExchangeApproval.Decision.APPROVED
    )
    approved = set(
        exchange.approvals.filter(decision=ExchangeApproval.Decision.APPROVED).values_list(
            "institute_id", flat=True
        )
    )
    if {exchange.home_institute_id, exchange.host_institute_id} <= approved:
        exchange.status = Status.APPROVED
        exchange.save(update_fields=["status", "updated_at"])
        notify(exchange, "approved", actor=user, institute=side)
    else:
        notify(exchange, "approved_side", actor=user, institute=side)
    return exchange


@transaction.atomic
def exchange_decline(
    *, user: User, exchange: Exchange, reason: str, institute: Institute | None = None
) -> Exchange:
    """A lead of either side declines a proposed exchange, saying why. Declined is final."""
    exchange = _locked(exchange)
    side = _deciding_side(user, exchange, institute, verb="decline")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the exchange is declined."})
    ExchangeApproval.objects.create(
        exchange=exchange,
        institute=side,
        user=user,
        decision=ExchangeApproval.Decision.DECLINED,
        reason=reason,
    )
    exchange.status = Status.DECLINED
    exchange.status_reason = reason
    exchange.ended_at = timezone.now()
    exchange.ended_by = user
    exchange.save(update_fields=["status", "status_reason", "ended_at", "ended_by", "updated_at"])
    notify(exchange, "declined", actor=user, institute=side, note=reason)
    return exchange


def _activation_refusal(exchange: Exchange, *, today: date, late_ok: bool) -> str | None:
    if exchange.status != Status.APPROVED:
        if exchange.status == Status.PROPOSED:
            return "The exchange needs the approval of both institutes before it becomes active."
        return (
            f"Only an approved exchange can be activated; this one is "
            f"{exchange.get_status_display().lower()}."
        )
    if today < exchange.start_date:
        return (
            f"The exchange starts on {_day(exchange.start_date)}: it can be activated from that "
            "day."
        )
    if today > exchange.end_date and not late_ok:
        return f"The exchange ended on {_day(exchange.end_date)}: it can no longer be activated."
    prefetch_related_objects(
        [exchange],
        Prefetch("checklist", queryset=ChecklistItem.objects.select_related("item_type")),
    )
    open_items = rules.open_mandatory_items(exchange)
    if open_items:
        names = ", ".join(item.item_type.name for item in open_items)
        return f"These mandatory onboarding items are still open: {names}."
    return None


def _activate(exchange: Exchange, *, actor: User | None) -> Exchange:
    exchange.status = Status.ACTIVE
    exchange.activated_at = timezone.now()
    exchange.activated_by = actor
    exchange.save(update_fields=["status", "activated_at", "activated_by", "updated_at"])
    access.forget(exchange.person)
    notify(exchange, "activated", actor=actor)
    return exchange


@transaction.atomic
def exchange_activate(*, user: User, exchange: Exchange) -> Exchange:
    """An approved exchange becomes active between its start and end dates, once every mandatory
    onboarding item is done. While active (and linked to a project its host institute takes part
    in) the person has their host role in that project. Programme managers may activate after
    the end date, to record a past exchange."""
    exchange = _locked(exchange)
    access.require(
        rules.may_manage(user, exchange),
        "Only a lead of the home or the host institute (or a programme manager) activates an "
        "exchange.",
    )
    refusal = _activation_refusal(
        exchange, today=timezone.localdate(), late_ok=access.is_programme_manager(user)
    )
    if refusal:
        raise ValidationError(refusal)
    return _activate(exchange, actor=user)


@transaction.atomic
def exchange_complete(*, user: User, exchange: Exchange, outcome: str) -> Exchange:
    """An active exchange is completed with its outcome report, which ends the person's access.
    An exchange completed by the schedule at its end date gets its report the same way."""
    exchange = _locked(exchange)
    access.require(
        rules.may_manage(user, exchange),
        "Only a lead of the home or the host institute (or a programme manager) completes an "
        "exchange.",
    )
    outcome = (outcome or "").strip()
    if not outcome:
        raise ValidationError({"outcome": "Write the outcome report: what was done and learnt."})
    if exchange.status == Status.ACTIVE:
        exchange.status = Status.COMPLETED
        exchange.outcome = outcome
        exchange.ended_at = timezone.now()
        exchange.ended_by = user
        exchange.save(update_fields=["status", "outcome", "ended_at", "ended_by", "updated_at"])
        access.forget(exchange.person)
        notify(exchange, "completed", actor=user)
    elif exchange.status == Status.COMPLETED and not exchange.outcome.strip():
        exchange.outcome = outcome
        exchange.save(update_fields=["outcome", "updated_at"])
        notify(exchange, "outcome", actor=user)
    elif exchange.status == Status.COMPLETED:
        raise ValidationError("This exchange is completed and already has its outcome report.")
    else:
        raise ValidationError(
            f"Only an active exchange can be completed; this one is "
            f"{exchange.get_status_display().lower()}."
        )
    return exchange


@transaction.atomic
def exchange_cancel(*, user: User, exchange: Exchange, reason: str) -> Exchange:
    """A lead of either side (or a programme manager) cancels an exchange that is not over yet,
    saying why. Cancelling an active exchange ends the person's access at once."""
    exchange = _locked(exchange)
    access.require(
        rules.may_manage(user, exchange),
        "Only a lead of the home or the host institute (or a programme manager) cancels an "
        "exchange.",
    )
    if not exchange.can_transition_to(Status.CANCELLED):
        raise ValidationError(
            f"This exchange is {exchange.get_status_display().lower()}: it can no longer be "
            "cancelled."
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the exchange is cancelled."})
    exchange.status = Status.CANCELLED
    exchange.status_reason = reason
    exchange.ended_at = timezone.now()
    exchange.ended_by = user
    exchange.save(update_fields=["status", "status_reason", "ended_at", "ended_by", "updated_at"])
    access.forget(exchange.person)
    notify(exchange, "cancelled", actor=user, note=reason)
    return exchange


def _locked_item(item: ChecklistItem) -> tuple[ChecklistItem, Exchange]:
    exchange = _locked(item.exchange)  # exchange first, then item: one lock order everywhere
    item = (
        ChecklistItem.objects.select_for_update(of=("self",))
        .select_related("item_type")
        .get(pk=item.pk, exchange=exchange)
    )
    return item, exchange


def _require_checklist_open(user: User, exchange: Exchange) -> None:
    access.require(
        rules.may_manage(user, exchange),
        "Only a lead of the home or the host institute (or a programme manager) keeps the "
        "onboarding checklist.",
    )
    if exchange.status not in (Status.PROPOSED, Status.APPROVED):
        raise ValidationError(
            f"This exchange is {exchange.get_status_display().lower()}: its onboarding checklist "
            "can change only before it becomes active."
        )


@transaction.atomic
def checklist_item_done(*, user: User, item: ChecklistItem, note: str = "") -> ChecklistItem:
    """Ticks an onboarding item (before the exchange is active). Ticking twice changes nothing."""
    item, exchange = _locked_item(item)
    _require_checklist_open(user, exchange)
    if item.done_at is None:
        item.done_at = timezone.now()
        item.done_by = user
    if note.strip():
        item.note = note.strip()[:300]
    item.save(update_fields=["done_at", "done_by", "note"])
    return item


@transaction.atomic
def checklist_item_undone(*, user: User, item: ChecklistItem) -> ChecklistItem:
    """Reopens an onboarding item (before the exchange is active)."""
    item, exchange = _locked_item(item)
    _require_checklist_open(user, exchange)
    item.done_at = None
    item.done_by = None
    item.save(update_fields=["done_at", "done_by"])
    return item


def exchanges_sync_dates(*, today: date | None = None) -> dict[str, int]:
    """Run by the schedule: activates approved exchanges whose start date has come and whose
    checklist is complete, and completes active exchanges past their end date (their leads are
    asked for the outcome report). One transaction per exchange; running it again changes
    nothing. Access needs no sweep: institutes.access grants it only within the dates."""
    today = today or timezone.localdate()
    counts = {"activated": 0, "waiting": 0, "completed": 0}
    due = Exchange.objects.filter(
        status=Status.APPROVED, start_date__lte=today, end_date__gte=today
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            exchange = (
                Exchange.objects.select_for_update(of=("self",))
                .select_related("person")
                .filter(pk=pk, status=Status.APPROVED)
                .first()
            )
            if exchange is None:
                continue
            if _activation_refusal(exchange, today=today, late_ok=False):
                counts["waiting"] += 1
                continue
            _activate(exchange, actor=None)
            counts["activated"] += 1
    over = Exchange.objects.filter(status=Status.ACTIVE, end_date__lt=today).values_list(
        "pk", flat=True
    )
    for pk in list(over):
        with transaction.atomic():
            exchange = (
                Exchange.objects.select_for_update(of=("self",))
                .select_related("person")
                .filter(pk=pk, status=Status.ACTIVE)
                .first()
            )
            if exchange is None:
                continue
            exchange.status = Status.COMPLETED
            exchange.status_reason = f"Ended on its end date, {_day(exchange.end_date)}."
            exchange.ended_at = timezone.now()
            exchange.save(update_fields=["status", "status_reason", "ended_at", "updated_at"])
            access.forget(exchange.person)
            notify(exchange, "ended")
            counts["completed"] += 1
    return counts


@transaction.atomic
def calendar_feed_create(
    *, user: User, institute: Institute, label: str = ""
) -> tuple[CalendarFeed, str]:
    """A lead of the institute (or a programme manager) opens a calendar feed of its exchanges.
    Returns the feed and its secret token; the token is shown once and only its hash is kept."""
    access.require(
        access.is_lead_of(user, institute),
        f"Only a lead of {institute.name} (or a programme manager) manages its calendar feeds.",
    )
    raw = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(
        institute=institute, token_hash=hash_token(raw), label=label.strip()[:100], created_by=user
    )
    return feed, raw


@transaction.atomic
def calendar_feed_revoke(*, user: User, feed: CalendarFeed) -> CalendarFeed:
    """Revoking a feed makes its URL answer 404 from then on. Revoking twice changes nothing."""
    access.require(
        access.is_lead_of(user, feed.institute_id),
        "Only a lead of the institute (or a programme manager) manages its calendar feeds.",
    )
    CalendarFeed.objects.filter(pk=feed.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    feed.refresh_from_db()
    return feed
