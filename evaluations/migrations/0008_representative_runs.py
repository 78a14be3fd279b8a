"""Runs know whether they are complete; a lead may pin a cell's representative run.

Existing runs: their logs are not read again here (that could take hours). They are marked
complete unless a successful run of the same task in the same project covers more samples: such
a smaller run cannot be the whole dataset, so it stops standing in for a fuller one. Their dataset
size stays unknown (null). The new table gets the audit trigger like every other one (on
PostgreSQL here; SQLite's are put back after every migrate)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import Max

from institutes import audit


def mark_smaller_runs_partial(apps, schema_editor):
    run_model = apps.get_model("evaluations", "EvaluationRun")
    largest = (
        run_model.objects.filter(status="success")
        .order_by()
        .values("project_id", "task_id")
        .annotate(most=Max("sample_count"))
    )
    for row in largest:
        run_model.objects.filter(
            project_id=row["project_id"], task_id=row["task_id"], sample_count__lt=row["most"]
        ).update(complete=False)


def install_audit(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        audit.install_triggers(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0007_run_score_moments"),
        ("institutes", "0004_audit_triggers"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="evaluationrun",
            name="dataset_samples",
            field=models.PositiveIntegerField(
                blank=True,
                null=True,
                help_text="Samples in the task's dataset, from the log's header.",
            ),
        ),
        migrations.AddField(
            model_name="evaluationrun",
            name="complete",
            field=models.BooleanField(
                default=True,
                help_text="Every dataset sample at every configured epoch, no subset.",
            ),
        ),
        migrations.RunPython(mark_smaller_runs_partial, migrations.RunPython.noop),
        migrations.CreateModel(
            name="PinnedRun",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("pinned_at", models.DateTimeField()),
                (
                    "pinned_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "project",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="pinned_runs",
                        to="evaluations.evaluationproject",
                    ),
                ),
                (
                    "run",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="pins",
                        to="evaluations.evaluationrun",
                    ),
                ),
                (
                    "system",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="evaluations.aisystem",
                    ),
                ),
                (
                    "task",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="evaluations.evaluationtask",
                    ),
                ),
            ],
            options={"ordering": ["project", "task", "system"]},
        ),
        migrations.AddConstraint(
            model_name="pinnedrun",
            constraint=models.UniqueConstraint(
                fields=("project", "task", "system"), name="pinnedrun_one_per_cell"
            ),
        ),
        migrations.RunPython(install_audit, migrations.RunPython.noop, elidable=False),
    ]
