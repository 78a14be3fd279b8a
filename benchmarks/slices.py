"""Results sliced by sample metadata (`evaluations.results.slices`): what it costs to find a run's
slice fields and to compute a slice matrix on 10^5 samples, read from the summary stored at
ingestion versus aggregated from the sample rows' JSONB metadata, with and without an expression
index on the field sliced by.

Prints, median of REPEAT runs each:
- keys, query: `jsonb_each` over every sample's metadata (the fallback for runs without a summary);
- keys, stored: the run row's `score_moments["slices"]` (what pages read);
- moments, query: per-value moments of the primary score for one field (`_moments_query`);
- the same with an expression index on (run_id, metadata ->> field), then dropped;
- slice matrix (`build_slice_matrix`), stored and fallback;
- the ingestion cost of the summary (`summary_for_storage`: what each new run pays once).

    BENCH_SLICES_DATABASE_URL=postgres://postgres@127.0.0.1:5432/concord_bench_slices \\
        .venv/bin/python benchmarks/slices.py [--samples 100000]

The database is created and migrated when missing; the run (project `bench-slices`) is reused
when it holds the number of samples asked for.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/concord_bench_slices"
REPEAT = 5
LANGUAGES = ("en", "fr", "de", "es", "it", "ja", "zh", "sw")
CATEGORIES = ("math", "code", "law", "bio", "chem")


def _setup(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _run(samples: int):
    """The benchmark's run with `samples` samples (one epoch, 0/1 scores): language (8 values),
    category (5), a unique `uid` and a float `difficulty` (neither is a slice)."""
    from django.db import connection

    from evaluations.models import (
        AISystem,
        EvaluationProject,
        EvaluationRun,
        EvaluationTask,
        SampleResult,
    )
    from institutes.models import Institute

    institute, _ = Institute.objects.get_or_create(
        code="bench", defaults={"name": "Bench", "country": "GB"}
    )
    project, _ = EvaluationProject.objects.get_or_create(
        slug="bench-slices", defaults={"title": "Slices benchmark"}
    )
    project.participations.get_or_create(institute=institute)
    system, _ = AISystem.objects.get_or_create(
        developer="Bench", name="Model", version="", defaults={"inspect_model": "mockllm/model"}
    )
    project.project_systems.get_or_create(system=system)
    task, _ = EvaluationTask.objects.get_or_create(
        slug="bench-slices-task", defaults={"name": "Slices benchmark task"}
    )
    run = EvaluationRun.objects.filter(
        project=project, sample_count=samples, status=EvaluationRun.Status.SUCCESS
    ).first()
    if run is not None and SampleResult.objects.filter(run=run).count() == samples:
        return run
    # Runs are kept (evidence): an earlier one of another size, or cut short, is set aside.
    EvaluationRun.objects.filter(project=project).update(status=EvaluationRun.Status.ERROR)
    run = EvaluationRun.objects.create(
        project=project,
        task=task,
        system=system,
        institute=institute,
        inspect_eval_id=f"bench-slices-{samples}-{time.time_ns()}",
        status=EvaluationRun.Status.SUCCESS,
        primary_scorer="match",
        primary_metric="accuracy",
        sample_count=samples,
    )
    table = connection.ops.quote_name(SampleResult._meta.db_table)
    columns = (
        "run_id, sample_id, epoch, score, scores, metadata, input, target, output, error, "
        "total_tokens, entry_name"
    )
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for i in range(samples):
                metadata = {
                    "language": LANGUAGES[i % len(LANGUAGES)],
                    "category": CATEGORIES[(i * 7) % len(CATEGORIES)],
                    "uid": f"u{i:07d}",
                    "difficulty": (i % 10) / 10,
                }
                score = 1.0 if (i * 37) % 100 < 40 + 5 * (i % len(LANGUAGES)) else 0.0
                copy.write_row(
                    [
                        run.pk,
                        f"s{i:07d}",
                        1,
                        score,
                        "{}",
                        json.dumps(metadata),
                        "",
                        "",
                        "",
                        "",
                        0,
                        "",
                    ]
                )
    from evaluations.results import stored

    run.score_moments = stored.run_summary_for_storage(run, [])
    run.save(update_fields=["score_moments"])
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")
    return run


def _median(fn, repeat: int = REPEAT) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100_000)
    args = parser.parse_args()
    _setup(os.environ.get("BENCH_SLICES_DATABASE_URL", DEFAULT_URL))

    from django.db import connection

    from evaluations.models import EvaluationRun, SampleResult
    from evaluations.results import slices

    run = _run(args.samples)
    run_id = run.pk
    table = connection.ops.quote_name(SampleResult._meta.db_table)

    def stored_run():
        return EvaluationRun.objects.get(pk=run_id)

    def bare_run():
        run = EvaluationRun.objects.get(pk=run_id)
        run.score_moments = {k: v for k, v in (run.score_moments or {}).items() if k != "slices"}
        return run

    figures: dict[str, float] = {}
    figures["keys, query (jsonb_each)"] = _median(lambda: slices._key_counts([run_id]))
    figures["keys, stored summary"] = _median(lambda: slices.slice_keys([stored_run()]))
    figures["moments by language, query"] = _median(
        lambda: slices._moments_query([run_id], ["language"])
    )
    figures["moments by language, stored summary"] = _median(
        lambda: slices.slice_moments([stored_run()], ["language"])
    )
    index = "bench_slices_language"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE INDEX {index} ON {table} (run_id, (metadata ->> 'language'), sample_id) "
            "INCLUDE (score)"
        )
        cursor.execute(f"ANALYZE {table}")
    try:
        figures["moments by language, query + expression index"] = _median(
            lambda: slices._moments_query([run_id], ["language"])
        )
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX {index}")
    project = run.project
    figures["slice matrix, stored summary"] = _median(
        lambda: slices.build_slice_matrix(project, by="language")
    )
    original = stored_run().score_moments
    EvaluationRun.objects.filter(pk=run_id).update(score_moments=bare_run().score_moments)
    try:
        figures["slice matrix, fallback queries"] = _median(
            lambda: slices.build_slice_matrix(project, by="language")
        )
    finally:
        EvaluationRun.objects.filter(pk=run_id).update(score_moments=original)
    figures["ingestion: summary_for_storage"] = _median(
        lambda: slices.summary_for_storage(stored_run()), repeat=3
    )

    print(f"Slices on one run of {args.samples:,} samples (median of {REPEAT}):")
    width = max(len(k) for k in figures)
    for name, seconds in figures.items():
        print(f"  {name:<{width}}  {seconds * 1000:10.2f} ms")
    stored = figures["slice matrix, stored summary"]
    fallback = figures["slice matrix, fallback queries"]
    print(f"  slice matrix: fallback / stored = {fallback / stored:.1f}")


if __name__ == "__main__":
    main()
