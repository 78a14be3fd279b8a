"""The audit trail: who changed what, when, and from where.

Changes are recorded by PostgreSQL triggers on every table of Concord's apps, so nothing escapes
them: ORM saves, bulk `QuerySet.update`, admin actions and raw SQL alike, per row with the changed
columns (secrets redacted). Sample rows, written by the million with COPY, are the exception: a row
trigger would double the cost of ingestion, so the ingestion service records one event per run
with the number of rows instead. Who and from where reach the triggers through session settings
(`concord.actor_id`, ...) that this module sets:

- in web requests, `AuditMiddleware` sets them just before each write statement of the request
  (read-only requests pay nothing), from the signed-in user or the API token;
- in Celery workers, a task_prerun signal marks the worker and the task; the runner ingests a
  job's log `acting_as` the person who queued the job, with the source "job N";
- management commands and migrations are recorded as `system`.

Security events are written with `record()`: logins, failed logins and lockouts (signals.py),
token issue and revocation (services.py), two-factor enrolment and verification, sessions ended
by the idle or absolute timeout, exports (the export views), reads of embargoed results
(`note_embargoed_read`, called by institutes.access when it grants them) and denied access
(`AuditMiddleware`: a 403, or a 404 on an existing route, answered to a signed-in user or token:
one event per request). Within a request, `record()` takes who and from where from the request
being served.

The triggers are installed by a migration (`institutes/migrations/0004_audit_triggers.py`, with
`install_triggers` below). A migration that adds a model adds its trigger the same way:
`migrations.RunPython(audit.install_triggers, audit.install_triggers)` after the model's
operations (idempotent; tests/institutes/test_audit.py fails on a table without one). The
one-command demo runs on SQLite, which has triggers too but no session settings: there
`institutes.audit_sqlite` installs equivalent triggers (after every `migrate`, since SQLite
rebuilds a table to alter it) that read who is writing from this module's context through a
function registered on each connection, so the demo records the same events.
"""

from __future__ import annotations

import logging
import uuid
from contextlib import contextmanager
from contextvars import ContextVar

from django.apps import apps
from django.db import connection, connections

from institutes.network import client_ip

logger = logging.getLogger(__name__)

AUDITED_APPS = ("institutes", "evaluations", "exchanges", "webhooks")
# Models written in bulk (COPY of up to millions of rows): recorded by their writer, one event a run.
BULK_MODELS = ("evaluations.SampleResult",)
# Columns whose changes alone are bookkeeping, not changes worth an event (heartbeats, progress).
IGNORED_COLUMNS = [
    "updated_at",
    "heartbeat_at",
    "progress_done",
    "progress_total",
    "last_used_at",
    "last_login",
    "session_epoch",  # raised by a trigger when a membership ends: that change is the event
]
SECRET_COLUMNS = ["password", "token_hash", "secret_encrypted"]
_WRITES = ("INSERT", "UPDATE", "DELETE", "COPY", "MERGE")

SETTINGS = ("actor_id", "actor_kind", "token_id", "ip", "request_id", "source")

FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION concord_audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  old_j jsonb; new_j jsonb; row_j jsonb; diff jsonb := '{}'::jsonb; k text; obj text; proj bigint;
  ignored text[] := %(ignored)s;
  secret text[] := %(secret)s;
