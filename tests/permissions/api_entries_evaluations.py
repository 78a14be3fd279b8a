"""API routes for projects, systems, guidelines and findings. The world is the page
matrix's (tests.evaluations.factories.joint_world): project `frontier` led by A with B as
partner; guideline `bio-protocol` (v1 approved, v2 in review signed by B); `cyber-protocol`, another
guideline of A, with `adoptable` its approved v1 and `draft` its v2; `fresh_guideline` without
versions, where one may be drafted.

Reading: anonymous 401, outsider 404, participants and programme managers 200.
Writing: 403 below the role the service asks for, 404 for outsiders (the object is not found
before any rule is asked)."""

from __future__ import annotations

from tests.permissions.registry import api_answers, api_everyone, api_register


def read() -> dict:
    return api_answers(outsider=404, viewer=200, evaluator=200, lead=200, pm=200)


def manage(ok: int = 200, *, lead: int | None = None) -> dict:
    return api_answers(outsider=404, viewer=403, evaluator=403, lead=lead or ok, pm=ok)


def act(ok: int = 200) -> dict:
    return api_answers(outsider=404, viewer=403, evaluator=ok, lead=ok, pm=ok)


def project(w) -> dict:
    return {"slug": w.project.slug}


# --- projects -----------------------------------------------------------------------------
api_register(
    "project-list",
    get=api_everyone(200),
    # charlie leads C but not A, which the data names.
    post=api_answers(outsider=403, viewer=403, evaluator=403, lead=201, pm=201),
    data=lambda w: {"title": "Matrix study", "lead_institute": w.institute_a.code},
)
api_register(
    "project-detail",
    kwargs=project,
    get=read(),
    patch=manage(),
    data=lambda w: {"title": "Renamed", "embargo_until": None},
)
api_register(
    "project-transition", kwargs=project, post=manage(), data=lambda w: {"status": "active"}
)
api_register(
    "project-participants",
    kwargs=project,
    # alice does not lead C: refused with the field (400); a programme manager adds anyone.
    post=manage(201, lead=400),
    data=lambda w: {"institute": w.institute_c.code},
)
api_register(
    "project-participant-detail",
    kwargs=lambda w: {"slug": w.project.slug, "institute_code": w.institute_b.code},
    delete=manage(204),
)
api_register(
    "project-systems",
    kwargs=project,
    post=manage(201),
    data=lambda w: {"system": w.spare_system.pk, "is_reference": True},
)
api_register(
    "project-system-detail",
    kwargs=lambda w: {"slug": w.project.slug, "system_id": w.reference.pk},
    delete=manage(204),
)
api_register(
    "project-access-windows",
    kwargs=project,
    post=manage(201),
    data=lambda w: {
        "system": w.reference.pk,
        "starts_at": "2030-01-01T00:00:00Z",
        "ends_at": "2030-01-10T00:00:00Z",
    },
)
api_register(
    "project-access-window-detail",
    kwargs=lambda w: {"slug": w.project.slug, "window_id": w.window.pk},
    delete=manage(204),
)
api_register(
    "project-workstreams",
    kwargs=project,
    post=manage(201),
    data=lambda w: {"domain": "biological", "lead_institute": w.institute_a.code},
)
api_register(
    "project-workstream-detail",
    kwargs=lambda w: {"slug": w.project.slug, "workstream_id": w.workstream.pk},
    patch=manage(),
    delete=manage(204),
    data=lambda w: {"description": "Capture-the-flag tasks."},
)
api_register(
    "project-adopt",
    kwargs=project,
    post=manage(201),
    data=lambda w: {"version": w.adoptable.pk},
)

# --- systems ------------------------------------------------------------------------------
api_register(
    "system-list",
    get=api_everyone(200),
    # Leads of any institute (charlie leads C) and programme managers register systems.
    post=api_answers(outsider=201, viewer=403, evaluator=403, lead=201, pm=201),
    data=lambda w: {"developer": "Matrix Lab", "name": "M", "inspect_model": "mockllm/model"},
)
api_register(
    "system-detail",
    kwargs=lambda w: {"pk": w.target.pk},
    get=read(),
    patch=manage(),
    data=lambda w: {"description": "The target."},
)

# --- guidelines ---------------------------------------------------------------------------


def version(attr: str):
    return lambda w: {"code": getattr(w, attr).guideline.code, "number": getattr(w, attr).number}


api_register(
    "guideline-list",
    get=api_everyone(200),
    post=api_answers(outsider=403, viewer=403, evaluator=403, lead=201, pm=201),
    data=lambda w: {
        "code": "matrix-protocol",
        "title": "Matrix protocol",
        "owner_institute": w.institute_a.code,
        "required_institutes": [w.institute_a.code],
    },
)
api_register("guideline-detail", kwargs=lambda w: {"code": w.guideline.code}, get=read())
api_register(
    "guideline-versions",
    kwargs=lambda w: {"code": w.fresh_guideline.code},
    get=read(),
    post=act(201),
    data=lambda w: {"body_markdown": "# Protocol\n\nRun 30 epochs."},
)
api_register(
    "guideline-version-detail",
    kwargs=version("draft"),
    get=read(),
    patch=act(),
    data=lambda w: {"body_markdown": "# Protocol\n\nRun 25 epochs."},
)
api_register("guideline-version-submit", kwargs=version("draft"), post=act())
api_register(
    "guideline-version-approve",
    kwargs=version("v2"),
    # Only a lead of a required institute signs for it: not a programme manager.
    post=api_answers(outsider=404, viewer=403, evaluator=403, lead=200, pm=403),
    data=lambda w: {"institute": w.institute_a.code},
)

# --- findings -----------------------------------------------------------------------------
api_register(
    "finding-list",
    get=api_everyone(200),
    # The project is named in the body: to an outsider it does not exist (400 on the field).
    post=api_answers(outsider=400, viewer=403, evaluator=201, lead=201, pm=201),
    data=lambda w: {"project": w.project.slug, "title": "Matrix finding"},
)
api_register(
    "finding-detail",
    kwargs=lambda w: {"pk": w.finding.pk},
    get=read(),
    patch=act(),
    data=lambda w: {"title": "Reworded"},
)
api_register(
    "finding-transition",
    kwargs=lambda w: {"pk": w.finding.pk},
    post=manage(),
    data=lambda w: {"status": "agreed"},
)
