"""External runs: Inspect evaluations that institutes run on their own machines report themselves
to Concord while they run (concord-client's Inspect hook)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from institutes import audit


def install_audit(apps, schema_editor):
    # The new table is audited like every other (SQLite: after migrate, audit_sqlite).
    if schema_editor.connection.vendor == "postgresql":
        audit.install_triggers(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0012_import_only_tasks"),
        ("institutes", "0004_audit_triggers"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ExternalRun",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "eval_id",
                    models.CharField(
                        help_text="Inspect's eval id: the log's own identity.",
                        max_length=100,
                        unique=True,
                    ),
                ),
                (
                    "inspect_run_id",
                    models.CharField(blank=True, help_text="Inspect's run id.", max_length=100),
                ),
                (
                    "task_name",
                    models.CharField(help_text="The task as Inspect names it.", max_length=300),
                ),
                (
                    "model",
                    models.CharField(help_text="The model as Inspect names it.", max_length=300),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("running", "Running"),
                            ("succeeded", "Succeeded"),
                            ("failed", "Failed"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="running",
                        max_length=10,
                    ),
                ),
                ("samples_done", models.PositiveIntegerField(default=0)),
                (
                    "samples_total",
                    models.PositiveIntegerField(default=0, help_text="0: not known yet."),
                ),
                ("host", models.CharField(blank=True, max_length=255)),
                ("inspect_version", models.CharField(blank=True, max_length=50)),
                ("error", models.TextField(blank=True)),
                ("started_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "heartbeat_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, help_text="The last word from it."
                    ),
                ),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                (
                    "institute",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="external_runs",
                        to="institutes.institute",
                    ),
                ),
                (
                    "project",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="external_runs",
                        to="evaluations.evaluationproject",
                    ),
                ),
                (
                    "reported_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="reported_external_runs",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "run",
                    models.OneToOneField(
                        blank=True,
                        help_text="The run its log was imported as.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="external_report",
                        to="evaluations.evaluationrun",
                    ),
                ),
            ],
            options={
                "ordering": ["-started_at", "-pk"],
                "indexes": [
                    models.Index(
                        fields=["status", "-started_at"], name="evaluations_status_7b371a_idx"
                    ),
                    models.Index(
                        fields=["project", "-started_at"], name="evaluations_project_aa36dc_idx"
                    ),
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("status__in", ["running", "succeeded", "failed", "cancelled"])
                        ),
                        name="external_run_status_valid",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("samples_done__gte", 0), ("samples_total__gte", 0)),
                        name="external_run_samples_not_negative",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("finished_at__isnull", True), ("status", "running")),
                            models.Q(
                                ("finished_at__isnull", False),
                                ("status__in", ["succeeded", "failed", "cancelled"]),
                            ),
                            _connector="OR",
                        ),
                        name="external_run_finished_when_final",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("eval_id", ""), _negated=True),
                        name="external_run_has_eval_id",
                    ),
                ],
            },
        ),
        migrations.RunPython(install_audit, migrations.RunPython.noop, elidable=False),
    ]
