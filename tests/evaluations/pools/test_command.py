"""`python manage.py create_worker_pool`: the credential alone on stdout, errors on stderr."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from evaluations.models import WorkerPool
from evaluations.models.pools import hash_credential

pytestmark = pytest.mark.django_db


def test_prints_the_credential_alone_on_stdout(institute_a):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "create_worker_pool",
        institute_a.code,
        "gpu",
        "--default",
        "--description",
        "Rack 4",
        stdout=out,
        stderr=err,
    )
    raw = out.getvalue().strip()
    assert raw.startswith("cwp_")
    assert "\n" not in raw
    pool = WorkerPool.objects.get(credential_hash=hash_credential(raw))
    assert (pool.name, pool.is_default, pool.description) == ("gpu", True, "Rack 4")
    assert "shown only this once" in err.getvalue()


def test_errors_name_what_is_wrong(institute_a):
    with pytest.raises(CommandError, match="No institute"):
        call_command("create_worker_pool", "nope", "gpu", stdout=io.StringIO())
    call_command(
        "create_worker_pool", institute_a.code, "gpu", stdout=io.StringIO(), stderr=io.StringIO()
    )
    with pytest.raises(CommandError, match="already has a pool"):
        call_command("create_worker_pool", institute_a.code, "gpu", stdout=io.StringIO())
