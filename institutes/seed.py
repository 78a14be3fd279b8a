"""Demo institutes and people. Idempotent: running it again changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from institutes.models import Institute, Membership, Role, User

DEMO_PASSWORD = "concord-demo-2026"  # noqa: S105  (demo only; seed_demo refuses without DEBUG)

INSTITUTES = [
    ("uk-aisi", "UK AI Security Institute", "GB", "https://www.aisi.gov.uk"),
    ("us-caisi", "US Center for AI Standards and Innovation", "US", "https://www.nist.gov/caisi"),
    ("jp-aisi", "Japan AI Safety Institute", "JP", "https://aisi.go.jp"),
]

# username, first, last, institute code (None for the programme manager), role
PEOPLE: list[tuple[str, str, str, str | None, Role | None]] = [
    ("alice", "Alice", "Ashworth", "uk-aisi", Role.LEAD),
    ("bob", "Bob", "Bennett", "uk-aisi", Role.EVALUATOR),
    ("uma", "Uma", "Underwood", "uk-aisi", Role.VIEWER),
    ("carol", "Carol", "Chen", "us-caisi", Role.LEAD),
    ("dan", "Dan", "Delgado", "us-caisi", Role.EVALUATOR),
    ("vic", "Vic", "Vance", "us-caisi", Role.VIEWER),
    ("kenji", "Kenji", "Kato", "jp-aisi", Role.LEAD),
    ("emi", "Emi", "Endo", "jp-aisi", Role.EVALUATOR),
    ("pm", "Priya", "Mehta", None, None),
]


@dataclass
class SeededPeople:
    institutes: dict[str, Institute]
    users: dict[str, User]


def seed_institutes() -> SeededPeople:
    institutes = {}
    for code, name, country, website in INSTITUTES:
        institutes[code], _ = Institute.objects.update_or_create(
            code=code, defaults={"name": name, "country": country, "website": website}
        )
    users = {}
    for username, first, last, home, role in PEOPLE:
        is_pm = home is None
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.org",
                "is_programme_manager": is_pm,
                "is_staff": is_pm,
                "is_superuser": is_pm,
                "is_active": True,
            },
        )
        if not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        if home is not None and role is not None:
            Membership.objects.update_or_create(
                user=user, institute=institutes[home], defaults={"role": role}
            )
        users[username] = user
    return SeededPeople(institutes=institutes, users=users)
