"""The worker that runs the reaper and the reconciler for the fault runs (queue `default`, with
the beat): the real worker, less the Inspect warm-up, which only evaluation workers need.

    python -m tests.faults.control_worker <celery worker arguments>
"""

from __future__ import annotations

import sys

import django
from celery import signals


def main(argv: list[str]) -> None:
    django.setup()
    from config.celery_app import app
    from evaluations import tasks

    signals.worker_init.disconnect(tasks._preload_inspect)
    app.worker_main(["worker", *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
