"""Seed the serving benchmark database (`concord_bench`): 10^6 samples in 500 runs over 20
projects, written with PostgreSQL `COPY` (not the ORM), and the 10^5-sample run ingested from the
generated log (for opening a large run). Reused when already there (the counts are checked).

Each project: 2 institutes, 3 systems (one a reference), 5 tasks; 25 runs = 5 tasks x 5
(system, institute) pairs, so replications exist; 2,000 samples per run with about 1.5 KB of
input/output text, a 0/1 score (about 60% right) and its scores JSON, like ingested rows.

    python benchmarks/seed_serving.py [--projects 20 --runs 500 --samples 1000000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import common

PREFIX = "bench-serve-"
OPEN_PROJECT = "bench-open"
TASKS = 5
# Whether rows of the sample table were written since its last vacuum (see vacuum_if_written).
VACUUM_NEEDED = (
    "SELECT n_ins_since_vacuum + n_dead_tup > 0 FROM pg_stat_user_tables "
    "WHERE relname = 'evaluations_sampleresult'"
)


def _h(*parts) -> int:
    return int.from_bytes(
        hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest(), "big"
    )


def _texts(count: int, words: int, salt: str) -> list[str]:
    from benchmarks.logs import _WORDS

    return [
        " ".join(_WORDS[_h(salt, i, j) % len(_WORDS)] for j in range(words)) for i in range(count)
    ]


def seeded(projects: int, runs: int, samples: int) -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*), coalesce(sum(r.sample_count), 0)
               FROM evaluations_evaluationrun r JOIN evaluations_evaluationproject p
               ON p.id = r.project_id WHERE p.slug LIKE %s""",
            [PREFIX + "%"],
        )
        n_runs, n_samples = cursor.fetchone()
        cursor.execute(
            """SELECT count(*) FROM evaluations_sampleresult s
               JOIN evaluations_evaluationrun r ON r.id = s.run_id
               JOIN evaluations_evaluationproject p ON p.id = r.project_id
               WHERE p.slug LIKE %s""",
            [PREFIX + "%"],
        )
        rows = cursor.fetchone()[0]
    return n_runs == runs and n_samples == samples and rows == samples


