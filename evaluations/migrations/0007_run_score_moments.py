"""Runs carry the sufficient statistics of their sample scores (computed once, at ingestion), and
the sample table is vacuumed soon after large inserts.

Why the autovacuum settings: a run's page counts its samples with an index-only scan, which reads
every heap page (a 10^5-sample run: 25,000 pages, hundreds of ms) until VACUUM has marked the
pages all-visible. PostgreSQL's default triggers an insert vacuum after 20% of the table's rows
are new, so on a large table a fresh run could wait for days. These settings vacuum after 10,000
new rows plus 0.5% of the table (PostgreSQL 13+; nothing on other databases).
"""

from django.db import migrations, models

TABLE = "evaluations_sampleresult"


def set_autovacuum(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE {TABLE} SET (autovacuum_vacuum_insert_threshold = 10000, "
            "autovacuum_vacuum_insert_scale_factor = 0.005)"
        )


def reset_autovacuum(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE {TABLE} RESET (autovacuum_vacuum_insert_threshold, "
            "autovacuum_vacuum_insert_scale_factor)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0006_default_review_labels"),
    ]

    operations = [
        migrations.AddField(
            model_name="evaluationrun",
            name="score_moments",
            field=models.JSONField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(set_autovacuum, reset_autovacuum, elidable=True),
    ]
