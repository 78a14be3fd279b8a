"""Routes of institutes/urls.py: the second-factor pages and a project's audit trail.

The second-factor pages are every signed-in user's own (no object in their address). In this
world nobody has enrolled: verification sends to enrolment (302), a wrong code shows the form
again (200), new recovery codes need a device first (302 to enrolment).
A project's trail: its leads and programme managers; other participants 403, outsiders 404."""

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
