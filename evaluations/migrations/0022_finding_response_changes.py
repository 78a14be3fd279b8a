from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0021_developer_changes")]

    operations: list = []
