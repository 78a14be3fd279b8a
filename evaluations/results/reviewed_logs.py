"""A run's Inspect log with people's reviews added as Inspect score edits: the "reviewed log".

For every sample result whose reviews have a human majority (the rules of
`evaluations.results.judges`: a review's human score is its manual score, else its label's
verdict; the majority is the verdict held by more than half of them, none on a tie), the run's
headline scorer's value for that sample and epoch is edited to the majority with Inspect's own
`edit_score` and a `ScoreEdit` whose provenance says who and why:

- `author`: the reviewers' usernames, comma-separated;
- `reason`: the majority and each review's label, manual score and note (notes shortened);
- `metadata`: `{"source": "concord", "run": <id>, "review_ids": [...], "human_scores": [...]}`.

The value keeps the scorer's vocabulary: "C"/"I" for a scorer that grades with letters, a bool
for a bool, a number otherwise; a dict score has its key for the headline replaced. Samples
without a majority are left as the scorer scored them. The metrics are then recomputed as
Inspect does (`recompute_metrics`: reducers and metrics from the log's header), and the log
itself records the export as a log update (tag `concord-reviewed`, metadata `concord_reviewed`).
A run without reviews gets its log back with that log update only: no score is edited.

The stored log is never modified: it is read from the log storage (a local copy when it is in a
bucket), edited in memory (the whole log: Inspect's editing works on a log read whole) and
written to a temporary file that the caller streams; the file is gone once the stream closes.
Both `.eval` and `.json` logs are edited, and answered in their own format. A run imported from
lm-evaluation-harness results has no Inspect log to edit: `ReviewedLogUnavailable`.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from django.http import FileResponse
from django.utils import timezone
from inspect_ai.log import (
    EvalLog,
    MetadataEdit,
    ProvenanceData,
    TagsEdit,
    edit_eval_log,
    edit_score,
    read_eval_log,
    recompute_metrics,
    write_eval_log,
)
from inspect_ai.scorer import CORRECT, INCORRECT, ScoreEdit

from evaluations import logstore
from evaluations.ingestion.errors import LogReadError
from evaluations.ingestion.formats import open_log
from evaluations.models import EvaluationRun, SampleReview
from evaluations.results import judges
from evaluations.results.transcripts import log_name
from institutes import audit

TAG = "concord-reviewed"
NOTE_CHARS = 160  # of each review's note in an edit's reason
_LETTERS = {CORRECT, INCORRECT, "P", "N"}


class ReviewedLogUnavailable(Exception):
    """The run's log cannot carry score edits (not an Inspect log, or unreadable): a 409."""


@dataclass
class HumanEdit:
    """The human majority of one sample result's reviews, and who and why."""

    sample_id: str
    epoch: int
    value: float
    authors: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    review_ids: list[int] = field(default_factory=list)
    human_scores: list[float] = field(default_factory=list)
    at: datetime | None = None

    @property
    def reason(self) -> str:
        verdict = "pass" if self.value >= judges.PASS_THRESHOLD else "fail"
        agreeing = sum(
            1 for s in self.human_scores if judges.is_pass(s) == judges.is_pass(self.value)
        )
        return (
            f"Human majority: {verdict} ({agreeing} of {len(self.human_scores)} reviews with a "
            f"verdict). " + "; ".join(self.reasons)
        )


def _short(note: str) -> str:
    note = " ".join(note.split())
    return note if len(note) <= NOTE_CHARS else note[: NOTE_CHARS - 1] + "…"


def human_edits(run: EvaluationRun) -> list[HumanEdit]:
    """The edits people's reviews make to the run's samples, in sample order, in one query:
    one per sample result whose reviews have a human majority."""
    rows = (
        SampleReview.objects.filter(sample__run=run)
        .order_by("sample__sample_id", "sample__epoch", "created_at", "pk")
        .values_list(
            "pk",
            "sample__sample_id",
            "sample__epoch",
            "reviewer__username",
            "label__name",
            "label__verdict",
            "manual_score",
            "note",
            "updated_at",
        )
    )
    grouped: dict[tuple[str, int], HumanEdit] = {}
    for pk, sample_id, epoch, username, label, verdict, manual, note, updated in rows:
        edit = grouped.setdefault((sample_id, epoch), HumanEdit(sample_id, epoch, 0.0))
        score = judges.human_score(manual, verdict)
        edit.review_ids.append(pk)
        edit.authors.append(username)
        if score is not None:
            edit.human_scores.append(score)
        said = f"{username}: {label}"
        if manual is not None:
            said += f" (score {manual:g})"
        if note.strip():
            said += f' — "{_short(note)}"'
        edit.reasons.append(said)
        edit.at = max(edit.at, updated) if edit.at else updated
    out = []
    for edit in grouped.values():
        majority = judges.human_majority(edit.human_scores)
        if majority is not None:
            edit.value = majority
            out.append(edit)
    return out


def _in_vocabulary(original: Any, value: float) -> Any:
    """The human value in the scorer's own terms."""
    passed = judges.is_pass(value)
    if isinstance(original, str) and original in _LETTERS:
        return CORRECT if passed else INCORRECT
    if isinstance(original, bool):
        return passed
    if isinstance(original, int):
        return int(value)
    return value


