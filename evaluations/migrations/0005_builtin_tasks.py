from django.db import migrations


def upsert_builtin_tasks(apps, schema_editor):
    from evaluations.services.tasks import task_builtin_upsert

    task_builtin_upsert(
        task_model=apps.get_model("evaluations", "EvaluationTask"),
        domain_model=apps.get_model("evaluations", "Domain"),
    )


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0004_job_retry_of")]
    operations = [migrations.RunPython(upsert_builtin_tasks, migrations.RunPython.noop)]
