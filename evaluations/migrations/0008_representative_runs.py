"""Runs know whether they are complete; a lead may pin a cell's representative run."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0007_run_score_moments")]

    operations = []
