"""platform/gunicorn.conf.py: workers are recycled rarely (each recycle stalls the requests queued
on its keep-alive connections for seconds: measured by benchmarks/serving.py), and the bound can
be set from the environment."""

import runpy
from pathlib import Path

CONF = Path(__file__).resolve().parent.parent / "platform" / "gunicorn.conf.py"


def test_workers_are_recycled_after_twenty_thousand_requests_by_default(monkeypatch):
    monkeypatch.delenv("GUNICORN_MAX_REQUESTS", raising=False)
    conf = runpy.run_path(str(CONF))
    assert conf["max_requests"] == 20000
    assert conf["max_requests_jitter"] == 2000


def test_the_recycling_bound_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("GUNICORN_MAX_REQUESTS", "0")  # 0: never recycle
    assert runpy.run_path(str(CONF))["max_requests"] == 0
