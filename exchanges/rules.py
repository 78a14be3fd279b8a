"""Who may do what with an exchange. The services enforce these; pages and the API use them to
show only the actions a user may take. Built on institutes.access, the one access policy.

- Leads of the home or the host institute propose, edit (while proposed), prepare the checklist,
  activate, complete and cancel an exchange; programme managers may do all of it.
- Staff (evaluators and leads) request a secondment for themselves from their own institute; it
  needs the approval of both sides like any other (never their own: see below).
- A linked project shows only to those who may see the project; to others the exchange shows
  nothing of it.
- Each side decides (approves or declines) through one of its leads. One person decides for one
  side only, and never on their own exchange, so two people always sign; programme managers are
  exempt (they record decisions taken elsewhere, e.g. in the admin).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from exchanges.models import Exchange
from institutes import access
from institutes.models import Institute

NOT_A_PROPOSER = (
    "Only a lead of the home or the host institute (or a programme manager) proposes an "
    "exchange; evaluators request one for themselves, from their own institute."
)


def may_propose_for_others(user, *, home_institute, host_institute) -> bool:
    return access.is_lead_of(user, home_institute) or access.is_lead_of(user, host_institute)


def may_request_own(user, *, home_institute) -> bool:
    """Staff (evaluators and leads) of the home institute request their own secondment."""
    return access.institute_rank(user, home_institute) >= access.ACT


def may_propose(user, *, home_institute, host_institute, person=None) -> bool:
    """May the user propose this exchange? Without `person`: for someone, whoever it is."""
    if may_propose_for_others(user, home_institute=home_institute, host_institute=host_institute):
        return True
    own = person is None or getattr(person, "pk", person) == user.pk
    return own and may_request_own(user, home_institute=home_institute)


def may_propose_any(user) -> bool:
    """Whether the user may propose at all: a lead of any institute or a programme manager (for
    others), or an evaluator of any institute (for themselves)."""
    return access.is_programme_manager(user) or any(
        rank >= access.ACT for rank in access.institute_ranks(user).values()
    )


def proposes_for_others(user) -> bool:
    """Whether the user leads any institute (or is a programme manager): they propose for others."""
    return access.is_programme_manager(user) or any(
        rank >= access.MANAGE for rank in access.institute_ranks(user).values()
    )


def shows_project(user, exchange: Exchange) -> bool:
    """Whether the exchange shows its linked project to the user: only if they may see it."""
    return exchange.project_id is not None and access.can_view(user, exchange.project_id)


def shown_project(user, exchange: Exchange):
    """The linked project as the user may see it: the project, or None (none, or not theirs)."""
    return exchange.project if shows_project(user, exchange) else None


def may_manage(user, exchange: Exchange) -> bool:
    """Edit, prepare, activate, complete, cancel: a lead of either side or a programme manager."""
    return access.is_lead_of(user, exchange.home_institute_id) or access.is_lead_of(
        user, exchange.host_institute_id
    )


def decided_institute_ids(exchange: Exchange) -> set[int]:
    return {approval.institute_id for approval in exchange.approvals.all()}


def decision_refusal(user, exchange: Exchange, institute: Institute) -> str | None:
    """Why the user may not decide for this side of the exchange, or None if they may."""
    if not access.is_lead_of(user, institute):
        return f"Only a lead of {institute.name} decides for {institute.name}."
    if access.is_programme_manager(user):
        return None
    if exchange.person_id == user.pk:
        return "You cannot decide on your own exchange: another lead of your institute does."
    for approval in exchange.approvals.all():
        if approval.user_id == user.pk and approval.institute_id != institute.pk:
            return (
                "You have already decided for the other side; another lead of "
                f"{institute.name} decides for {institute.name}."
            )
    return None


def decidable_sides(user, exchange: Exchange) -> list[Institute]:
    """The sides of a proposed exchange that are still undecided and that the user may decide for."""
    if exchange.status != Exchange.Status.PROPOSED:
        return []
    decided = decided_institute_ids(exchange)
    return [
        side
        for side in exchange.sides
        if side.pk not in decided and decision_refusal(user, exchange, side) is None
    ]


def open_mandatory_items(exchange: Exchange) -> list:
    return [item for item in exchange.checklist.all() if item.mandatory and item.done_at is None]


@dataclass
class Actions:
    """What the user may do with the exchange now (rights and state together)."""

    decide_for: list[Institute] = field(default_factory=list)
    edit: bool = False
    tick_checklist: bool = False
    activate: bool = False
    complete: bool = False
    record_outcome: bool = False
    cancel: bool = False

    @property
    def any(self) -> bool:
        return bool(
            self.decide_for
            or self.edit
            or self.activate
            or self.complete
            or self.record_outcome
            or self.cancel
        )


def available_actions(user, exchange: Exchange) -> Actions:
    """Expects approvals (and checklist, for activate) prefetched to stay within a few queries."""
    actions = Actions(decide_for=decidable_sides(user, exchange))
    if not may_manage(user, exchange):
        return actions
    status = exchange.status
    actions.edit = status == Exchange.Status.PROPOSED
    actions.tick_checklist = status in (Exchange.Status.PROPOSED, Exchange.Status.APPROVED)
    actions.activate = status == Exchange.Status.APPROVED
    actions.complete = status == Exchange.Status.ACTIVE
    actions.record_outcome = status == Exchange.Status.COMPLETED and not exchange.outcome.strip()
    actions.cancel = exchange.can_transition_to(Exchange.Status.CANCELLED)
    return actions