BEGIN
  IF TG_OP = 'INSERT' THEN
    new_j := to_jsonb(NEW); diff := new_j;
  ELSIF TG_OP = 'DELETE' THEN
    old_j := to_jsonb(OLD); diff := old_j;
  ELSE
    old_j := to_jsonb(OLD); new_j := to_jsonb(NEW);
    FOR k IN SELECT jsonb_object_keys(new_j) LOOP
      IF (new_j -> k) IS DISTINCT FROM (old_j -> k) AND NOT (k = ANY(ignored)) THEN
        diff := diff || jsonb_build_object(k, jsonb_build_array(old_j -> k, new_j -> k));
      END IF;
    END LOOP;
    IF diff = '{}'::jsonb THEN RETURN NULL; END IF;
  END IF;
  FOREACH k IN ARRAY secret LOOP
    IF diff ? k THEN diff := jsonb_set(diff, ARRAY[k], '"(redacted)"'::jsonb); END IF;
  END LOOP;
  obj := coalesce(new_j ->> 'id', old_j ->> 'id', '');
  row_j := coalesce(new_j, old_j);
  IF TG_TABLE_NAME = %(project)s THEN
    proj := nullif(obj, '')::bigint;
  ELSE
    proj := (row_j ->> 'project_id')::bigint;
  END IF;
  -- Rows under a run, job, finding or workstream name their project through it, so that a
  -- project's trail (and the embargo on its results' events) covers them too.
  IF proj IS NULL AND TG_TABLE_NAME = ANY(%(evaluation_tables)s) THEN
    IF (row_j ->> 'run_id') IS NOT NULL THEN
      SELECT project_id INTO proj FROM %(run)s WHERE id = (row_j ->> 'run_id')::bigint;
    ELSIF (row_j ->> 'job_id') IS NOT NULL THEN
      SELECT project_id INTO proj FROM %(job)s WHERE id = (row_j ->> 'job_id')::bigint;
    ELSIF (row_j ->> 'finding_id') IS NOT NULL THEN
      SELECT project_id INTO proj FROM %(finding)s WHERE id = (row_j ->> 'finding_id')::bigint;
    ELSIF (row_j ->> 'workstream_id') IS NOT NULL THEN
      SELECT project_id INTO proj FROM %(workstream)s WHERE id = (row_j ->> 'workstream_id')::bigint;
    ELSIF TG_TABLE_NAME = %(review)s THEN
      SELECT r.project_id INTO proj FROM %(sample)s s
        JOIN %(run)s r ON r.id = s.run_id
        WHERE s.id = (row_j ->> 'sample_id')::bigint;
    END IF;
  END IF;
  INSERT INTO %(event)s
    (at, actor_id, actor_kind, token_id, ip, request_id, source, action, "table", object_id, project_id, changes)
  VALUES (
    clock_timestamp(),
    nullif(current_setting('concord.actor_id', true), '')::bigint,
    coalesce(nullif(current_setting('concord.actor_kind', true), ''), 'system'),
    nullif(current_setting('concord.token_id', true), '')::bigint,
    nullif(current_setting('concord.ip', true), '')::inet,
    coalesce(current_setting('concord.request_id', true), ''),
    left(coalesce(current_setting('concord.source', true), ''), 200),
    lower(TG_OP), TG_TABLE_NAME, obj, proj, diff);
  RETURN NULL;
END $$;

"""


def audited_tables(apps) -> list[str]:
    """Every table of Concord's apps in the app registry `apps` (a migration's historical one, or
    `django.apps.apps`), but the audit events themselves and the bulk tables."""
    skip = {
        apps.get_model(label)._meta.db_table for label in (*BULK_MODELS, "institutes.AuditEvent")
    }
    return sorted(
        {
            model._meta.db_table
            for model in apps.get_models(include_auto_created=True)
            if model._meta.app_label in AUDITED_APPS
            and not model._meta.proxy
            and model._meta.managed
        }
        - skip
    )


def _sql_array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]::text[]"


def trigger_sql(apps, quote) -> list[str]:
    """The statements that (re)create the audit function and a trigger on every audited table,
    with the tables' names taken from the models in `apps`; `quote` quotes an identifier."""

    def table(label: str) -> str:
        return quote(apps.get_model(label)._meta.db_table)

    evaluation_tables = sorted(
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label == "evaluations"
    )
    function = FUNCTION_SQL % {
        "ignored": _sql_array(IGNORED_COLUMNS),
        "secret": _sql_array(SECRET_COLUMNS),
        "project": "'" + apps.get_model("evaluations.EvaluationProject")._meta.db_table + "'",
        "review": "'" + apps.get_model("evaluations.SampleReview")._meta.db_table + "'",
        "evaluation_tables": _sql_array(evaluation_tables),
        "run": table("evaluations.EvaluationRun"),
        "job": table("evaluations.EvaluationJob"),
        "finding": table("evaluations.Finding"),
        "workstream": table("evaluations.Workstream"),
        "sample": table("evaluations.SampleResult"),
        "event": table("institutes.AuditEvent"),
    }
    return [function] + [
        f"CREATE OR REPLACE TRIGGER concord_audit AFTER INSERT OR UPDATE OR DELETE ON {quote(name)} "
        "FOR EACH ROW EXECUTE FUNCTION concord_audit_row()"
        for name in audited_tables(apps)
    ]


