"""Jobs that survive faults: each fault mode a few times against real workers, PostgreSQL and a
Redis of our own (see `tests/faults/run_faults.py`, which runs more trials). No job may be lost,
duplicated or left running; a message delivered twice runs its job once; a job that kills its
worker on every attempt fails after its attempts, with the reason.

One test, so that the workers start once and the database is emptied once."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.faults import run_faults as faults
from tests.figures import figure

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TRIALS = faults.trials_from_env(2)
MODES = faults.modes_from_env()


@pytest.mark.timeout(120 + 90 * TRIALS * len(MODES) // 4)
def test_jobs_survive_worker_and_broker_faults(tmp_path, institute_a, bob):
    with (
        override_settings(CONCORD_LOG_DIR=tmp_path / "logs"),
        faults.running_cluster(tmp_path) as cluster,
        faults.Sender(cluster.broker).installed() as sender,
    ):
        world = faults.World(institute_a, bob)
        results = {}
        for mode in MODES:
            results[mode] = faults.run_mode(cluster, world, mode, TRIALS)
            figure(results[mode].line())
        again = faults.redelivery(cluster, world, sender)
        figure(again.line())
        poisoned = faults.poison(cluster, faults.World(institute_a, bob, faults.POISON_TASK))
        figure(poisoned.line())

    for mode, result in results.items():
        assert result.trials == TRIALS, mode
        assert (result.lost, result.duplicated, result.stuck) == (0, 0, 0), (mode, result.notes)
    if "redis-restart" in results:
        # the queued messages died with Redis: the reconciler sent them again
        restarts = results["redis-restart"]
        assert restarts.resent >= restarts.waiting_at_fault > 0

    # redelivered after the visibility timeout, and one message sent twice: one run each
    assert again.redelivered >= 1
    assert again.not_claimed >= again.deliveries - again.jobs
    assert again.claims == again.runs == again.executions == again.jobs

    assert poisoned.status == "failed", poisoned.error
    assert poisoned.attempts == poisoned.max_attempts == 3
    assert "stopped answering" in poisoned.error
    assert "tried 3 times" in poisoned.error
    assert poisoned.runs == 0
