"""The demo's report: version 1 of the demo project's report, signed by both institutes, frozen
from the seeded runs and shared with the developer."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from evaluations.models import Report
from evaluations.results.report_content import content_hash

pytestmark = pytest.mark.django_db


def test_seed_demo_freezes_and_shares_a_report(settings):
    settings.LOCAL = True
    call_command("seed_demo")
    report = Report.objects.get(number=1)
    assert report.status == Report.Status.FROZEN
    assert report.shared_at is not None
    assert sorted(report.approvals.values_list("institute__code", flat=True)) == [
        "uk-aisi",
        "us-caisi",
    ]
    assert report.content_hash == content_hash(report.content)
    assert report.content["results"]
    assert [s["title"] for s in report.sections] == ["Summary", "Scope and limitations"]
