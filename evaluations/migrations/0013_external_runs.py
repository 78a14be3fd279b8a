from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0012_import_only_tasks")]

    operations: list = []
