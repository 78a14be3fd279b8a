from django.apps import AppConfig


class InstitutesConfig(AppConfig):
    name = "institutes"
    verbose_name = "Institutes and people"

    def ready(self) -> None:
        from institutes import (
            audit_sqlite,  # noqa: F401  (the audit triggers on SQLite)
            signals,  # noqa: F401  (connects the audit hooks)
        )
