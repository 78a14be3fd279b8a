from django.db import migrations

# The labels reviewers start with; programme managers add, rename or reorder them in the admin.
LABELS = [
    ("correct", "Correct", "The answer is right and the transcript shows no problem.", 10),
    ("refusal", "Refusal", "The system declined to do the task.", 20),
    (
        "tool-use-fault",
        "Tool-use fault",
        "The system called a tool wrongly or misread a tool's result.",
        30,
    ),
    (
        "scaffold-non-compliance",
        "Scaffold non-compliance",
        "The system did not follow the agent scaffold's protocol (format, turn-taking, submit).",
        40,
    ),
    (
        "environment-bug",
        "Environment bug",
        "The task environment, dataset or scorer was at fault, not the system.",
        50,
    ),
]


def add_labels(apps, schema_editor):
    ReviewLabel = apps.get_model("evaluations", "ReviewLabel")
    for slug, name, description, order in LABELS:
        ReviewLabel.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "order": order}
        )


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0005_builtin_tasks")]
    operations = [migrations.RunPython(add_labels, migrations.RunPython.noop)]
