from django.apps import AppConfig


class InstitutesConfig(AppConfig):
    name = "institutes"
    verbose_name = "Institutes and people"