def _edited_value(scores: dict, scorer: str, value: float) -> tuple[str, Any] | None:
    """(score name, new value) for the headline `scorer` of a sample's scores: the score of that
    name, else the dict score holding it as a key. None when the sample has no such score."""
    if scorer in scores:
        return scorer, _in_vocabulary(scores[scorer].value, value)
    for name, score in scores.items():
        if isinstance(score.value, dict) and scorer in score.value:
            replaced = dict(score.value)
            replaced[scorer] = _in_vocabulary(score.value[scorer], value)
            return name, replaced
    if not scorer and len(scores) == 1:
        name, score = next(iter(scores.items()))
        return name, _in_vocabulary(score.value, value)
    return None


def apply_human_edits(log: EvalLog, run: EvaluationRun, edits: list[HumanEdit]) -> int:
    """Edit `log` in place with `edits` (Inspect's edit_score, metrics recomputed once at the
    end); returns how many scores were edited."""
    index = {(str(s.id), s.epoch): s for s in log.samples or []}
    done = 0
    for edit in edits:
        sample = index.get((edit.sample_id, edit.epoch))
        if sample is None or not sample.scores:
            continue
        target = _edited_value(sample.scores, run.primary_scorer, edit.value)
        if target is None:
            continue
        name, value = target
        provenance = ProvenanceData(
            timestamp=edit.at or timezone.now(),
            author=", ".join(dict.fromkeys(edit.authors)),
            reason=edit.reason,
            metadata={
                "source": "concord",
                "run": run.pk,
                "review_ids": edit.review_ids,
                "human_scores": edit.human_scores,
            },
        )
        edit_score(
            log,
            sample.id,
            name,
            ScoreEdit(value=value, provenance=provenance),
            recompute_metrics=False,
            epoch=sample.epoch,
        )
        done += 1
    if done:
        recompute_metrics(log)
    return done


def _read(path: Path) -> EvalLog:
    # Concord's own reader first: the archive and JSON checks of `ingestion.safety` hold
    # before Inspect reads the whole log.
    with open_log(path) as reader:
        reader.header()
    try:
        return read_eval_log(str(path))
    except Exception as exc:  # Inspect's reader raises many kinds; any means "unreadable"
        raise LogReadError(f"The log could not be read ({exc.__class__.__name__}).") from exc


def reviewed_log_name(run: EvaluationRun) -> str:
    suffix = Path(run.log_file or "").suffix.lower() or ".eval"
    return f"concord-run-{run.pk}-reviewed{suffix}"


def reviewed_log_file(run: EvaluationRun) -> tuple[IO[bytes], int]:
    """(an open temporary file holding the reviewed log, how many scores were edited). The file
    has no name on disk any more: it is gone when the handle is closed. FileNotFoundError when
    the run has no log, StorageUnavailable when the storage does not answer,
    ReviewedLogUnavailable when the log is not an Inspect log Concord can read."""
    name = log_name(run)
    if name is None:
        raise FileNotFoundError("This run records no log file.")
    suffix = Path(name).suffix.lower()
    if run.log_format != "inspect" or suffix not in (".eval", ".json"):
        raise ReviewedLogUnavailable(
            "This run was imported from lm-evaluation-harness results, not an Inspect log: "
            "there is no Inspect log to add the reviews to."
        )
    edits = human_edits(run)
    with logstore.local_copy(name) as source:
        try:
            log = _read(Path(source))
        except LogReadError as exc:
            raise ReviewedLogUnavailable(f"The run's log cannot be read: {exc}") from exc
    if log.samples is None:
        raise ReviewedLogUnavailable("The run's log holds no samples to edit.")
    edited = apply_human_edits(log, run, edits)
    log = edit_eval_log(
        log,
        [
            TagsEdit(tags_add=[TAG]),
            MetadataEdit(
                metadata_set={
                    "concord_reviewed": {
                        "run": run.pk,
                        "scorer": run.primary_scorer,
                        "score_edits": edited,
                        "reviewed_samples": len(edits),
                    }
                }
            ),
        ],
        ProvenanceData(
            author="concord",
            reason=f"People's reviews of run {run.pk} added as score edits of "
            f"'{run.primary_scorer}' ({edited} edited).",
        ),
    )
    with tempfile.TemporaryDirectory(prefix="concord-reviewed-") as folder:
        target = Path(folder) / f"reviewed{suffix}"
        write_eval_log(log, str(target))
        handle = target.open("rb")  # stays readable once the folder is gone (POSIX)
    return handle, edited


__all__ = [
    "HumanEdit",
    "ReviewedLogUnavailable",
    "apply_human_edits",
    "human_edits",
    "reviewed_log_file",
    "reviewed_log_name",
]


def reviewed_log_response(
    request, run: EvaluationRun, handle: IO[bytes], edited: int
) -> FileResponse:
    """The download of a reviewed log (`reviewed_log_file`), audited like the other log
    downloads, with the number of score edits in `X-Concord-Score-Edits`: for the page and the
    API alike."""
    audit.record_export(
        request, project_id=run.project_id, run=run.pk, what="reviewed_log", score_edits=edited
    )
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=reviewed_log_name(run),
        content_type="application/octet-stream",
    )
    response["X-Concord-Score-Edits"] = str(edited)
    return response
