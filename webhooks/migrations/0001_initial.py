from django.db import migrations


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("institutes", "0005_api_token_names"),
        ("evaluations", "0013_external_runs"),
    ]

    operations: list = []
