"""The database triggers: the audit trail on every table of Concord's apps (institutes.audit), and
the ends of sessions when access is lost (institutes.sessions). PostgreSQL only: on SQLite (the
demo) this migration does nothing. Table names come from the models as they stand at this point
of the migrations, so it runs after the other apps' latest migrations."""

from django.db import migrations

from institutes import audit, sessions


def install(apps, schema_editor):
    audit.install_triggers(apps, schema_editor)
    sessions.install_triggers(apps, schema_editor)


def remove(apps, schema_editor):
    sessions.remove_triggers(apps, schema_editor)
    audit.remove_triggers(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("institutes", "0003_two_factor_and_session_epoch"),
        ("evaluations", "0007_run_score_moments"),
        ("exchanges", "0004_default_checklist_items"),
    ]

    operations = [migrations.RunPython(install, remove, elidable=False)]
