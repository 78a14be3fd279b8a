"""Errors every log reader raises: a sentence a person can act on, never a stack trace."""

from __future__ import annotations


class LogReadError(ValueError):
    """The file is not a readable log (damaged, truncated, or not a log at all)."""


class UnsafeInput(LogReadError):
    """The file breaks a safety limit (a ZIP bomb, a forged or path-traversing archive, JSON
    nested too deeply, a document too large to hold): refused before it is read further."""
