"""Concord's client for partner tools (no Django, no Concord server code)."""

__version__ = "0.1.0"
