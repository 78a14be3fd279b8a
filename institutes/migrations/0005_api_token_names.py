from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("institutes", "0004_audit_triggers")]

    operations = [
        migrations.AlterModelOptions(
            name="apitoken",
            options={
                "ordering": ["-created_at"],
                "verbose_name": "API token",
                "verbose_name_plural": "API tokens",
            },
        ),
    ]
