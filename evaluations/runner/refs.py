"""Inspect task references: `module:function` or a name in Inspect's registry.

`check_inspect_ref` validates a reference without building the task (building may read datasets
from the network); `load_task` builds it for a run. A well-formed reference that does not resolve
on this server raises `RefUnresolved` (a ValidationError): the registry keeps such a task as
import-only, while a malformed reference is refused outright. The parsing and loading are the
shared runner's (`concord_client.runner.refs`, plain exceptions); this module turns its errors
into validation errors.
"""

from __future__ import annotations

from typing import Any

import concord_client.runner.refs as shared
from django.core.exceptions import ValidationError


class RefUnresolved(ValidationError):
    """A well-formed reference that names no Inspect task on this server (its package is not
    installed here, or the name is not registered): Concord cannot run it, it can import its
    logs."""


def _validation_error(exc: shared.TaskRefError) -> ValidationError:
    if isinstance(exc, shared.TaskRefUnresolved):
        return RefUnresolved(str(exc))
    return ValidationError(str(exc))


def check_inspect_ref(ref: str) -> str:
    """Return the normalised reference if it names an Inspect task; raise ValidationError saying
    what is wrong otherwise."""
    try:
        return shared.check_ref(ref)
    except shared.TaskRefError as exc:
        raise _validation_error(exc) from exc


def inspect_ref_status(ref: str) -> tuple[str, str]:
    """(the normalised reference, why it does not resolve here: "" when it does). Raises
    ValidationError only for a reference that is malformed or names something that is not an
    Inspect task."""
    try:
        return check_inspect_ref(ref), ""
    except RefUnresolved as exc:
        return (ref or "").strip(), " ".join(exc.messages)


def load_task(ref: str, task_args: dict[str, Any] | None = None):
    """Build the Inspect Task a reference names, with the job's task arguments."""
    try:
        return shared.load_task(ref, task_args)
    except shared.TaskRefError as exc:
        raise _validation_error(exc) from exc
