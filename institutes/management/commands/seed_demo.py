from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from institutes.seed import DEMO_PASSWORD, PEOPLE, seed_institutes


class Command(BaseCommand):
    help = "Load Concord's demo data (institutes, people, a joint project, runs). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--without-runs",
            action="store_true",
            help="Skip running the shipped suites for demo results (faster; no runs in the demo).",
        )

    def handle(self, *args, **options):
        if not settings.LOCAL:
            raise CommandError(
                "seed_demo creates accounts with a published demo password, so it only runs with "
                "CONCORD_DEMO=1 (or DEBUG=1). It is meant for the local demo, never for a shared or "
                "production database."
            )
        from evaluations.seed import seed_evaluations
        from exchanges.seed import seed_exchanges

        with transaction.atomic():
            people = seed_institutes()
            seed_evaluations(people, with_runs=not options["without_runs"])
            seed_exchanges(people)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data is loaded. Logins (password for all: {DEMO_PASSWORD}):")
        )
        for username, _first, _last, code, role in PEOPLE:
            what = (
                f"{role.label.lower()} at {code}"
                if code and role
                else "programme manager (admin access)"
            )
            self.stdout.write(f"  {username:<8} {what}")
