"""Review queues, what each run's scorers are (judges and their grader models), what each review
label says about the answer, and the guideline's label set and judge threshold."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from institutes import audit

# What each label says about the answer on the scorer's 0-1 scale (None: nothing), and whether it
# is in the default set a review queue offers.
VERDICTS = {
    "correct": (1.0, True),
    "incorrect": (0.0, True),
    "refusal": (0.0, True),
    "scorer-wrong": (None, True),
    "environment-bug": (None, True),
    "tool-use-fault": (None, False),
    "scaffold-non-compliance": (None, False),
}


def set_verdicts(apps, schema_editor):
    ReviewLabel = apps.get_model("evaluations", "ReviewLabel")
    for slug, (verdict, default) in VERDICTS.items():
        ReviewLabel.objects.filter(slug=slug).update(verdict=verdict, default=default)


def install_audit(apps, schema_editor):
    # The new tables are audited like every other (SQLite: after migrate, audit_sqlite).
    if schema_editor.connection.vendor == "postgresql":
        audit.install_triggers(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0014_worker_pools"),
        ("institutes", "0005_api_token_names"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ReviewAssignment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("assigned_at", models.DateTimeField(auto_now_add=True)),
                ("completed_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "ordering": ["assigned_at"],
            },
        ),
        migrations.CreateModel(
            name="ReviewQueue",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=200)),
                ("description", models.TextField(blank=True)),
                (
                    "run_filter",
                    models.JSONField(
                        blank=True,
                        default=dict,
                        help_text="The saved runs filter the runs were chosen by, if any.",
                    ),
                ),
                (
                    "selection",
                    models.CharField(
                        choices=[
                            ("all", "Every sample"),
                            ("count", "N samples per slice value"),
                            ("percent", "A share of the samples per slice value"),
                        ],
                        default="all",
                        max_length=10,
                    ),
                ),
                ("per_slice_count", models.PositiveIntegerField(blank=True, null=True)),
                ("per_slice_percent", models.FloatField(blank=True, null=True)),
                (
                    "slice_key",
                    models.CharField(
                        blank=True,
                        help_text="The sample metadata key (e.g. language) the selection is stratified by and progress is shown by.",
                        max_length=100,
                    ),
                ),
                ("seed", models.BigIntegerField(default=0)),
                ("reviews_per_item", models.PositiveSmallIntegerField(default=1)),
                ("blind", models.BooleanField(default=True)),
                (
                    "status",
                    models.CharField(
                        choices=[("open", "Open"), ("closed", "Closed")],
                        default="open",
                        max_length=10,
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "ordering": ["-created_at"],
            },
        ),
        migrations.CreateModel(
            name="ReviewQueueItem",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "position",
                    models.PositiveIntegerField(help_text="Order in which 'Next' hands items out."),
                ),
                ("slice_value", models.CharField(blank=True, max_length=200)),
            ],
            options={
                "ordering": ["queue", "position"],
            },
        ),
        migrations.CreateModel(
            name="RunScorer",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=200)),
                (
                    "judge",
                    models.BooleanField(
                        default=False,
                        help_text="The scorer is a model grading the answers (an LLM judge).",
                    ),
                ),
                (
                    "grader_model",
                    models.CharField(
                        blank=True,
                        help_text="The judge's model, as Inspect names it.",
                        max_length=200,
                    ),
                ),
            ],
            options={
                "ordering": ["run", "name"],
            },
        ),
        migrations.AddField(
            model_name="guidelineversion",
            name="judge_min_kappa",
            field=models.FloatField(
                blank=True,
                help_text="An LLM judge whose Cohen's kappa with the human majority is below this is flagged on every result that depends on it (empty: no threshold).",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="guidelineversion",
            name="review_labels",
            field=models.ManyToManyField(
                blank=True,
                help_text="The labels reviewers choose from in review queues under this version (the default set when empty).",
                related_name="guideline_versions",
                to="evaluations.reviewlabel",
            ),
        ),
        migrations.AddField(
            model_name="reviewlabel",
            name="default",
            field=models.BooleanField(
                default=False,
                help_text="In the label set a review queue offers when no guideline sets one.",
            ),
        ),
        migrations.AddField(
            model_name="reviewlabel",
            name="verdict",
            field=models.FloatField(
                blank=True,
                help_text="The score this label stands for (1 right, 0 wrong); empty when it says nothing about the answer.",
                null=True,
            ),
        ),
        migrations.AddConstraint(
            model_name="reviewlabel",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("verdict__isnull", True),
                    models.Q(("verdict__gte", 0), ("verdict__lte", 1)),
                    _connector="OR",
                ),
                name="reviewlabel_verdict_in_unit_interval",
            ),
        ),
        migrations.AddField(
            model_name="reviewassignment",
            name="reviewer",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="review_assignments",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="reviewqueue",
            name="created_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="reviewqueue",
            name="guideline_version",
            field=models.ForeignKey(
                blank=True,
                help_text="The adopted guideline version the labels (and the judge threshold) come from.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="review_queues",
                to="evaluations.guidelineversion",
            ),
        ),
        migrations.AddField(
            model_name="reviewqueue",
            name="institutes",
            field=models.ManyToManyField(
                blank=True, related_name="review_queues", to="institutes.institute"
            ),
        ),
        migrations.AddField(
            model_name="reviewqueue",
            name="labels",
            field=models.ManyToManyField(
                related_name="review_queues", to="evaluations.reviewlabel"
            ),
        ),
        migrations.AddField(
            model_name="reviewqueue",
            name="project",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="review_queues",
                to="evaluations.evaluationproject",
            ),
        ),
        migrations.AddField(
            model_name="reviewqueue",
            name="reviewers",
            field=models.ManyToManyField(
                blank=True, related_name="review_queues", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="reviewqueue",
            name="runs",
            field=models.ManyToManyField(
                related_name="review_queues", to="evaluations.evaluationrun"
            ),
        ),
        migrations.AddField(
            model_name="reviewqueueitem",
            name="queue",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="items",
                to="evaluations.reviewqueue",
            ),
        ),
        migrations.AddField(
            model_name="reviewqueueitem",
            name="sample",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="queue_items",
                to="evaluations.sampleresult",
            ),
        ),
        migrations.AddField(
            model_name="reviewassignment",
            name="item",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="assignments",
                to="evaluations.reviewqueueitem",
            ),
        ),
        migrations.AddField(
            model_name="runscorer",
            name="run",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="scorers",
                to="evaluations.evaluationrun",
            ),
        ),
        migrations.AddConstraint(
            model_name="reviewqueue",
            constraint=models.CheckConstraint(
                condition=models.Q(("reviews_per_item__gte", 1), ("reviews_per_item__lte", 3)),
                name="reviewqueue_one_to_three_reviews",
            ),
        ),
        migrations.AddConstraint(
            model_name="reviewqueue",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("per_slice_percent__isnull", True),
                    models.Q(("per_slice_percent__gt", 0), ("per_slice_percent__lte", 100)),
                    _connector="OR",
                ),
                name="reviewqueue_percent_in_range",
            ),
        ),
        migrations.AddIndex(
            model_name="reviewqueueitem",
            index=models.Index(
                fields=["queue", "slice_value"], name="evaluations_queue_i_9be065_idx"
            ),
        ),
        migrations.AddConstraint(
            model_name="reviewqueueitem",
            constraint=models.UniqueConstraint(
                fields=("queue", "sample"), name="reviewqueueitem_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="reviewqueueitem",
            constraint=models.UniqueConstraint(
                fields=("queue", "position"), name="reviewqueueitem_unique_position"
            ),
        ),
        migrations.AddIndex(
            model_name="reviewassignment",
            index=models.Index(
                fields=["reviewer", "completed_at"], name="evaluations_reviewe_7d01e3_idx"
            ),
        ),
        migrations.AddConstraint(
            model_name="reviewassignment",
            constraint=models.UniqueConstraint(
                fields=("item", "reviewer"), name="reviewassignment_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="runscorer",
            constraint=models.UniqueConstraint(
                fields=("run", "name"), name="runscorer_unique_name"
            ),
        ),
        migrations.RunPython(set_verdicts, migrations.RunPython.noop),
        migrations.RunPython(install_audit, migrations.RunPython.noop, elidable=False),
    ]
