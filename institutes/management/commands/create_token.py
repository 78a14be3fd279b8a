"""python manage.py create_token <username> [--name ...] [--days N] [--scope read|write]

Prints the new token once, alone on standard output (so a script can capture it); what it is for
and when it expires go to standard error. Only its hash is stored: it cannot be shown again.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from institutes.access import can_hold_write_token
from institutes.models import ApiToken, User
from institutes.services import token_create


class Command(BaseCommand):
    help = "Issue an API token for a user and print it once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="Command-line token", help="What the token is for.")
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Lifetime in days (default: API_TOKEN_DEFAULT_DAYS; at most API_TOKEN_MAX_DAYS).",
        )
        parser.add_argument(
            "--scope",
            choices=ApiToken.Scope.values,
            default=None,
            help=(
                "read: GET only; write: every method the user's roles allow (the default, "
                "except for viewers, who hold read tokens only)."
            ),
        )

    def handle(self, *args, username, name, days, scope, **options):
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist as exc:
            raise CommandError(f"No user named '{username}'.") from exc
        if scope is None:
            scope = ApiToken.Scope.WRITE if can_hold_write_token(user) else ApiToken.Scope.READ
        try:
            token, raw = token_create(user=user, name=name, scope=scope, expires_in_days=days)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stderr.write(
            f"Token '{token.name}' ({token.get_scope_display().lower()}) for {user.username}, "
            f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC. "
            "It is shown only this once: store it now."
        )
        self.stdout.write(raw)
