"""API of a project's developer contacts (/api/v1/projects/<slug>/developer-contacts/) on the
world's project (entries_developers.py builds its contacts): leads and programme managers list,
invite and revoke; the project's viewers and evaluators 403; outsiders and developer contacts
(devon among them) 404."""

from __future__ import annotations

from tests.permissions.registry import api_answers, api_register


def manage(ok: int) -> dict:
    return api_answers(outsider=404, viewer=403, evaluator=403, lead=ok, pm=ok, developer=404)


api_register(
    "project-developer-contact-list",
    kwargs=lambda w: {"slug": w.project.slug},
    get=manage(200),
    post=manage(201),
    data=lambda w: {
        "email": "api.contact@developer.example",
        "name": "Api Contact",
        "organisation": "Frontier Lab",
    },
)
api_register(
    "project-developer-contact-detail",
    kwargs=lambda w: {"slug": w.project.slug, "pk": w.invited_contact.pk},
    delete=manage(204),
)
