"""How each run was set up, as its log's header says (Inspect version, sandbox, solver or agent,
task version and arguments): kept on the run for the joint report's methods. Runs ingested before
have an empty setup (the report says "not recorded")."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0019_reports_and_developers")]

    operations = [
        migrations.AddField(
            model_name="evaluationrun",
            name="setup",
            field=models.JSONField(
                blank=True,
                default=dict,
                editable=False,
                help_text="How the log says it ran: Inspect version, sandbox, solver or agent, "
                "task version and arguments (`ingestion.rows.run_setup`).",
            ),
        ),
    ]
