"""API routes of a project's joint reports (/api/v1/projects/<slug>/reports/...), on the world
of entries_reports.py: version 1 frozen and shared with the developer, version 2 a draft.

Reading: participants and programme managers 200, outsiders 404; the developer contact sees the
list (the shared version only), and the frozen shared version's PDF, and gets 404 for the draft,
the bundle and every write. Writes: leads and programme managers (viewers, evaluators 403); a
refused step is a 400 (drafting while version 2 is open, sharing a shared version, signing a
draft); signing is for a lead of the institute (a programme manager leads none: 403).
"""

from __future__ import annotations

from tests.permissions.registry import api_answers, api_register


def project(w) -> dict:
    return {"slug": w.project.slug}


def frozen(w) -> dict:
    return {"slug": w.project.slug, "number": w.report_frozen.number}


def draft(w) -> dict:
    return {"slug": w.project.slug, "number": w.report_draft.number}


def read(developer: int = 404) -> dict:
    return api_answers(
        outsider=404, viewer=200, evaluator=200, lead=200, pm=200, developer=developer
    )


def leads(ok: int) -> dict:
    return api_answers(outsider=404, viewer=403, evaluator=403, lead=ok, pm=ok, developer=404)


api_register(
    "project-report-list",
    kwargs=project,
    get=read(developer=200),
    post=leads(400),
    data=lambda w: {"title": "Another"},
)
api_register(
    "project-report-detail",
    kwargs=draft,
    get=read(),
    patch=leads(200),
    data=lambda w: {"title": "Edited in the matrix"},
)
api_register("project-report-submit", kwargs=draft, post=leads(200))
api_register(
    "project-report-approve",
    kwargs=draft,
    post=api_answers(outsider=404, viewer=403, evaluator=403, lead=400, pm=403, developer=404),
    data=lambda w: {"institute": w.institute_a.code},
)
api_register("project-report-share", kwargs=frozen, post=leads(400))
api_register("project-report-pdf", kwargs=frozen, get=read(developer=200))
api_register("project-report-bundle", kwargs=frozen, get=read())