def seed(projects: int, runs: int, samples: int) -> dict:
    from django.db import connection, transaction

    from benchmarks import fixtures
    from evaluations.models import (
        AISystem,
        EvaluationProject,
        EvaluationRun,
        EvaluationTask,
        ProjectSystem,
    )

    started = time.perf_counter()
    w = fixtures.world()
    with transaction.atomic():
        # Start over: remove partial seeds (cascades to their runs and samples).
        EvaluationRun.objects.filter(project__slug__startswith=PREFIX).delete()
        EvaluationProject.objects.filter(slug__startswith=PREFIX).delete()
    tasks = []
    for t in range(TASKS):
        task, _ = EvaluationTask.objects.get_or_create(
            slug=f"bench-task-{t}",
            defaults={"name": f"Benchmark task {t}", "inspect_ref": f"bench.tasks:task_{t}"},
        )
        tasks.append(task)
    systems = []
    for s, name in enumerate(("frontier-a", "frontier-b", "reference-r")):
        system, _ = AISystem.objects.get_or_create(
            developer="Bench Labs",
            name=name,
            version="1",
            defaults={"inspect_model": f"openai-api/bench/{name}"},
        )
        systems.append((system, s == 2))
    pairs = [
        (systems[0][0], w.institute),
        (systems[0][0], w.other),
        (systems[1][0], w.institute),
        (systems[1][0], w.other),
        (systems[2][0], w.institute),
    ]
    runs_per_project = runs // projects
    samples_per_run = samples // runs
    project_ids = []
    for p in range(projects):
        project = fixtures.project(w, f"{PREFIX}{p:02d}", reference_window=False)
        for system, is_reference in systems:
            ProjectSystem.objects.update_or_create(
                project=project, system=system, defaults={"is_reference": is_reference}
            )
        project_ids.append(project.pk)

    inputs = _texts(997, 90, "in")
    outputs = _texts(991, 160, "out")
    explanations = _texts(89, 30, "ex")
    base = datetime(2025, 1, 1, tzinfo=UTC)
    run_rows = []
    run_keys = []
    for p, project_id in enumerate(project_ids):
        for r in range(runs_per_project):
            task = tasks[r % TASKS]
            system, institute = pairs[(r // TASKS) % len(pairs)]
            created = base + timedelta(days=p, minutes=r)
            run_keys.append((project_id, p, r))
            run_rows.append((project_id, task.pk, system.pk, institute.pk, created))

    table_runs = "evaluations_evaluationrun"
    table_samples = "evaluations_sampleresult"
    table_scores = "evaluations_runscore"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        raw = cursor.cursor
        columns = (
            "project_id, task_id, system_id, institute_id, source, log_format, inspect_eval_id, "
            "inspect_task, inspect_model, status, started_at, completed_at, sample_count, epochs, "
            "input_tokens, output_tokens, total_tokens, primary_scorer, primary_metric, "
            "primary_value, primary_stderr, log_file, notes, error, created_at, complete, "
            "override_task, override_system, override_reason, setup"
        )
        means = [0.4 + (_h("skill", row[2], row[1]) % 40) / 100 for row in run_rows]
        with raw.copy(f"COPY {table_runs} ({columns}) FROM STDIN") as copy:
            for i, (project_id, task_id, system_id, institute_id, created) in enumerate(run_rows):
                right = means[i]
                stderr = (right * (1 - right) / (samples_per_run - 1)) ** 0.5
                status = "error" if _h("status", i) % 50 == 0 else "success"
                copy.write_row(
                    (
                        project_id,
                        task_id,
                        system_id,
                        institute_id,
                        "upload",
                        "inspect",
                        f"bench-serve-{i:05d}",
                        f"task_{task_id}",
                        "openai-api/bench/x",
                        status,
                        created,
                        created + timedelta(minutes=30),
                        samples_per_run,
                        1,
                        samples_per_run * 400,
                        samples_per_run * 300,
                        samples_per_run * 700,
                        "pattern",
                        "accuracy",
                        right,
                        stderr,
                        "",
                        "",
                        "",
                        created,
                        True,
                        False,
                        False,
                        "",
                        "{}",
                    )
                )
        raw.execute(
            f"SELECT id FROM {table_runs} WHERE inspect_eval_id LIKE 'bench-serve-%%' ORDER BY inspect_eval_id"
        )
        run_ids = [row[0] for row in raw.fetchall()]
        with raw.copy(
            f"COPY {table_scores} (run_id, scorer, metric, value, stderr, scored_samples) FROM STDIN"
        ) as copy:
            for run_id, right in zip(run_ids, means, strict=True):
                stderr = (right * (1 - right) / (samples_per_run - 1)) ** 0.5
                copy.write_row((run_id, "pattern", "accuracy", right, stderr, samples_per_run))
                copy.write_row((run_id, "pattern", "stderr", stderr, None, samples_per_run))
        columns = (
            "run_id, sample_id, epoch, score, scores, input, target, output, metadata, error, "
            "total_tokens, entry_name"
        )
        written = 0
        with raw.copy(f"COPY {table_samples} ({columns}) FROM STDIN") as copy:
            for run_id, right in zip(run_ids, means, strict=True):
                for s in range(samples_per_run):
                    h = _h(run_id, s)
                    correct = (h % 1000) < right * 1000
                    letter = "ABCD"[h % 4]
                    answer = letter if correct else "ABCD"[(h + 1) % 4]
                    scores = json.dumps(
                        {
                            "pattern": {
                                "value": "C" if correct else "I",
                                "answer": answer,
                                "explanation": explanations[h % 89],
                                "metadata": None,
                            }
                        }
                    )
                    sample_id = f"q{s:06d}"
                    copy.write_row(
                        (
                            run_id,
                            sample_id,
                            1,
                            1.0 if correct else 0.0,
                            scores,
                            inputs[h % 997],
                            letter,
                            outputs[(h >> 8) % 991] + f"\nANSWER: {answer}",
                            f'{{"topic": "bench", "difficulty": {h % 5}}}',
                            "",
                            700,
                            f"samples/{sample_id}_epoch_1.json",
                        )
                    )
                    written += 1
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table_runs}")
        cursor.execute(f"ANALYZE {table_samples}")
        cursor.execute(f"ANALYZE {table_scores}")
    return {"seconds": time.perf_counter() - started, "runs": len(run_ids), "samples": written}


def ensure_large_run(size: int = 100_000) -> dict:
    """The `size`-sample log ingested into the bench database (project bench-open), once."""
    from inspect_ai.log import read_eval_log

    from benchmarks import fixtures
    from benchmarks.logs import ensure_log
    from evaluations.ingestion import run_ingest_log
    from evaluations.models import EvaluationRun

    meta = ensure_log(size)
    header = read_eval_log(meta["path"], header_only=True)
    run = EvaluationRun.objects.filter(inspect_eval_id=header.eval.eval_id).first()
    seconds = None
    if run is None:
        w = fixtures.world()
        project = fixtures.project(w, OPEN_PROJECT)
        started = time.perf_counter()
        run = run_ingest_log(
            path=meta["path"], project=project, institute=w.institute, source="upload"
        ).run
        seconds = time.perf_counter() - started
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE evaluations_sampleresult")
    return {
        "run_id": run.pk,
        "samples": run.sample_count,
        "log": meta["path"],
        "ingest_seconds": seconds,
    }


def fill_score_moments() -> int:
    """What ingestion stores on each run (`EvaluationRun.score_moments`, the sufficient statistics
    of its sample scores), for the runs seeded with COPY or ingested before it was stored: the
    product's own function, on the same rows. Returns how many runs were filled."""
    from evaluations.models import EvaluationRun
    from evaluations.results.scores import MEAN_METRICS
    from evaluations.results.stored import run_summary_for_storage

    filled = 0
    for run in EvaluationRun.objects.filter(score_moments__isnull=True).prefetch_related("scores"):
        scorers = {s.scorer for s in run.scores.all() if s.metric in MEAN_METRICS}
        metrics = {s.metric for s in run.scores.all()}
        run.score_moments = run_summary_for_storage(run, scorers, metrics=metrics)
        run.save(update_fields=["score_moments"])
        filled += 1
    return filled


def vacuum_if_written() -> bool:
    """What autovacuum does within about a minute of such inserts (the sample table's insert
    thresholds, migration evaluations 0007), done when rows were written since the table's last
    vacuum, so that every run measures the same state: pages all-visible, index-only counts
    without heap fetches. Returns whether it vacuumed."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(VACUUM_NEEDED)
        row = cursor.fetchone()
        written = row is None or bool(row[0])
        if written:
            cursor.execute("VACUUM (ANALYZE) evaluations_sampleresult")
    return written


def ensure(
    projects: int = 20,
    runs: int = 500,
    samples: int = 1_000_000,
    *,
    large_run: bool = True,
    statistics: bool = True,
    vacuum: bool = True,
    seed_first: bool = True,
) -> dict:
    """The seeded runs (reused when their counts match), then the 10^5-sample run and the runs'
    stored statistics; `run_all` does these two side by side (`--only-large-run`,
    `--only-statistics`: the database migrated and seeded just before, not checked again), then
    the vacuum."""
    if seed_first:
        common.ensure_database(common.BENCH_DB)
    common.setup_django(common.BENCH_DB)
    if not seed_first:  # the caller has just made sure of the seed
        out: dict = {"reused": True}
    elif seeded(projects, runs, samples):
        out = {"reused": True}
    else:
        out = {"reused": False, **seed(projects, runs, samples)}
    if large_run:
        out["large_run"] = ensure_large_run()
    if statistics:
        started = time.perf_counter()
        out["score_moments_filled"] = fill_score_moments()
        out["score_moments_seconds"] = time.perf_counter() - started
    if vacuum:
        started = time.perf_counter()
        out["vacuumed"] = vacuum_if_written()
        out["vacuum_seconds"] = time.perf_counter() - started
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=20)
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--without-large-run", action="store_true", help="the seed only")
    parser.add_argument("--only-large-run", action="store_true", help="no statistics, no vacuum")
    parser.add_argument("--only-statistics", action="store_true", help="no large run, no vacuum")
    args = parser.parse_args()
    partial = args.without_large_run or args.only_large_run or args.only_statistics
    out = ensure(
        args.projects,
        args.runs,
        args.samples,
        large_run=args.only_large_run or not partial,
        statistics=args.only_statistics or not partial,
        vacuum=not partial,
        seed_first=not (args.only_large_run or args.only_statistics),
    )
    print(json.dumps(out, default=str))
