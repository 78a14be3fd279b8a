"""Sessions end when they should, at once.

1. **When someone loses access.** Every session stores a hash of the user's password and
   `session_epoch` (`User._get_session_auth_hash`), and Django compares it on every request. The
   triggers below raise the epoch in the same transaction as the change, whatever makes it (a page,
   the admin, a bulk update, raw SQL):
   - a membership is deleted, moved to another user or institute, or lowered to a smaller role;
   - the account is disabled, or loses the programme manager, staff or superuser flag.
   Every session signed in before is then refused on its next request (the user is signed out).
   A raised epoch is never lowered again by a stale `save()` of the user row.
   API tokens need no epoch: their access is worked out again on every request, and a disabled
   user's tokens are refused (`ApiToken.objects.usable()`).

2. **After inactivity, and after a fixed time.** `SessionTimeoutMiddleware` signs a session out
   after CONCORD_SESSION_IDLE_SECONDS without a request, and SESSION_COOKIE_AGE after sign-in
   whatever the activity (Django alone would extend the cookie's age with every save).

The triggers are installed by a migration (`institutes/migrations/0004_audit_triggers.py`). The
demo's SQLite database has no triggers: there, a removed membership takes the user's access
away at once (access is worked out per request) but does not sign them out.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser

from institutes import audit

TRIGGERS_SQL = """
CREATE OR REPLACE FUNCTION concord_membership_ends_sessions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE'
     OR NEW.user_id <> OLD.user_id
     OR NEW.institute_id <> OLD.institute_id
     OR (CASE NEW.role WHEN 'lead' THEN 3 WHEN 'evaluator' THEN 2 ELSE 1 END)
        < (CASE OLD.role WHEN 'lead' THEN 3 WHEN 'evaluator' THEN 2 ELSE 1 END) THEN
    UPDATE %(user)s SET session_epoch = session_epoch + 1 WHERE id = OLD.user_id;
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER concord_membership_sessions
AFTER UPDATE OR DELETE ON %(membership)s
FOR EACH ROW EXECUTE FUNCTION concord_membership_ends_sessions();

CREATE OR REPLACE FUNCTION concord_user_ends_sessions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.session_epoch := GREATEST(NEW.session_epoch, OLD.session_epoch);
  IF (OLD.is_active AND NOT NEW.is_active)
     OR (OLD.is_programme_manager AND NOT NEW.is_programme_manager)
     OR (OLD.is_staff AND NOT NEW.is_staff)
     OR (OLD.is_superuser AND NOT NEW.is_superuser) THEN
    NEW.session_epoch := NEW.session_epoch + 1;
  END IF;
  RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER concord_user_sessions
BEFORE UPDATE ON %(user)s
FOR EACH ROW EXECUTE FUNCTION concord_user_ends_sessions();
"""


def install_triggers(apps, schema_editor) -> None:
    """(Re)create the triggers that end sessions (a migration's RunPython; idempotent), with the
    tables' names taken from the models in `apps`. PostgreSQL only."""
    conn = schema_editor.connection
    if conn.vendor != "postgresql":
        return
    tables = {
        "user": conn.ops.quote_name(apps.get_model("institutes.User")._meta.db_table),
        "membership": conn.ops.quote_name(apps.get_model("institutes.Membership")._meta.db_table),
    }
    schema_editor.execute(TRIGGERS_SQL % tables, params=None)


def remove_triggers(apps, schema_editor) -> None:
    """Undo `install_triggers` (the migration's reverse)."""
    conn = schema_editor.connection
    if conn.vendor != "postgresql":
        return
    quote = conn.ops.quote_name
    user = quote(apps.get_model("institutes.User")._meta.db_table)
    membership = quote(apps.get_model("institutes.Membership")._meta.db_table)
    for statement in (
        f"DROP TRIGGER IF EXISTS concord_membership_sessions ON {membership}",
        f"DROP TRIGGER IF EXISTS concord_user_sessions ON {user}",
        "DROP FUNCTION IF EXISTS concord_membership_ends_sessions()",
        "DROP FUNCTION IF EXISTS concord_user_ends_sessions()",
    ):
        schema_editor.execute(statement, params=None)


SIGNED_IN_AT = "concord_signed_in_at"
SEEN_AT = "concord_seen_at"
# The last-seen time is written at most this often, so most requests do not save the session.
SEEN_RESOLUTION_SECONDS = 60


def expiry_reason(session, now: float) -> str:
    """Why this signed-in session has ended ("" while it has not)."""
    signed_in = session.get(SIGNED_IN_AT)
    if signed_in is None:
        return ""
    if now - signed_in > settings.SESSION_COOKIE_AGE:
        return "absolute"
    if now - session.get(SEEN_AT, signed_in) > settings.CONCORD_SESSION_IDLE_SECONDS:
        return "idle"
    return ""


class SessionTimeoutMiddleware:
    """Signs out a session that has been idle too long or has lived too long (after
    AuthenticationMiddleware and MessageMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self._check(request, user)
        return self.get_response(request)

    def _check(self, request, user) -> None:
        session = request.session
        now = time.time()
        reason = expiry_reason(session, now)
        if reason:
            audit.record("session_expired", request=request, user=user, reason=reason)
            session.flush()
            request.user = AnonymousUser()
            minutes = settings.CONCORD_SESSION_IDLE_SECONDS // 60
            messages.info(
                request,
                f"You were signed out after {minutes} minutes without activity."
                if reason == "idle"
                else "Your session has ended: please sign in again.",
                fail_silently=True,
            )
            return
        if session.get(SIGNED_IN_AT) is None:  # signed in before these limits were kept
            start(session, now)
        elif now - session.get(SEEN_AT, 0) >= SEEN_RESOLUTION_SECONDS:
            session[SEEN_AT] = now


def start(session, now: float | None = None) -> None:
    """Start a signed-in session's clocks (at sign-in: signals.on_login)."""
    now = time.time() if now is None else now
    session[SIGNED_IN_AT] = now
    session[SEEN_AT] = now
