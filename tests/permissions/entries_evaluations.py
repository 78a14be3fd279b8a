"""Project and guideline pages. The world: tests.evaluations.factories.joint_world.

Reading: anonymous -> login, outsider -> 404, participants and programme managers -> 200.
Writing: refused with 403 (form page and POST) below the role the action needs; an allowed
POST redirects (302) or, when the fixed data is not valid for that user, shows the form (200).
"""

from __future__ import annotations

from dataclasses import asdict

from evaluations.models import Domain
from evaluations.services import guidelines
from tests.evaluations.factories import joint_world
from tests.permissions.registry import answers, everyone, register, world_part


@world_part
def evaluations_world(w) -> None:
    jw = joint_world(
        alice=w.users["lead"],
        pm=w.users["pm"],
        institute_a=w.institute_a,
        institute_b=w.institute_b,
    )
    w.extra.update({key: getattr(jw, key) for key in asdict(jw)})
    # A guideline with no open version, where a new version can be drafted (one open at a time).
    w.extra["fresh_guideline"] = guidelines.guideline_create(
        user=w.users["lead"],
        code="rad-protocol",
        title="Radiological protocol",
        owner_institute=w.institute_a,
        required_institutes=[w.institute_a, w.institute_b],
    )


def read() -> dict:
    return answers(outsider=404, viewer=200, evaluator=200, lead=200, pm=200)


def manage(ok: int = 302, *, lead: int | None = None) -> dict:
    return answers(outsider=404, viewer=403, evaluator=403, lead=lead or ok, pm=ok)


def act(ok: int = 302) -> dict:
    return answers(outsider=404, viewer=403, evaluator=ok, lead=ok, pm=ok)


def post_only(check: dict) -> dict:
    """GET of a POST-only route: same refusals, 405 for those who could POST."""
    return {role: (405 if answer == 302 else answer) for role, answer in check.items()}


def project(w) -> dict:
    return {"slug": w.project.slug}


register("dashboard:home", get=everyone(200))

# --- projects -----------------------------------------------------------------------------
register("projects:list", get=everyone(200))
register(
    "projects:create",
    # charlie leads institute C, so he may open projects (for C: the data names A, hence 200).
    get=answers(outsider=200, viewer=403, evaluator=403, lead=200, pm=200),
    post=answers(outsider=200, viewer=403, evaluator=403, lead=302, pm=302),
    data=lambda w: {"title": "Another project", "lead_institute": w.institute_a.pk},
)
register("projects:detail", kwargs=project, get=read())
register(
    "projects:edit",
    kwargs=project,
    get=manage(200),
    post=manage(),
    data=lambda w: {"title": "Renamed"},
)
register(
    "projects:transition",
    kwargs=project,
    get=post_only(manage()),
    post=manage(),
    data=lambda w: {"status": "active"},
)
register(
    "projects:participation_add",
    kwargs=project,
    get=manage(200),
    # alice does not lead C, so the institute is not among her choices (a form error, 200).
    post=manage(lead=200),
    data=lambda w: {"institute": w.institute_c.pk, "role": "partner"},
)
register(
    "projects:participation_remove",
    kwargs=lambda w: {"slug": w.project.slug, "institute_id": w.institute_b.pk},
    get=post_only(manage()),
    post=manage(),
)
register(
    "projects:system_add",
    kwargs=project,
    get=manage(200),
    post=manage(),
    data=lambda w: {"system": w.spare_system.pk, "is_reference": "on"},
)
register(
    "projects:system_create",
    kwargs=project,
    get=manage(200),
    post=manage(),
    data=lambda w: {
        "developer": "New Lab",
        "name": "Newcomer",
        "kind": "model",
        "inspect_model": "mockllm/model",
    },
)
register(
    "projects:system_remove",
    kwargs=lambda w: {"slug": w.project.slug, "system_id": w.reference.pk},
    get=post_only(manage()),
    post=manage(),
)
register(
    "projects:window_add",
    kwargs=project,
    get=manage(200),
    post=manage(),
    data=lambda w: {
        "system": w.reference.pk,
        "starts_at": "2030-01-01T00:00",
        "ends_at": "2030-01-10T00:00",
    },
)
register(
    "projects:window_delete",
    kwargs=lambda w: {"slug": w.project.slug, "pk": w.window.pk},
    get=post_only(manage()),
    post=manage(),
)
register(
    "projects:workstream_add",
    kwargs=project,
    get=manage(200),
    post=manage(),
    data=lambda w: {
        "domain": Domain.objects.get(slug="biological").pk,
        "lead_institute": w.institute_a.pk,
    },
)
register(
    "projects:workstream_edit",
    kwargs=lambda w: {"slug": w.project.slug, "pk": w.workstream.pk},
    get=manage(200),
    post=manage(),
    data=lambda w: {"lead_institute": w.institute_b.pk},
)
register(
    "projects:workstream_delete",
    kwargs=lambda w: {"slug": w.project.slug, "pk": w.workstream.pk},
    get=post_only(manage()),
    post=manage(),
)
register(
    "projects:finding_add",
    kwargs=project,
    get=act(200),
    post=act(),
    data=lambda w: {"title": "Another finding", "severity": "low"},
)
register(
    "projects:finding_edit",
    kwargs=lambda w: {"slug": w.project.slug, "pk": w.finding.pk},
    get=act(200),
    post=act(),
    data=lambda w: {"title": "Reworded", "severity": "high"},
)
register(
    "projects:finding_transition",
    kwargs=lambda w: {"slug": w.project.slug, "pk": w.finding.pk},
    get=post_only(manage()),
    post=manage(),
    data=lambda w: {"status": "agreed"},
)
register(
    "projects:guideline_adopt",
    kwargs=project,
    get=manage(200),
    post=manage(),
    data=lambda w: {"version": w.adoptable.pk},
)

