"""Evidence is kept: runs, samples, reviews and published findings cannot be deleted; guideline versions stay in order.

The ORM refuses these deletes (PROTECT and `evaluations.models.evidence`); on PostgreSQL a
BEFORE DELETE trigger refuses them for any other SQL too. TRUNCATE (the test suite's flush) is not
a DELETE and is unaffected.
"""

import django.db.models.deletion
from django.db import migrations, models

KEPT_TABLES = (
    "evaluations_evaluationrun",
    "evaluations_sampleresult",
    "evaluations_samplereview",
    "evaluations_finding",
)

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION concord_keep_evidence() RETURNS trigger AS $$
BEGIN
    IF TG_TABLE_NAME = 'evaluations_finding' THEN
        IF OLD.status <> 'published' THEN
            RETURN OLD;  -- a finding may be deleted until it is published
        END IF;
    END IF;
    RAISE EXCEPTION 'rows of % are evidence and are kept: withdraw or close the project instead',
        TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # the SQLite demo relies on the ORM's guards
    schema_editor.execute(CREATE_FUNCTION, params=None)  # its "%" is PL/pgSQL's, not a parameter
    for table in KEPT_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS concord_keep_evidence ON {table}")
        schema_editor.execute(
            f"CREATE TRIGGER concord_keep_evidence BEFORE DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION concord_keep_evidence()"
        )


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in KEPT_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS concord_keep_evidence ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS concord_keep_evidence()")


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0009_import_override")]

    operations = [
        migrations.AlterField(
            model_name="evaluationrun",
            name="project",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="runs",
                to="evaluations.evaluationproject",
            ),
        ),
        migrations.AlterField(
            model_name="finding",
            name="project",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="findings",
                to="evaluations.evaluationproject",
            ),
        ),
        migrations.AlterField(
            model_name="runscore",
            name="run",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="scores",
                to="evaluations.evaluationrun",
            ),
        ),
        migrations.AlterField(
            model_name="sampleresult",
            name="run",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="samples",
                to="evaluations.evaluationrun",
            ),
        ),
        migrations.AlterField(
            model_name="samplereview",
            name="sample",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reviews",
                to="evaluations.sampleresult",
            ),
        ),
        migrations.AddConstraint(
            model_name="guidelineversion",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ["draft", "in_review"])),
                fields=("guideline",),
                name="guidelineversion_one_open",
                violation_error_message="This guideline already has an open version.",
            ),
        ),
        migrations.RunPython(install, uninstall),
    ]
