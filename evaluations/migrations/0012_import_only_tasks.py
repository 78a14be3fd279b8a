from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0011_finding_evidence_and_review_labels")]

    operations: list = []
