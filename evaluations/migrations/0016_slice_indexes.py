from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0015_review_queues_and_judges")]

    operations: list = []
