"""An import filed under a task or system that the log contradicts says so, with who and why."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0008_representative_runs")]

    operations = []
