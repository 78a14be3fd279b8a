"""Findings cite their evidence (runs, samples, comparisons); reviewers can say a transcript is
incorrect or that the scorer was wrong."""

import django.db.models.deletion
from django.db import migrations, models

from institutes import audit

# Labels for a reviewer who disagrees with the automatic score (see 0006 for the first ones).
LABELS = [
    ("incorrect", "Incorrect", "The answer is wrong.", 15),
    (
        "scorer-wrong",
        "Scorer wrong",
        "The automatic scorer's verdict is wrong: the manual score says what it should be.",
        60,
    ),
]


def add_labels(apps, schema_editor):
    ReviewLabel = apps.get_model("evaluations", "ReviewLabel")
    for slug, name, description, order in LABELS:
        ReviewLabel.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "order": order}
        )


def install_audit(apps, schema_editor):
    # The new evidence table is audited like every other (SQLite: after migrate, audit_sqlite).
    if schema_editor.connection.vendor == "postgresql":
        audit.install_triggers(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0010_evidence_kept")]

    operations = [
        migrations.CreateModel(
            name="FindingEvidence",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("run", "Run"),
                            ("sample", "Sample"),
                            ("comparison", "Comparison"),
                        ],
                        max_length=10,
                    ),
                ),
                (
                    "finding",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="evidence",
                        to="evaluations.finding",
                    ),
                ),
                (
                    "run",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="evaluations.evaluationrun",
                    ),
                ),
                (
                    "run_b",
                    models.ForeignKey(
                        blank=True,
                        help_text="The other run of a comparison.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="evaluations.evaluationrun",
                    ),
                ),
                (
                    "sample",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="evaluations.sampleresult",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "finding evidence",
                "ordering": ["pk"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(kind="run", run_b__isnull=True, sample__isnull=True),
                            models.Q(kind="sample", run_b__isnull=True, sample__isnull=False),
                            models.Q(
                                ("kind", "comparison"),
                                ("run_b__isnull", False),
                                ("sample__isnull", True),
                                models.Q(run=models.F("run_b"), _negated=True),
                            ),
                            _connector="OR",
                        ),
                        name="finding_evidence_shape",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(kind="run"),
                        fields=("finding", "run"),
                        name="finding_evidence_unique_run",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(kind="sample"),
                        fields=("finding", "sample"),
                        name="finding_evidence_unique_sample",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(kind="comparison"),
                        fields=("finding", "run", "run_b"),
                        name="finding_evidence_unique_comparison",
                    ),
                ],
            },
        ),
        migrations.RunPython(install_audit, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(add_labels, migrations.RunPython.noop),
    ]
