"""Routes of config.urls itself: health check and accounts."""

from tests.permissions.registry import LOGIN, answers, everyone, register

register("healthz", get=everyone((200, 503), anonymous=(200, 503)))
register(
    "login",
    get=answers(anonymous=200, outsider=302, viewer=302, evaluator=302, lead=302, pm=302),
)
# Logging out (POST only) lands everyone on the login page.
register("logout", get=everyone(405, anonymous=405), post=everyone(LOGIN))
register("password_change", get=everyone(200), post=everyone(200), data=lambda w: {})
register("password_change_done", get=everyone(200))
