"""What other apps call when something a webhook may hear of happens (explicitly, from their
services: no signals). See webhooks.services.events for who receives what."""

from webhooks.services.events import (
    emit,
    finding_changed,
    guideline_approved,
    job_finished,
    run_imported,
)

__all__ = ["emit", "finding_changed", "guideline_approved", "job_finished", "run_imported"]
