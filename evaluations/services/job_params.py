"""The parameters a job may carry, validated in one place (jobs, task defaults, the API).

Every key maps to an argument of Inspect's `eval()` (or to Concord's own wall-clock limit), so a
job's params are exactly what the worker passes on; unknown keys are refused rather than ignored.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

DAY = 24 * 3600


def _int(low: int, high: int):
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise ValueError(f"must be a whole number between {low} and {high}")
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}")
        return value

    return check


def _float(low: float, high: float):
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"must be a number between {low} and {high}")
        if not low <= float(value) <= high:
            raise ValueError(f"must be between {low} and {high}")
        return float(value)

    return check


def _fail_on_error(value: Any) -> bool | float:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and 0 < float(value) < 1:
        return float(value)
    raise ValueError("must be true, false, or the fraction of samples allowed to fail (0 to 1)")


def _task_args(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise ValueError("must be an object of the task's arguments")
    return value


# name -> (checker, help)
PARAMS: dict[str, tuple[Any, str]] = {
    "limit": (_int(1, 1_000_000), "Run only the first N samples."),
    "epochs": (_int(1, 100), "Times each sample is run (scores are reduced by the mean)."),
    "temperature": (_float(0.0, 2.0), "Sampling temperature."),
    "seed": (_int(0, 2**31 - 1), "Random seed for the model, where supported."),
    "max_tokens": (_int(1, 1_000_000), "Largest number of tokens per model response."),
    "max_connections": (_int(1, 512), "Concurrent connections to the model API."),
    "max_samples": (_int(1, 512), "Samples run in parallel."),
    "sample_time_limit": (_int(1, DAY), "Seconds allowed per sample."),
    "time_limit": (_int(10, 7 * DAY), "Seconds allowed for the whole job (soft limit)."),
    "fail_on_error": (_fail_on_error, "Fail the run on a sample error (or above a fraction)."),
    "task_args": (_task_args, "Arguments passed to the task function."),
}


def clean_params(params: Any) -> dict[str, Any]:
    """Return validated params, or raise ValidationError naming each wrong key."""
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise ValidationError({"params": ["Parameters must be a JSON object."]})
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, value in params.items():
        if key not in PARAMS:
            known = ", ".join(sorted(PARAMS))
            errors[key] = [f"Unknown parameter '{key}'. Known parameters: {known}."]
            continue
        if value is None:
            continue
        try:
            cleaned[key] = PARAMS[key][0](value)
        except ValueError as exc:
            errors[key] = [f"{key} {exc}."]
    if errors:
        raise ValidationError(errors)
    return cleaned
