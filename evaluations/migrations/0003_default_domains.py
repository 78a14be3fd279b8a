from django.db import migrations

DOMAINS = [
    ("biological", "Biological", 10),
    ("chemical", "Chemical", 20),
    ("cyber", "Cyber", 30),
    ("autonomy", "Autonomy / AI R&D", 40),
    ("safeguards", "Safeguards", 50),
    ("societal", "Societal", 60),
    ("other", "Other", 90),
]


def add_domains(apps, schema_editor):
    Domain = apps.get_model("evaluations", "Domain")
    for slug, name, order in DOMAINS:
        Domain.objects.get_or_create(slug=slug, defaults={"name": name, "order": order})


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0002_initial")]
    operations = [migrations.RunPython(add_domains, migrations.RunPython.noop)]
