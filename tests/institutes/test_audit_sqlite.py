"""The SQLite demo keeps the same trail as PostgreSQL: its triggers record inserts, updates (the
changed columns only, secrets redacted) and deletes with who did them and the project. Run in a
subprocess against a fresh SQLite database (the suite itself runs on PostgreSQL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json
from institutes import audit
from institutes.models import AuditEvent, User
from evaluations.models import EvaluationProject, Finding

before = AuditEvent.objects.count()
user = User.objects.create_user(username="zed", password="a long enough password 1")
with audit.acting_as(actor_id=user.pk, actor_kind="user", source="check"):
    project = EvaluationProject.objects.create(slug="sq", title="SQ")
    finding = Finding.objects.create(project=project, title="Solves CTFs")
    finding.status = "agreed"
    finding.save()
    user.set_password("another long password 2")
    user.save()
    finding.delete()
events = [
    {k: getattr(e, k) for k in ("actor_id", "actor_kind", "source", "action", "table", "project_id")}
    | {"changes": e.changes}
    for e in AuditEvent.objects.order_by("id")[before:]
]
print("EVENTS" + json.dumps({"user": user.pk, "project": project.pk, "events": events}))
"""


@pytest.mark.timeout(120)
def test_the_sqlite_demo_records_the_same_events(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "SECRET_KEY": "test-only-secret-key-for-the-sqlite-audit-check",
        "DEBUG": "1",
        "CONCORD_LOG_DIR": str(tmp_path / "logs"),
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=ROOT, check=True, timeout=110)
    out = subprocess.run(
        [*manage, "shell", "-c", SCRIPT],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    ).stdout
    data = json.loads(out.split("EVENTS", 1)[1])
    events = [e for e in data["events"] if e["source"] == "check"]
    by = {(e["table"], e["action"]): e for e in events}
    assert set(by) == {
        ("evaluations_evaluationproject", "insert"),
        ("evaluations_finding", "insert"),
        ("evaluations_finding", "update"),
        ("institutes_user", "update"),
        ("evaluations_finding", "delete"),
    }
    assert all((e["actor_id"], e["actor_kind"]) == (data["user"], "user") for e in events)
    assert by[("evaluations_finding", "update")]["changes"] == {"status": ["draft", "agreed"]}
    assert by[("evaluations_finding", "update")]["project_id"] == data["project"]
    assert by[("institutes_user", "update")]["changes"] == {"password": "(redacted)"}
    assert by[("evaluations_finding", "delete")]["changes"]["title"] == "Solves CTFs"
    # Writes outside any context are the system's, as on PostgreSQL.
    [created] = [
        e for e in data["events"] if e["table"] == "institutes_user" and e["action"] == "insert"
    ]
    assert (created["actor_id"], created["actor_kind"]) == (None, "system")