# --- guidelines ---------------------------------------------------------------------------
# The guideline is owned by A and must be signed by A and B; C has nothing to do with it.


def guideline(w) -> dict:
    return {"code": w.guideline.code}


def version(attr: str):
    return lambda w: {"code": getattr(w, attr).guideline.code, "number": getattr(w, attr).number}


register("guidelines:list", get=everyone(200))
register(
    "guidelines:create",
    get=answers(outsider=200, viewer=403, evaluator=403, lead=200, pm=200),
    post=answers(outsider=200, viewer=403, evaluator=403, lead=302, pm=302),
    data=lambda w: {
        "code": "new-protocol",
        "title": "New protocol",
        "owner_institute": w.institute_a.pk,
        "required_institutes": [w.institute_a.pk],
    },
)
register("guidelines:detail", kwargs=guideline, get=read())
register(
    "guidelines:diff",
    kwargs=guideline,
    get=read(),
    query=lambda w: {"old": w.v1.number, "new": w.v2.number},
)
register(
    "guidelines:version_create",
    kwargs=lambda w: {"code": w.fresh_guideline.code},
    get=act(200),
    post=act(),
    data=lambda w: {"body_markdown": "# Protocol\n\nRun 30 epochs.", "change_summary": "More."},
)
register(
    "guidelines:version_edit",
    kwargs=version("draft"),
    get=act(200),
    post=act(),
    data=lambda w: {"body_markdown": "# Protocol\n\nRun 25 epochs."},
)
register(
    "guidelines:version_submit",
    kwargs=version("draft"),
    get=post_only(act()),
    post=act(),
)
register(
    "guidelines:version_approve",
    kwargs=version("v2"),
    # Only a lead of a required institute signs for it: not a programme manager.
    get=answers(outsider=404, viewer=405, evaluator=405, lead=405, pm=405),
    post=answers(outsider=404, viewer=403, evaluator=403, lead=302, pm=403),
    data=lambda w: {"institute": w.institute_a.pk},
)
