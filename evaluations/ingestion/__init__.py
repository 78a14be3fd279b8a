"""Ingestion of Inspect logs into runs, scores and sample results (see `service`)."""

from evaluations.ingestion.errors import LogReadError
from evaluations.ingestion.service import (
    IngestResult,
    LogRejected,
    UnknownTask,
    read_log_header,
    run_ingest_log,
)

__all__ = [
    "IngestResult",
    "LogReadError",
    "LogRejected",
    "UnknownTask",
    "read_log_header",
    "run_ingest_log",
]
