from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0013_external_runs")]

    operations: list = []
