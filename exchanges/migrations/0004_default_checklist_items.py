"""The default onboarding checklist. Programme managers change it in the admin afterwards."""

from django.db import migrations

DEFAULTS = [
    (10, "Agreement signed", "The secondment agreement is signed by both institutes and the person."),
    (20, "Access provisioned", "Accounts, building access and systems at the host institute are set up."),
    (30, "Security briefing done", "The person has had the host institute's security briefing."),
]


def add_defaults(apps, schema_editor):
    ChecklistItemType = apps.get_model("exchanges", "ChecklistItemType")
    for order, name, description in DEFAULTS:
        ChecklistItemType.objects.get_or_create(
            name=name, defaults={"order": order, "description": description, "mandatory": True}
        )


def remove_unused_defaults(apps, schema_editor):
    ChecklistItemType = apps.get_model("exchanges", "ChecklistItemType")
    ChecklistItemType.objects.filter(
        name__in=[name for _order, name, _description in DEFAULTS], items__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("exchanges", "0003_exchange_trail_and_feed_label")]

    operations = [migrations.RunPython(add_defaults, remove_unused_defaults)]
