"""An import filed under a task or system that the log contradicts says so, with who and why."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0008_representative_runs")]

    operations = [
        migrations.AddField(
            model_name="evaluationrun",
            name="override_task",
            field=models.BooleanField(
                default=False, help_text="Imported under a task the log's task name contradicts."
            ),
        ),
        migrations.AddField(
            model_name="evaluationrun",
            name="override_system",
            field=models.BooleanField(
                default=False, help_text="Imported under a system the log's model contradicts."
            ),
        ),
        migrations.AddField(
            model_name="evaluationrun",
            name="override_reason",
            field=models.TextField(blank=True, help_text="Why the uploader overrode the log."),
        ),
        migrations.AddConstraint(
            model_name="evaluationrun",
            constraint=models.CheckConstraint(
                condition=(
                    (models.Q(override_task=True) | models.Q(override_system=True))
                    & ~models.Q(override_reason="")
                )
                | models.Q(override_task=False, override_system=False, override_reason=""),
                name="evaluationrun_override_has_reason",
            ),
        ),
    ]