def install_triggers(apps, schema_editor) -> None:
    """(Re)create the audit triggers (a migration's RunPython; idempotent)."""
    conn = schema_editor.connection
    # SQLite (the demo): `institutes.audit_sqlite` drops its triggers before `migrate` and puts
    # them back when it ends, whatever the migrations did in between.
    if conn.vendor != "postgresql":
        return
    for statement in trigger_sql(apps, conn.ops.quote_name):
        schema_editor.execute(statement, params=None)


def remove_triggers(apps, schema_editor) -> None:
    """Undo `install_triggers` (the migration's reverse)."""
    conn = schema_editor.connection
    if conn.vendor != "postgresql":  # SQLite: see install_triggers
        return
    quote = conn.ops.quote_name
    for name in audited_tables(apps):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS concord_audit ON {quote(name)}", params=None)
    schema_editor.execute("DROP FUNCTION IF EXISTS concord_audit_row()", params=None)


def _set_sql(values: dict) -> tuple[str, list]:
    parts = ", ".join(f"set_config('concord.{key}', %s, false)" for key in SETTINGS)
    return f"SELECT {parts}", [str(values.get(key) or "") for key in SETTINGS]


# Who is writing, as last set by `set_context` in this thread (or task): read by `record()` outside
# requests, and by the SQLite triggers (which have no session settings) through `current_setting`.
_context: ContextVar[dict | None] = ContextVar("concord_audit_context", default=None)


def current_context() -> dict:
    return dict(_context.get() or {})


def current_setting(key: str) -> str:
    """One value of the context, as the PostgreSQL triggers read `concord.<key>` ('' if unset)."""
    return str((_context.get() or {}).get(key) or "")


def set_context(*, using: str = "default", **values) -> None:
    """Mark this connection's session: later writes are recorded as made by this actor."""
    _context.set({k: v for k, v in values.items() if k in SETTINGS and v not in (None, "")})
    conn = connections[using]
    if conn.vendor != "postgresql":
        return
    sql, params = _set_sql(values)
    with conn.cursor() as cursor:
        cursor.execute(sql, params)


def clear_context(using: str = "default") -> None:
    set_context(using=using)


@contextmanager
def acting_as(**values):
    """Record the writes inside the block as made by the given actor (commands, workers, tests);
    the context from before the block (a worker's, say) is restored after it."""
    before = current_context()
    set_context(**values)
    try:
        yield
    finally:
        set_context(**before)


# The request being served in this thread (or task), for events recorded below it.
_current_request: ContextVar = ContextVar("concord_current_request", default=None)


def current_request():
    return _current_request.get()


def request_actor(request) -> dict:
    user = getattr(request, "user", None)
    token_id = getattr(request, "concord_token_id", None)
    # An institute's worker pool (its credential on the worker API): a worker, named by its pool.
    pool = getattr(request, "concord_worker_pool", "")
    if user is not None and getattr(user, "is_authenticated", False):
        kind = "token" if token_id else "user"
        actor_id = user.pk
    elif pool:
        kind, actor_id = "worker", None
    else:
        kind, actor_id = "anonymous", None
    return {
        "actor_id": actor_id,
        "actor_kind": kind,
        "token_id": token_id,
        "ip": client_ip(request),
        "request_id": getattr(request, "concord_request_id", ""),
        "source": (f"pool {pool}: " if pool else "") + f"{request.method} {request.path}"[:200],
    }


class _WriteMarker:
    """Database execute wrapper: before each write statement of a request, tell the session who
    is writing. Reads pass through untouched."""

    def __init__(self, request):
        self.request = request
        self.applied = False

    def __call__(self, execute, sql, params, many, context):
        head = sql.lstrip()[:6].upper()
        if head.startswith(_WRITES) and "institutes_auditevent" not in sql[:80]:
            actor = request_actor(self.request)
            if context["connection"].vendor == "postgresql":
                marker_sql, marker_params = _set_sql(actor)
                context["cursor"].execute(marker_sql, marker_params)
            else:  # SQLite's triggers read the context through a registered function
                _context.set(actor)
            self.applied = True
        return execute(sql, params, many, context)


