from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0016_slice_indexes")]

    operations: list = []
