"""The demo's joint report: version 1 of the demo project's report, drafted by alice (lead of
UK AISI) with a few Markdown sections, submitted, signed by alice for UK AISI and carol for US
CAISI (the last signature freezes its figures from the seeded runs), and shared with the
developer. Seeded once: a project that already has a report keeps it, so seeding twice gives
the same data.
"""

from __future__ import annotations

from evaluations.models import EvaluationProject
from evaluations.services import reports

TITLE = "Joint pre-deployment evaluation: interim report"
SECTIONS = [
    {
        "title": "Summary",
        "markdown": (
            "Both institutes evaluated the target system on the shared suites under the adopted "
            "cyber protocol. The tables below are copied from the stored runs when the last "
            "institute signed; each figure carries its **95% interval**."
        ),
    },
    {
        "title": "Scope and limitations",
        "markdown": (
            "- Runs marked *partial* cover only part of their dataset.\n"
            "- Scores graded by an LLM judge are flagged where reviewers disagree with it.\n"
            "- The reference systems are shown side by side for comparison only."
        ),
    },
]


def seed_reports(people, project: EvaluationProject) -> None:
    if project.reports.exists():
        return
    uk, us = people.institutes["uk-aisi"], people.institutes["us-caisi"]
    alice, carol = people.users["alice"], people.users["carol"]
    report = reports.report_draft(project=project, by=alice, title=TITLE, sections=SECTIONS)
    reports.report_submit(report=report, by=alice)
    reports.report_approve(report=report, by=alice, institute=uk, comment="Agreed for UK AISI.")
    report = reports.report_approve(report=report, by=carol, institute=us)
    reports.report_share(report=report, by=alice)