# Statuses that refuse a signed-in user. A 404 counts only on a route that exists: the access
# policy answers "not yours" with 404 (and on purpose the same as "does not exist").
DENIED_STATUSES = (403, 404)
UNRECORDED_ROUTES = {"api-not-found"}


def _record_denied(request, response) -> None:
    if response.status_code not in DENIED_STATUSES or request.method in ("HEAD", "OPTIONS"):
        return
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return  # anonymous refusals are the login page's business (and a scanner's noise)
    match = getattr(request, "resolver_match", None)
    if response.status_code == 404 and (match is None or match.url_name in UNRECORDED_ROUTES):
        return
    record(
        "access_denied",
        request=request,
        status=response.status_code,
        view=match.view_name if match else "",
        kwargs={k: str(v)[:100] for k, v in (match.kwargs if match else {}).items()},
    )


class AuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.concord_request_id = (
            request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex
        )
        token = _current_request.set(request)
        try:
            response = self._serve(request)
            _record_denied(request, response)
        finally:
            _current_request.reset(token)
        response["X-Request-ID"] = request.concord_request_id
        return response

    def _serve(self, request):
        marker = _WriteMarker(request)
        if connection.vendor != "postgresql":
            token = _context.set(None)
            try:
                with connection.execute_wrapper(marker):
                    return self.get_response(request)
            finally:
                _context.reset(token)
        with connection.execute_wrapper(marker):
            response = self.get_response(request)
        if marker.applied:
            try:
                # A raw cursor: the reset is bookkeeping, not one of the request's queries.
                with connection.connection.cursor() as cursor:
                    sql, params = _set_sql({})
                    cursor.execute(sql, params)
            except Exception:  # the connection may be closed already; a new one starts clean
                logger.debug("could not reset audit context", exc_info=True)
        return response


def record(
    action: str,
    *,
    request=None,
    user=None,
    project_id=None,
    table: str = "",
    object_id="",
    **details,
) -> None:
    """Write a security event (login, failed login, token issued, denied access, export, ...).
    Who and from where: `request` (or the request being served), else the system; `user` names
    the person when the request does not (a login, a token issued by a programme manager)."""
    from institutes.models import AuditEvent

    request = request if request is not None else current_request()
    if request is not None:
        values = request_actor(request)
    else:  # a worker or command: who it acts for, when it said so (`acting_as`)
        values = current_context()
        values.setdefault("actor_kind", "system")
    if user is not None and getattr(user, "pk", None) is not None:
        values["actor_id"] = user.pk
        if values.get("actor_kind") in (None, "anonymous", "system"):
            values["actor_kind"] = "user"
    AuditEvent.objects.create(
        actor_id=values.get("actor_id"),
        actor_kind=values.get("actor_kind") or "system",
        token_id=values.get("token_id") or None,
        ip=values.get("ip") or None,
        request_id=values.get("request_id", ""),
        source=values.get("source", ""),
        action=action,
        table=table,
        object_id=str(object_id or ""),
        project_id=project_id,
        changes=details,
    )


def _project_table() -> str:
    """The projects table's name, from the app registry (institutes does not import evaluations)."""
    return apps.get_model("evaluations", "EvaluationProject")._meta.db_table


def record_export(request, *, project_id, what: str, fmt: str = "", **details) -> None:
    """An export left Concord (a CSV/JSON download, a log file): who took what, from where."""
    record(
        "export",
        request=request,
        project_id=project_id,
        table=_project_table(),
        object_id=project_id,
        what=what,
        format=fmt,
        query=request.GET.urlencode()[:200],
        **details,
    )


def note_embargoed_read(user, project_ids) -> None:
    """Record that `user` was given results of these embargoed projects, once per project and
    request (institutes.access calls this whenever it grants them). Outside a request (workers,
    commands) nobody reads: nothing is recorded."""
    request = current_request()
    if request is None or not project_ids:
        return
    noted = request.__dict__.setdefault("_concord_embargo_noted", set())
    for project_id in sorted(set(project_ids) - noted):
        noted.add(project_id)
        record(
            "embargoed_read",
            request=request,
            user=user,
            project_id=project_id,
            table=_project_table(),
            object_id=project_id,
        )
