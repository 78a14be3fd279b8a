from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0017_scorer_records")]

    operations: list = []
