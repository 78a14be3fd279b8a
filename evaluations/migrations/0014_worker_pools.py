"""Worker pools: institutes run Concord's jobs on their own machines (`concord worker`)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from institutes import audit


def install_audit(apps, schema_editor):
    # The new pools table is audited like every other (SQLite: after migrate, audit_sqlite).
    if schema_editor.connection.vendor == "postgresql":
        audit.install_triggers(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0013_external_runs"),
        ("institutes", "0005_api_token_names"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="WorkerPool",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100)),
                ("description", models.TextField(blank=True)),
                (
                    "is_default",
                    models.BooleanField(
                        default=False,
                        help_text="Runs the institute's jobs in projects that chose no pool.",
                    ),
                ),
                ("credential_prefix", models.CharField(editable=False, max_length=16)),
                (
                    "credential_hash",
                    models.CharField(editable=False, max_length=64, unique=True),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("revoked_at", models.DateTimeField(blank=True, null=True)),
                ("last_seen_at", models.DateTimeField(blank=True, null=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "institute",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="worker_pools",
                        to="institutes.institute",
                    ),
                ),
            ],
            options={
                "ordering": ["institute__code", "name"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("is_default", True), ("revoked_at__isnull", True)),
                        fields=("institute",),
                        name="workerpool_one_default_per_institute",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("revoked_at__isnull", True)),
                        fields=("institute", "name"),
                        name="workerpool_unique_active_name",
                    ),
                ],
            },
        ),
        migrations.AddField(
            model_name="evaluationjob",
            name="pool",
            field=models.ForeignKey(
                blank=True,
                help_text="The institute's worker pool that runs this job (empty: Concord's own "
                "workers).",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="jobs",
                to="evaluations.workerpool",
            ),
        ),
        migrations.AddField(
            model_name="participation",
            name="worker_pool",
            field=models.ForeignKey(
                blank=True,
                help_text="The institute's pool that runs its jobs in this project (empty: the "
                "institute's default pool if it has one, else Concord's own workers).",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="participations",
                to="evaluations.workerpool",
            ),
        ),
        migrations.AddIndex(
            model_name="evaluationjob",
            index=models.Index(fields=["pool", "status", "enqueued_at"], name="job_pool_queue_idx"),
        ),
        migrations.RunPython(install_audit, migrations.RunPython.noop, elidable=False),
    ]
