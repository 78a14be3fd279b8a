"""Concord's client for partner tools (no Django, no Concord server code)."""
