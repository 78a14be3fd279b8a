"""Inspect task references: `module:function` or a name in Inspect's registry.

`load_task` builds the Task a reference names, with the job's task arguments. Errors are plain
exceptions with a sentence for people: `TaskRefError` for a malformed reference or something
that is not a task, `TaskRefUnresolved` for a well-formed reference that names nothing on this
machine (its package is not installed, or the name is not registered). Concord turns them into
its validation errors where it needs them (`evaluations.runner.refs`).
"""

from __future__ import annotations

import importlib
import re
from typing import Any

MODULE_REF = re.compile(
    r"^(?P<module>[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*):(?P<function>[A-Za-z_]\w*)$"
)
REGISTERED = re.compile(r"^[A-Za-z_][\w\-]*(?:/[A-Za-z_][\w\-]*)?$")
# A task name as Inspect writes it in a log (`eval.task`): what an import-only task may be called.
TASK_NAME = re.compile(r"^[A-Za-z_][\w\-.]*(?:/[A-Za-z_][\w\-.]*)*$")
MALFORMED = (
    "'{ref}' is not a task reference: use 'package.module:function' or the name of a "
    "registered Inspect task such as 'inspect_evals/gpqa_diamond'."
)


class TaskRefError(Exception):
    """A task reference that cannot give a task; the message says why."""

    @property
    def message(self) -> str:
        return str(self)


class TaskRefUnresolved(TaskRefError):
    """A well-formed reference that names no Inspect task on this machine."""


def import_function(ref: str):
    match = MODULE_REF.match(ref)
    if match is None:
        raise TaskRefError(MALFORMED.format(ref=ref))
    module_name, function_name = match["module"], match["function"]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise TaskRefUnresolved(
            f"Module '{module_name}' cannot be imported on this server ({exc}). Install the "
            "package that provides it, on the web server and on the workers."
        ) from exc
    function = getattr(module, function_name, None)
    if function is None or not callable(function):
        raise TaskRefUnresolved(f"Module '{module_name}' has no function '{function_name}'.")
    return function


def registered(ref: str):
    from inspect_ai._util.registry import registry_lookup

    if not REGISTERED.match(ref):
        return None
    return registry_lookup("task", ref)


def check_ref(ref: str) -> str:
    """Return the normalised reference if it names an Inspect task here; raise TaskRefError
    (or TaskRefUnresolved) saying what is wrong otherwise."""
    ref = (ref or "").strip()
    if not ref:
        raise TaskRefError("Give the Inspect task reference.")
    if ":" in ref:
        function = import_function(ref)
        from inspect_ai._util.registry import is_registry_object

        if not is_registry_object(function, type="task"):
            raise TaskRefError(
                f"'{ref}' is a function but not an Inspect task: decorate it with @task."
            )
        return ref
    if not TASK_NAME.match(ref):
        raise TaskRefError(MALFORMED.format(ref=ref))
    if registered(ref) is None:
        raise TaskRefUnresolved(
            f"No Inspect task is registered as '{ref}'. Use 'package.module:function', or "
            "install the package that registers it (e.g. inspect_evals) on the server and the "
            "workers."
        )
    return ref


def load_task(ref: str, task_args: dict[str, Any] | None = None):
    """Build the Inspect Task a reference names, with the job's task arguments."""
    from inspect_ai import Task

    task_args = task_args or {}
    if ":" in ref:
        task = import_function(ref)(**task_args)
    else:
        from inspect_ai._eval.registry import task_create

        if registered(ref) is None:
            check_ref(ref)  # raises the readable error
        task = task_create(ref, **task_args)
    if not isinstance(task, Task):
        raise TaskRefError(f"'{ref}' did not return an Inspect Task.")
    return task
