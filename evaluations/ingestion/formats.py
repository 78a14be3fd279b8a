"""Which reader opens a log: the one door every format goes through.

`open_log` looks at the file (its suffix, then its content) and returns a reader for an Inspect
`.eval` archive or `.json` log (`reader`), or for lm-evaluation-harness results (`lm_eval`). Every
reader yields `records.SampleRecord`s, so the one ingestion service and the transcript page never
ask which format they hold.
"""

from __future__ import annotations

from pathlib import Path

from evaluations.ingestion import lm_eval, reader, safety
from evaluations.ingestion.errors import LogReadError

LogReader = reader.EvalArchiveReader | reader.JsonLogReader | lm_eval.LmEvalReader


def log_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".eval", ".json", ".zip"):
        return suffix[1:]
    raise LogReadError(
        f"'{path.name}' is not a log Concord reads: expected a .eval or .json Inspect log, or "
        "lm-evaluation-harness results (a results_*.json file, or a .zip of its output folder)."
    )


def open_log(path: str | Path, *, task=None) -> LogReader:
    """A reader for the log at `path`: an Inspect `.eval` archive or `.json` log, or
    lm-evaluation-harness results (a results JSON, or a ZIP of its output folder). `task` (an
    EvaluationTask) picks one task of an lm-eval results file that holds several."""
    path = Path(path)
    if not path.is_file():
        raise LogReadError(f"There is no log file at '{path}'.")
    kind = log_format(path)
    if kind == "json":
        if lm_eval.is_results_json(path):
            return lm_eval.LmEvalReader(path, task=task)
        return reader.JsonLogReader(path)
    if not safety.is_zip(path):
        raise LogReadError(
            f"'{path.name}' is not a ZIP archive, so not an Inspect .eval log or a zipped "
            "lm-evaluation-harness output folder (another kind of file, or damaged)."
        )
    archive = safety.SafeArchive(path)
    try:
        if kind == "zip" and lm_eval.is_results_archive(archive):
            return lm_eval.LmEvalReader(path, task=task, archive=archive)
        if kind == "zip" and not (
            archive.has(reader.HEADER_JSON) or archive.has(reader.START_JSON)
        ):
            raise LogReadError(
                f"'{path.name}' holds neither an Inspect log (header.json) nor "
                "lm-evaluation-harness results (a results_*.json file)."
            )
        return reader.EvalArchiveReader(path, archive=archive)
    except BaseException:
        archive.close()
        raise
