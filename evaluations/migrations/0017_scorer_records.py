"""No schema or data change: RunScorer rows (migration 0015) are written by ingestion. Runs
ingested before it have none; `python manage.py record_scorers` records them from each run's
stored log (a migration cannot read logs from the log storage, and the database alone does not
hold a scorer's parameters, where its grader model is usually named)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0016_slice_indexes")]

    operations: list = []
