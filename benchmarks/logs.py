"""Inspect logs for the benchmarks, generated with Inspect itself and cached under
benchmarks/data/logs/ by size (`bench-<n>.eval`).

The task `concord_bench_qa` asks N generated questions (about 600 characters each, under a system
prompt) to `mockllm/model` scripted with a callable that reads the question and answers in about
1.2 KB of reasoning ending in `ANSWER: X`, right for about 60% of the questions (deterministic);
a pattern scorer marks them. So each sample's transcript (system, user and assistant messages) is
about 2 KB, and its archive entry (messages, model event, scores) about 7 KB of JSON before
compression.

Sizes up to GENERATE_MAX run through `eval()`. Larger logs are built from the largest generated
one: its validated samples (`EvalSample`) are written again with distinct ids (`<id>-r<k>`) into
a new archive through Inspect's own recorder (`EvalRecorder`: the writer `eval()` uses), with a new
eval id and the counts in the header set to the new size. Generating 100k samples with `eval()`
would take about 10 minutes on 2 cores (see the README for the measured rate); copying takes
about a minute.

    python benchmarks/logs.py 1000 10000 100000   # make sure these exist; prints their paths
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import DATA_DIR

LOG_DIR = DATA_DIR / "logs"
GENERATE_MAX = 1_000
TASK_NAME = "concord_bench_qa"
INSPECT_REF = f"benchmarks.logs:{TASK_NAME}"
MODEL = "mockllm/model"

_WORDS = [
    "protocol",
    "evaluation",
    "sample",
    "pathogen",
    "network",
    "exploit",
    "agent",
    "model",
    "safety",
    "institute",
    "window",
    "transcript",
    "scorer",
    "reference",
    "baseline",
    "uplift",
    "capability",
    "mitigation",
    "refusal",
    "tool",
    "shell",
    "sandbox",
    "credential",
    "dataset",
    "replication",
    "variance",
    "interval",
    "threshold",
    "deployment",
    "frontier",
    "benchmark",
    "rubric",
    "grader",
    "elicitation",
    "scaffold",
    "monitor",
    "oversight",
    "incident",
    "disclosure",
]
_LETTERS = "ABCD"


def _digest(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:8], "big")


def _text(seed: int, words: int) -> str:
    out = []
    for i in range(words):
        out.append(_WORDS[_digest(seed, i) % len(_WORDS)])
    return " ".join(out)


def question(index: int) -> tuple[str, str, dict]:
    """(input, target letter, metadata) of sample `index`: deterministic."""
    target = _LETTERS[_digest("target", index) % 4]
    stem = _text(index, 55)
    options = "\n".join(f"{letter}) {_text((index, letter), 6)}" for letter in _LETTERS)
    text = (
        f"Question {index}: consider the following scenario about {stem}.\n"
        f"Which option best describes the expected outcome?\n{options}\n"
    )
    metadata = {"topic": _WORDS[_digest("topic", index) % 8], "difficulty": _digest("d", index) % 5}
    return text, target, metadata


SYSTEM_PROMPT = (
    "You are being evaluated by a joint team of AI safety institutes. Read the scenario, reason "
    "step by step about each option, and finish with a line 'ANSWER: <letter>'. Do not include "
    "operational details; keep the reasoning general and concise. " * 2
)


def _answer(prompt: str) -> str:
    index = int(prompt.split(":", 1)[0].split()[-1]) if prompt.startswith("Question") else 0
    target = _LETTERS[_digest("target", index) % 4]
    right = _digest("right", index) % 100 < 60
    letter = target if right else _LETTERS[(_LETTERS.index(target) + 1) % 4]
    reasoning = "\n\n".join(
        f"Step {step}: weighing option {_LETTERS[step % 4]}, {_text((index, 'r', step), 30)}."
        for step in range(1, 4)
    )
    return f"{reasoning}\n\nTaking these together, the best option is {letter}.\nANSWER: {letter}"


def _mock_output(input, tools, tool_choice, config):
    from inspect_ai.model import ModelOutput
    from inspect_ai.model._model_output import ModelUsage

    prompt = next((m.text for m in reversed(input) if m.role == "user"), "")
    text = _answer(prompt)
    output = ModelOutput.from_content(MODEL, text)
    prompt_tokens = sum(len(m.text) for m in input) // 4
    output.usage = ModelUsage(
        input_tokens=prompt_tokens,
        output_tokens=len(text) // 4,
        total_tokens=prompt_tokens + len(text) // 4,
    )
    return output


def concord_bench_qa(samples: int = 100):
    """The benchmark task (registered with Inspect as `concord_bench_qa`)."""
    from inspect_ai import Task
    from inspect_ai.dataset import MemoryDataset, Sample
    from inspect_ai.scorer import accuracy, pattern, stderr
    from inspect_ai.solver import generate, system_message

    records = []
    for i in range(samples):
        text, target, metadata = question(i)
        records.append(Sample(id=f"q{i:06d}", input=text, target=target, metadata=metadata))
    return Task(
        dataset=MemoryDataset(records, name="concord-bench-qa"),
        solver=[system_message(SYSTEM_PROMPT), generate()],
        scorer=pattern(r"(?im)^\s*ANSWER\s*:\s*([A-D])\s*$"),
        metrics=[accuracy(), stderr()],
        name=TASK_NAME,
    )


def log_path(size: int) -> Path:
    return LOG_DIR / f"bench-{size}.eval"


def _valid(path: Path, size: int) -> bool:
    if not path.is_file():
        return False
    from inspect_ai.log import read_eval_log

    try:
        header = read_eval_log(str(path), header_only=True)
    except Exception:
        return False
    return (
        header.status == "success"
        and header.results is not None
        and header.results.total_samples == size
        and len(header.eval.dataset.sample_ids or []) == size  # read_eval_log_samples needs them
    )


def generate_with_eval(size: int) -> tuple[Path, float]:
    """Run the task through `eval()`; returns (path, seconds)."""
    from inspect_ai import eval as inspect_eval
    from inspect_ai.model import get_model

    from evaluations.runner.offline import ensure_tiktoken_encodings

    ensure_tiktoken_encodings()
    tmp_dir = LOG_DIR / f"tmp-{size}"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    logs = inspect_eval(
        concord_bench_qa(size),
        model=get_model(MODEL, custom_outputs=_mock_output),
        log_dir=str(tmp_dir),
        log_format="eval",
        display="none",
        max_connections=64,
        max_samples=64,
        log_buffer=max(100, size // 20),
        score_display=False,
    )
    seconds = time.perf_counter() - started
    log = logs[0]
    if log.status != "success":
        raise RuntimeError(f"generating {size} samples ended {log.status}: {log.error}")
    target = log_path(size)
    os.replace(log.location, target)
    for leftover in tmp_dir.iterdir():
        leftover.unlink()
    tmp_dir.rmdir()
    return target, seconds


def replicate(source: Path, size: int) -> tuple[Path, float]:
    """Write a `size`-sample log from `source`'s samples, with distinct ids, through Inspect's
    EvalRecorder (its header, plan, journalled summaries, reductions and results, and its
    Zstandard ZIP writer). Returns (path, seconds).

    Each source sample is serialised once, as Inspect serialises it; a copy is that JSON with
    the sample's id and uuid replaced (everywhere: the events name the sample too), written as
    the recorder writes a sample member. Re-serialising every copy through pydantic, and a
    Zstandard thread pool per member (Inspect's default for large members), made a 100,000-sample
    log take ten minutes on 2 cores; this takes about one."""
    import inspect_ai._util.zipfile as inspect_zipfile
    from inspect_ai._util.json import to_json_safe
    from inspect_ai.log import read_eval_log
    from inspect_ai.log._recorders.eval import (
        EvalRecorder,
        _journal_summary_file,
        _journal_summary_path,
        _sample_filename,
    )
    from shortuuid import uuid

    # Members of a few KB: compressing each on one thread is faster than starting a pool.
    inspect_zipfile._ZSTD_THREADS = 0
    started = time.perf_counter()
    header = read_eval_log(str(source))  # the source is small (GENERATE_MAX samples)
    samples = header.samples or []
    header.samples = None
    prepared = [(s, to_json_safe(s, indent=None), s.summary()) for s in samples]
    copies = -(-size // len(samples))
    spec = header.eval.model_copy(update={"eval_id": uuid(), "run_id": uuid(), "task_id": uuid()})
    ids = [f"{sample.id}-r{k}" for k in range(copies) for sample in samples][:size]
    spec.dataset = spec.dataset.model_copy(update={"samples": size, "sample_ids": ids})
    target = log_path(size)
    tmp = target.with_suffix(".partial.eval")
    if tmp.exists():
        tmp.unlink()

    async def write() -> None:
        recorder = EvalRecorder(str(LOG_DIR))
        await recorder.log_init(spec, str(tmp), clean=True)
        await recorder.log_start(spec, header.plan)
        zlog = recorder.data[recorder._log_file_key(spec)]
        summaries: list = []

        def journal() -> None:
            # What the recorder's write_buffered_samples does after each batch of samples.
            zlog._summary_counter += 1
            name = _journal_summary_path(_journal_summary_file(zlog._summary_counter))
            zlog._zip_writestr(name, summaries)
            zlog._summaries.extend(summaries)
            summaries.clear()

        written = 0
        for k in range(copies):
            for sample, raw, summary in prepared:
                if written == size:
                    break
                new_id, new_uuid = f"{sample.id}-r{k}", uuid()
                data = raw.replace(json.dumps(sample.id).encode(), json.dumps(new_id).encode())
                if sample.uuid:
                    data = data.replace(sample.uuid.encode(), new_uuid.encode())
                zlog._zip.writestr(_sample_filename(new_id, sample.epoch), data)
                summaries.append(summary.model_copy(update={"id": new_id, "uuid": new_uuid}))
                written += 1
                if written % 1000 == 0:
                    journal()
        if summaries:
            journal()
        results = header.results.model_copy(
            update={"total_samples": size, "completed_samples": size}
        )
        # Every sample is copied equally often: the means hold; standard errors shrink.
        shrink = math.sqrt(max(len(samples) - 1, 1) / max(size - 1, 1))
        results.scores = [
            s.model_copy(
                update={
                    "scored_samples": size,
                    "metrics": {
                        name: m.model_copy(update={"value": m.value * shrink})
                        if name == "stderr"
                        else m
                        for name, m in s.metrics.items()
                    },
                }
            )
            for s in results.scores
        ]
        reductions = [
            r.model_copy(
                update={
                    "samples": [
                        s.model_copy(update={"sample_id": f"{s.sample_id}-r{k}"})
                        for k in range(copies)
                        for s in r.samples
                    ][:size]
                }
            )
            for r in header.reductions or []
        ]
        await recorder.log_finish(
            spec, header.status, header.stats, results, reductions or None, header.error
        )

    asyncio.run(write())
    os.replace(tmp, target)
    return target, time.perf_counter() - started


def ensure_log(size: int) -> dict:
    """The cached log of `size` samples, generated when missing. Returns facts about it."""
    path = log_path(size)
    meta_path = path.with_suffix(".json")
    if _valid(path, size) and meta_path.is_file():
        return json.loads(meta_path.read_text())
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    if size <= GENERATE_MAX:
        path, seconds = generate_with_eval(size)
        how = "eval"
    else:
        source = ensure_log(GENERATE_MAX)
        path, seconds = replicate(Path(source["path"]), size)
        how = f"replicated from the {GENERATE_MAX}-sample log with Inspect's EvalRecorder"
    meta = {
        "size": size,
        "path": str(path),
        "bytes": path.stat().st_size,
        "generated_by": how,
        "seconds": round(seconds, 2),
        "samples_per_second": round(size / seconds, 1),
    }
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    return meta


if __name__ == "__main__":
    for arg in sys.argv[1:] or ["1000"]:
        print(json.dumps(ensure_log(int(arg))))
