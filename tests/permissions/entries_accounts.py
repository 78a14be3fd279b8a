"""Routes of institutes/urls.py: the second-factor pages and a project's audit trail.

The second-factor pages are every signed-in user's own (no object in their address). In this
world nobody has enrolled: verification sends to enrolment (302), a wrong code shows the form
again (200), new recovery codes need a device first (302 to enrolment).
A project's trail: its leads and programme managers; other participants 403, outsiders 404.
API tokens: every signed-in user makes (a read token: viewers may hold no other) and lists their
own; only the owner revokes a token, from this page (anyone else: 404, programme managers too:
they revoke in the admin)."""

from institutes.services import token_create
from tests.permissions.registry import answers, everyone, register

register("two_factor", get=everyone(200))
register(
    "two_factor_setup", get=everyone(200), post=everyone(200), data=lambda w: {"code": "000000"}
)
register("two_factor_verify", get=everyone(302), post=everyone(302), data=lambda w: {"code": "1"})
register("two_factor_recovery", get=everyone(200), post=everyone(302))
register(
    "project_audit",
    kwargs=lambda w: {"slug": w.project.slug},
    get=answers(outsider=404, viewer=403, evaluator=403, lead=200, pm=200),
)
register(
    "api_tokens",
    get=everyone(200),
    post=everyone(200),
    data=lambda w: {"name": "matrix token", "scope": "read", "expires_in_days": "5"},
)


def _leads_token(w):
    """A token of the lead's, made when the revoke route is first checked (and kept for it)."""
    if "leads_token" not in w.extra:
        w.extra["leads_token"], _ = token_create(user=w.users["lead"], name="matrix", scope="read")
    return w.extra["leads_token"]


register(
    "api_token_revoke",
    kwargs=lambda w: {"pk": _leads_token(w).pk},
    get=answers(outsider=404, viewer=404, evaluator=404, lead=405, pm=404),
    post=answers(outsider=404, viewer=404, evaluator=404, lead=302, pm=404),
)
