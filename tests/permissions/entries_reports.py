"""A project's joint reports (`reports:` namespace) on the world's project ("frontier", A leads,
B takes part): version 1 frozen (signed by alice for A and carol for B) and shared with the
developer, version 2 a draft drafted from it (`w.report_frozen`, `w.report_draft`).

Reading: participants and programme managers 200; outsiders 404; the developer contact (devon)
sees the frozen shared version and its PDF (200) and nothing else (404: the draft, the bundle,
every button). Drafting, editing, submitting, sharing, new versions: leads and programme
managers (viewers and evaluators 403). Signing: a lead for their own institute (a programme
manager leads none: 403). A refused step (the draft already open, the version already shared)
redirects with a message, as every button does.
"""

from __future__ import annotations

from evaluations.services import reports
from tests.permissions.registry import answers, late_world_part, register


@late_world_part
def reports_world(w) -> None:
    lead = w.users["lead"]
    frozen = reports.report_draft(
        project=w.project,
        by=lead,
        title="Matrix report",
        sections=[{"title": "Summary", "markdown": "Joint findings."}],
    )
    reports.report_submit(report=frozen, by=lead)
    reports.report_approve(report=frozen, by=lead, institute=w.institute_a)
    frozen = reports.report_approve(report=frozen, by=w.carol, institute=w.institute_b)
    w.extra["report_frozen"] = reports.report_share(report=frozen, by=lead)
    w.extra["report_draft"] = reports.report_new_version(report=frozen, by=lead)


def project(w) -> dict:
    return {"slug": w.project.slug}


def frozen(w) -> dict:
    return {"slug": w.project.slug, "number": w.report_frozen.number}


def draft(w) -> dict:
    return {"slug": w.project.slug, "number": w.report_draft.number}


def read(developer: int = 404) -> dict:
    return answers(outsider=404, viewer=200, evaluator=200, lead=200, pm=200, developer=developer)


def manage(ok: int = 302) -> dict:
    return answers(outsider=404, viewer=403, evaluator=403, lead=ok, pm=ok, developer=404)


def post_only(check: dict) -> dict:
    return {role: (405 if answer == 302 else answer) for role, answer in check.items()}


def form(title: str):
    return lambda w: {
        "title": title,
        "sections-TOTAL_FORMS": "1",
        "sections-INITIAL_FORMS": "0",
        "sections-0-title": "Summary",
        "sections-0-markdown": "Text.",
    }


def submit_draft(w) -> None:
    reports.report_submit(report=w.report_draft, by=w.users["lead"])


register("reports:list", kwargs=project, get=read(developer=200))
# The draft is open: drafting another is refused on the form (200).
register("reports:create", kwargs=project, get=manage(200), post=manage(200), data=form("Another"))
register("reports:detail", kwargs=frozen, get=read(developer=200))
register("reports:edit", kwargs=draft, get=manage(200), post=manage(), data=form("Edited"))
register("reports:submit", kwargs=draft, get=post_only(manage()), post=manage())
register(
    "reports:approve",
    kwargs=draft,
    setup=submit_draft,
    get=answers(outsider=404, viewer=405, evaluator=405, lead=405, pm=405, developer=404),
    post=answers(outsider=404, viewer=403, evaluator=403, lead=302, pm=403, developer=404),
    data=lambda w: {"institute": w.institute_a.pk, "comment": "Signed in the matrix."},
)
register("reports:share", kwargs=frozen, get=post_only(manage()), post=manage())
register("reports:new_version", kwargs=frozen, get=post_only(manage()), post=manage())
register("reports:pdf", kwargs=frozen, get=read(developer=200))
register("reports:bundle", kwargs=frozen, get=read())
