from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0019_reports_and_developers")]

    operations: list = []
