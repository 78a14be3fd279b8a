"""Import-only evaluation tasks: a task may be registered without being runnable on this server
(`runnable`, `runnable_note`), may belong to one project (`project`), and records who registered
it (`registered_by`). Existing tasks stay runnable and global."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0011_finding_evidence_and_review_labels"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="evaluationtask",
            name="project",
            field=models.ForeignKey(
                blank=True,
                help_text="Empty: a global task, visible to everyone. Set: visible only to the "
                "project's participants (and programme managers).",
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="own_tasks",
                to="evaluations.evaluationproject",
            ),
        ),
        migrations.AddField(
            model_name="evaluationtask",
            name="registered_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="registered_tasks",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="evaluationtask",
            name="runnable",
            field=models.BooleanField(
                default=True,
                help_text="Concord's workers can run it (its reference resolves here).",
            ),
        ),
        migrations.AddField(
            model_name="evaluationtask",
            name="runnable_note",
            field=models.TextField(
                blank=True, help_text="Why Concord cannot run it here (an import-only task)."
            ),
        ),
    ]
