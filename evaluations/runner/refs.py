"""Inspect task references: `module:function` or a name in Inspect's registry.

`check_inspect_ref` validates a reference without building the task (building may read datasets
from the network); `load_task` builds it for a run. A well-formed reference that does not resolve
on this server raises `RefUnresolved` (a ValidationError): the registry keeps such a task as
import-only, while a malformed reference is refused outright.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

from django.core.exceptions import ValidationError

_MODULE_REF = re.compile(
    r"^(?P<module>[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*):(?P<function>[A-Za-z_]\w*)$"
)
_REGISTERED = re.compile(r"^[A-Za-z_][\w\-]*(?:/[A-Za-z_][\w\-]*)?$")
# A task name as Inspect writes it in a log (`eval.task`): what an import-only task may be called.
_TASK_NAME = re.compile(r"^[A-Za-z_][\w\-.]*(?:/[A-Za-z_][\w\-.]*)*$")
_MALFORMED = (
    "'{ref}' is not a task reference: use 'package.module:function' or the name of a "
    "registered Inspect task such as 'inspect_evals/gpqa_diamond'."
)


class RefUnresolved(ValidationError):
    """A well-formed reference that names no Inspect task on this server (its package is not
    installed here, or the name is not registered): Concord cannot run it, it can import its
    logs."""


def _import_function(ref: str):
    match = _MODULE_REF.match(ref)
    if match is None:
        raise ValidationError(_MALFORMED.format(ref=ref))
    module_name, function_name = match["module"], match["function"]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise RefUnresolved(
            f"Module '{module_name}' cannot be imported on this server ({exc}). Install the "
            "package that provides it, on the web server and on the workers."
        ) from exc
    function = getattr(module, function_name, None)
    if function is None or not callable(function):
        raise RefUnresolved(f"Module '{module_name}' has no function '{function_name}'.")
    return function


def _registered(ref: str):
    from inspect_ai._util.registry import registry_lookup

    if not _REGISTERED.match(ref):
        return None
    return registry_lookup("task", ref)


def check_inspect_ref(ref: str) -> str:
    """Return the normalised reference if it names an Inspect task; raise ValidationError saying
    what is wrong otherwise."""
    ref = (ref or "").strip()
    if not ref:
        raise ValidationError("Give the Inspect task reference.")
    if ":" in ref:
        function = _import_function(ref)
        from inspect_ai._util.registry import is_registry_object

        if not is_registry_object(function, type="task"):
            raise ValidationError(
                f"'{ref}' is a function but not an Inspect task: decorate it with @task."
            )
        return ref
    if not _TASK_NAME.match(ref):
        raise ValidationError(_MALFORMED.format(ref=ref))
    if _registered(ref) is None:
        raise RefUnresolved(
            f"No Inspect task is registered as '{ref}'. Use 'package.module:function', or "
            "install the package that registers it (e.g. inspect_evals) on the server and the "
            "workers."
        )
    return ref


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
    from inspect_ai import Task

    task_args = task_args or {}
    if ":" in ref:
        task = _import_function(ref)(**task_args)
    else:
        from inspect_ai._eval.registry import task_create

        if _registered(ref) is None:
            check_inspect_ref(ref)  # raises the readable error
        task = task_create(ref, **task_args)
    if not isinstance(task, Task):
        raise ValidationError(f"'{ref}' did not return an Inspect Task.")
    return task
