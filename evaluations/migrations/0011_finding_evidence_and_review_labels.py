"""Findings cite their evidence (runs, samples, comparisons); reviewers can say a transcript is
incorrect or that the scorer was wrong."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0010_evidence_kept")]

    operations = []
