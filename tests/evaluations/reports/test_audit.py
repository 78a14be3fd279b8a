"""The project's audit trail tells a report's story in words: drafted, submitted, each
institute's signature, the freeze and the sharing (the database triggers record the rows)."""

from __future__ import annotations

import pytest

from evaluations.services import reports
from institutes import audit_text
from institutes.selectors import project_audit_events
from tests.evaluations.reports.conftest import frozen_report

pytestmark = pytest.mark.django_db


def test_the_trail_names_each_step(rw, alice, institute_a, institute_b, monkeypatch):
    monkeypatch.setattr(reports.developer_mail, "notify_contacts", lambda project, **kw: None)
    report = frozen_report(rw, alice, institute_a, institute_b)
    reports.report_share(report=report, by=alice)
    sentences = [
        line.sentence for line in audit_text.describe(project_audit_events(alice, rw.project))
    ]
    name = "version 1 of the report 'Joint report'"
    for expected in (
        f"drafted {name}",
        f"submitted {name} for the institutes' signatures",
        f"signed {name} for {institute_a.name}",
        f"signed {name} for {institute_b.name}",
        f"froze {name}: every institute has signed",
        f"shared {name} with the developer",
    ):
        assert expected in sentences, (expected, sentences)
