"""python manage.py create_worker_pool <institute-code> <name> [--default] [--description D]

Creates a worker pool for the institute and prints its credential once, alone on standard output
(so a script can capture it: `CONCORD_WORKER_TOKEN=$(python manage.py create_worker_pool ...)`);
what it is for goes to standard error. Only its hash is stored: it cannot be shown again.
Errors go to standard error with exit status 1 (a refused pool) or 2 (bad arguments).
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from evaluations.services.pools import pool_create
from institutes.models import Institute


class Command(BaseCommand):
    help = "Create a worker pool for an institute and print its credential once."

    def add_arguments(self, parser):
        parser.add_argument("institute", help="The institute's code.")
        parser.add_argument("name", help="The pool's name, e.g. gpu-cluster.")
        parser.add_argument(
            "--default",
            action="store_true",
            help="Make it the institute's default pool (runs its jobs where no project chose one).",
        )
        parser.add_argument("--description", default="", help="Where the pool runs.")

    def handle(self, *args, institute, name, default, description, **options):
        found = Institute.objects.filter(code=institute).first()
        if found is None:
            raise CommandError(f"No institute with the code '{institute}'.")
        try:
            pool, raw = pool_create(
                institute=found, name=name, description=description, is_default=default, by=None
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stderr.write(
            f"Worker pool '{pool.name}' of {found.name}"
            + (" (the default pool)" if pool.is_default else "")
            + ". Its credential is shown only this once: store it now, and start workers with "
            "CONCORD_URL=<this site> CONCORD_WORKER_TOKEN=<credential> concord worker"
        )
        self.stdout.write(raw)
