"""The audit triggers on SQLite (the one-command demo): the same events as PostgreSQL's.

SQLite has triggers but no session settings, so who is writing reaches them through
`concord_setting(key)`, a function registered on every SQLite connection that reads
`institutes.audit`'s context. SQLite triggers cannot inspect a row generically, so each table's
trigger is written out from its model's columns: the whole row on insert and delete, the changed
columns (old and new) on update, bookkeeping columns ignored and secrets redacted, the project
found through the row's project, run, job, finding or workstream as on PostgreSQL.

SQLite rebuilds a table to alter it, and a trigger that reads the rebuilt table fails the rebuild:
every audit trigger is dropped before `migrate` runs (pre_migrate) and installed again when it
ends (post_migrate).
"""

# The trigger SQL is built from the models' own table and column names (quoted), never from input.
# ruff: noqa: S608

from __future__ import annotations

from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate, pre_migrate
from django.dispatch import receiver

from institutes import audit

PREFIX = "concord_audit_"


def _setting(key):
    return audit.current_setting(str(key))


@receiver(connection_created, dispatch_uid="concord-audit-sqlite-function")
def register_function(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("concord_setting", 1, _setting)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _object(model, alias: str, quote) -> str:
    """json_object of every column of the row `alias` (NEW or OLD)."""
    parts = []
    for f in model._meta.concrete_fields:
        col = f"{alias}.{quote(f.column)}"
        kind = f.get_internal_type()
        if kind == "JSONField":
            value = f"json({col})"
        elif kind == "BooleanField":
            value = f"json(CASE {col} WHEN 1 THEN 'true' WHEN 0 THEN 'false' END)"
        else:
            value = col
        parts.append(f"{_literal(f.column)}, {value}")
    return "json_object(" + ", ".join(parts) + ")"


def _redact(model, expr: str) -> str:
    for f in model._meta.concrete_fields:
        if f.column in audit.SECRET_COLUMNS:
            path = _literal(f"$.{f.column}")
            expr = (
                f"(SELECT CASE WHEN json_type(d, {path}) IS NOT NULL "
                f"THEN json_set(d, {path}, '(redacted)') ELSE d END FROM (SELECT {expr} AS d))"
            )
    return expr


def _project(apps, model, alias: str, quote) -> str:
    """The project a row belongs to, as the PostgreSQL trigger finds it."""
    columns = {f.column for f in model._meta.concrete_fields}

    def table(label: str) -> str:
        return quote(apps.get_model(label)._meta.db_table)

    project = apps.get_model("evaluations.EvaluationProject")
    if model._meta.db_table == project._meta.db_table:
        return f"{alias}.{quote(model._meta.pk.column)}"
    candidates = []
    if "project_id" in columns:
        candidates.append(f"{alias}.project_id")
    if model._meta.app_label == "evaluations":
        for column, label in (
            ("run_id", "evaluations.EvaluationRun"),
            ("job_id", "evaluations.EvaluationJob"),
            ("finding_id", "evaluations.Finding"),
            ("workstream_id", "evaluations.Workstream"),
        ):
            if column in columns:
                candidates.append(
                    f"(SELECT project_id FROM {table(label)} WHERE id = {alias}.{column})"
                )
        if model._meta.label == "evaluations.SampleReview":
            candidates.append(
                f"(SELECT r.project_id FROM {table('evaluations.SampleResult')} s "
                f"JOIN {table('evaluations.EvaluationRun')} r ON r.id = s.run_id "
                f"WHERE s.id = {alias}.sample_id)"
            )
    if not candidates:
        return "NULL"
    return candidates[0] if len(candidates) == 1 else "coalesce(" + ", ".join(candidates) + ")"


def _insert(apps, model, action: str, alias: str, changes: str, quote) -> str:
    event = quote(apps.get_model("institutes.AuditEvent")._meta.db_table)
    pk = f"coalesce(CAST({alias}.{quote(model._meta.pk.column)} AS TEXT), '')"
    return (
        f"INSERT INTO {event} (at, actor_id, actor_kind, token_id, ip, request_id, source, "
        f'action, "table", object_id, project_id, changes) '
        f"SELECT strftime('%Y-%m-%d %H:%M:%f', 'now'), "
        f"CAST(nullif(concord_setting('actor_id'), '') AS INTEGER), "
        f"coalesce(nullif(concord_setting('actor_kind'), ''), 'system'), "
        f"CAST(nullif(concord_setting('token_id'), '') AS INTEGER), "
        f"nullif(concord_setting('ip'), ''), concord_setting('request_id'), "
        f"substr(concord_setting('source'), 1, 200), "
        f"'{action}', {_literal(model._meta.db_table)}, {pk}, "
        f"{_project(apps, model, alias, quote)}, changes FROM (SELECT {changes} AS changes) "
        f"WHERE changes != '{{}}'"
    )


def trigger_sql(apps, quote) -> list[str]:
    out = []
    ignored = ", ".join(_literal(c) for c in audit.IGNORED_COLUMNS)
    for model in _models(apps):
        name = model._meta.db_table
        new, old = _object(model, "NEW", quote), _object(model, "OLD", quote)
        diff = (
            "(SELECT json_group_object(o.key, json_array(o.value, n.value)) "
            f"FROM json_each({old}) o JOIN json_each({new}) n ON n.key = o.key "
            f"WHERE o.value IS NOT n.value AND o.key NOT IN ({ignored}))"
        )
        for op, alias, changes in (
            ("insert", "NEW", new),
            ("update", "NEW", diff),
            ("delete", "OLD", old),
        ):
            body = _insert(apps, model, op, alias, _redact(model, changes), quote)
            out.append(f"DROP TRIGGER IF EXISTS {quote(PREFIX + op + '_' + name)}")
            out.append(
                f"CREATE TRIGGER {quote(PREFIX + op + '_' + name)} AFTER {op.upper()} "
                f"ON {quote(name)} FOR EACH ROW BEGIN {body}; END"
            )
    return out


def _models(apps):
    tables = set(audit.audited_tables(apps))
    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.db_table in tables and not m._meta.proxy and m._meta.managed
    ]


def install(apps, schema_editor) -> None:
    connection = schema_editor.connection
    register_function(None, connection)
    for statement in trigger_sql(apps, connection.ops.quote_name):
        schema_editor.execute(statement, params=None)


@receiver(pre_migrate, dispatch_uid="concord-audit-sqlite-triggers-off")
def drop_before_migrate(sender, using="default", **kwargs):
    """A migration that rebuilds a table (SQLite's way to add a column with a default) fails
    while another table's trigger reads the rebuilt one: every audit trigger goes before
    migrations run, and `reinstall_after_migrate` puts them back once they end."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor != "sqlite" or sender.label != "institutes":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
            [PREFIX + "%"],
        )
        names = [row[0] for row in cursor.fetchall()]
        for name in names:
            cursor.execute(f"DROP TRIGGER IF EXISTS {connection.ops.quote_name(name)}")


@receiver(post_migrate, dispatch_uid="concord-audit-sqlite-triggers")
def reinstall_after_migrate(sender, app_config=None, using="default", apps=None, **kwargs):
    """SQLite drops a table's triggers when a migration rebuilds it: put them back."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor != "sqlite" or apps is None or sender.label != "institutes":
        return
    try:
        apps.get_model("institutes.AuditEvent")
        apps.get_model("evaluations.EvaluationProject")
    except LookupError:
        return  # migrated only part of the way
    with connection.schema_editor() as schema_editor:
        install(apps, schema_editor)
