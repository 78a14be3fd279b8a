"""Joint reports (versions, approvals, frozen content), the AI developer's organisations and
contacts, their comments and responses on findings, and the developer's response window."""

import django.db.models.deletion
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models

from institutes import audit

# Comments and responses on findings are part of the record: kept like the findings they
# answer (the trigger function is migration 0010's).
KEPT_TABLES = ("evaluations_findingcomment", "evaluations_findingresponse")


def keep_evidence(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # the SQLite demo relies on the ORM's guards
    for table in KEPT_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS concord_keep_evidence ON {table}")
        schema_editor.execute(
            f"CREATE TRIGGER concord_keep_evidence BEFORE DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION concord_keep_evidence()"
        )


def install_audit(apps, schema_editor):
    # The new tables are audited like every other (SQLite: after migrate, audit_sqlite).
    if schema_editor.connection.vendor == "postgresql":
        audit.install_triggers(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0018_queue_changes"),
        ("institutes", "0005_api_token_names"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="evaluationproject",
            name="developer_response_days",
            field=models.PositiveSmallIntegerField(
                default=14,
                help_text="Days the AI developer has to respond to a finding shared with them; a finding cannot be published before then unless a lead overrides it with a reason (0: no window).",
            ),
        ),
        migrations.AddField(
            model_name="finding",
            name="publish_override_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="finding",
            name="publish_override_reason",
            field=models.TextField(
                blank=True,
                help_text="Why a lead published it while the developer's response window was open.",
            ),
        ),
        migrations.AddField(
            model_name="finding",
            name="shared_at",
            field=models.DateTimeField(
                blank=True, help_text="When it was shared with the AI developer.", null=True
            ),
        ),
        migrations.CreateModel(
            name="DeveloperContact",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("email", models.EmailField(max_length=254)),
                ("name", models.CharField(max_length=200)),
                ("invited_at", models.DateTimeField(auto_now_add=True)),
                ("invitation_hash", models.CharField(blank=True, db_index=True, max_length=64)),
                ("invitation_expires_at", models.DateTimeField(blank=True, null=True)),
                ("accepted_at", models.DateTimeField(blank=True, null=True)),
                ("revoked_at", models.DateTimeField(blank=True, null=True)),
                (
                    "invited_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "project",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="developer_contacts",
                        to="evaluations.evaluationproject",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="developer_contacts",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["project", "organisation__name", "name"],
            },
        ),
        migrations.CreateModel(
            name="FindingComment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("body", models.TextField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "author",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="finding_comments",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "finding",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="comments",
                        to="evaluations.finding",
                    ),
                ),
            ],
            options={
                "ordering": ["created_at"],
            },
        ),
        migrations.CreateModel(
            name="FindingResponse",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("acknowledged", "Acknowledged"),
                            ("disputed", "Disputed"),
                            ("mitigated", "Mitigated"),
                        ],
                        max_length=12,
                    ),
                ),
                ("text", models.TextField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "contact",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="responses",
                        to="evaluations.developercontact",
                    ),
                ),
                (
                    "finding",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="responses",
                        to="evaluations.finding",
                    ),
                ),
            ],
            options={
                "ordering": ["created_at"],
            },
        ),
        migrations.CreateModel(
            name="Organisation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=200)),
                (
                    "kind",
                    models.CharField(
                        choices=[("developer", "AI developer")], default="developer", max_length=12
                    ),
                ),
                ("website", models.URLField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "ordering": ["name"],
                "constraints": [
                    models.UniqueConstraint(
                        django.db.models.functions.text.Lower("name"),
                        name="organisation_name_unique_ci",
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="developercontact",
            name="organisation",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="contacts",
                to="evaluations.organisation",
            ),
        ),
        migrations.CreateModel(
            name="Report",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.PositiveIntegerField()),
                ("title", models.CharField(max_length=200)),
                (
                    "sections",
                    models.JSONField(
                        blank=True,
                        default=list,
                        help_text='Free-text sections, in order: [{"key", "title", "markdown"}] (Markdown is sanitised when shown).',
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("draft", "Draft"),
                            ("submitted", "Submitted for approval"),
                            ("frozen", "Approved and frozen"),
                        ],
                        default="draft",
                        max_length=10,
                    ),
                ),
                (
                    "content",
                    models.JSONField(
                        blank=True,
                        help_text="Everything the frozen version shows, copied when frozen.",
                        null=True,
                    ),
                ),
                ("content_hash", models.CharField(blank=True, max_length=64)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("submitted_at", models.DateTimeField(blank=True, null=True)),
                ("frozen_at", models.DateTimeField(blank=True, null=True)),
                (
                    "shared_at",
                    models.DateTimeField(
                        blank=True,
                        help_text="When a lead shared this frozen version with the developer.",
                        null=True,
                    ),
                ),
                (
                    "based_on",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="next_versions",
                        to="evaluations.report",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "project",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="reports",
                        to="evaluations.evaluationproject",
                    ),
                ),
                (
                    "shared_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["project", "-number"],
            },
        ),
        migrations.CreateModel(
            name="ReportApproval",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at", models.DateTimeField(auto_now_add=True)),
                ("comment", models.TextField(blank=True)),
                (
                    "institute",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="report_approvals",
                        to="institutes.institute",
                    ),
                ),
                (
                    "report",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="approvals",
                        to="evaluations.report",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["at"],
            },
        ),
        migrations.AddConstraint(
            model_name="developercontact",
            constraint=models.UniqueConstraint(
                models.F("project"),
                django.db.models.functions.text.Lower("email"),
                name="developercontact_unique_email_per_project",
            ),
        ),
        migrations.AddConstraint(
            model_name="report",
            constraint=models.UniqueConstraint(
                fields=("project", "number"), name="report_unique_number"
            ),
        ),
        migrations.AddConstraint(
            model_name="report",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ["draft", "submitted"])),
                fields=("project",),
                name="report_one_open_version",
                violation_error_message="This project already has a report version in progress.",
            ),
        ),
        migrations.AddConstraint(
            model_name="report",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("content__isnull", False),
                        ("frozen_at__isnull", False),
                        ("status", "frozen"),
                    ),
                    models.Q(("status", "frozen"), _negated=True),
                    _connector="OR",
                ),
                name="report_frozen_has_content",
            ),
        ),
        migrations.AddConstraint(
            model_name="report",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("shared_at__isnull", True), ("status", "frozen"), _connector="OR"
                ),
                name="report_only_frozen_is_shared",
            ),
        ),
        migrations.AddConstraint(
            model_name="reportapproval",
            constraint=models.UniqueConstraint(
                fields=("report", "institute"), name="reportapproval_once_per_institute"
            ),
        ),
        migrations.RunPython(keep_evidence, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(install_audit, migrations.RunPython.noop, elidable=False),
    ]
