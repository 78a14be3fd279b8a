from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0020_report_changes")]

    operations: list = []
