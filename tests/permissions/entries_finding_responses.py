"""A finding's page with the developer's responses and comments (`projects:finding`, its comment
form), and the developer's page of a finding shared with them (`developers:finding`).

The world's `shared_finding` is a finding of the project shared with the developer, where devon
is a developer contact (entries_developers.py). On the project's pages the developer gets the
outsider's 404; on the developer's page participants and programme managers are sent to the
project's page of the finding (302), everyone else gets 404."""

from __future__ import annotations

from evaluations.services import findings
from tests.permissions.registry import answers, late_world_part, register


@late_world_part
def shared_finding_world(w) -> None:
    lead = w.users["lead"]
    finding = findings.finding_create(user=lead, project=w.project, title="Shared with the lab")
    findings.finding_transition(user=lead, finding=finding, status="agreed")
    w.extra["shared_finding"] = findings.finding_transition(
        user=lead, finding=finding, status="shared_with_developer"
    )


def shared(w) -> dict:
    return {"slug": w.project.slug, "pk": w.shared_finding.pk}


register(
    "projects:finding",
    kwargs=shared,
    get=answers(outsider=404, viewer=200, evaluator=200, lead=200, pm=200, developer=404),
)
register(
    "projects:finding_comment",
    kwargs=shared,
    get=answers(outsider=404, viewer=403, evaluator=405, lead=405, pm=405, developer=404),
    post=answers(outsider=404, viewer=403, evaluator=302, lead=302, pm=302, developer=404),
    data=lambda w: {"body": "A note from the matrix."},
)
register(
    "developers:finding",
    kwargs=lambda w: {"finding_id": w.shared_finding.pk},
    get=answers(outsider=404, viewer=302, evaluator=302, lead=302, pm=302, developer=200),
    post=answers(outsider=404, viewer=302, evaluator=302, lead=302, pm=302, developer=302),
    data=lambda w: {"form": "response", "kind": "acknowledged", "text": "We are on it."},
)
