"""Results sliced by sample metadata (`evaluations.results.slices`): ingestion now stores each
run's slice summary in `EvaluationRun.score_moments["slices"]`. Runs ingested before get theirs
here, once, so that the results page reads no sample row for them either (without it, finding
the slice fields of a run of 10^5 samples takes about two seconds per page; benchmarks/slices.py).
Runs without stored moments (not ingested from a log) keep the fallback query. No index: an
expression index on a metadata field does not make the aggregation faster (the benchmark again).
"""

from django.db import migrations


def store_slices(apps, schema_editor):
    from evaluations.results import slices

    run_model = apps.get_model("evaluations", "EvaluationRun")
    runs = run_model.objects.exclude(score_moments=None).only("pk", "score_moments")
    for run in runs.iterator(chunk_size=200):
        moments = run.score_moments
        if isinstance(moments, dict) and "slices" not in moments:
            moments["slices"] = slices.summary_for_storage(run)
            run_model.objects.filter(pk=run.pk).update(score_moments=moments)


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0015_review_queues_and_judges")]

    operations: list = [migrations.RunPython(store_slices, migrations.RunPython.noop)]
