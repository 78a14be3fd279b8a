"""The AI developer's side: organisations whose systems are evaluated, the people of theirs a
project invites (developer contacts), and what they say about the findings shared with them.

A developer contact sees only what a project shared with them (frozen report versions a lead
shared, findings shared with the developer or published), never runs, samples, other findings or
other projects (`institutes.access`: developer rules)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from evaluations.models.evidence import KeptModel, KeptQuerySet
from evaluations.models.projects import EvaluationProject, Finding


class Organisation(models.Model):
    """An organisation that is not an institute: for now the AI developers whose systems are
    evaluated."""

    class Kind(models.TextChoices):
        DEVELOPER = "developer", "AI developer"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.DEVELOPER)
    website = models.URLField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="organisation_name_unique_ci")]

    def __str__(self) -> str:
        return self.name


class DeveloperContact(models.Model):
    """A person of an AI developer invited to a project. The invitation e-mail carries a
    sign-up link (a token stored as its SHA-256 only); accepting it creates or links the
    contact's account."""

    project = models.ForeignKey(
        EvaluationProject, on_delete=models.PROTECT, related_name="developer_contacts"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="contacts"
    )
    email = models.EmailField()
    name = models.CharField(max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="developer_contacts",
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    invited_at = models.DateTimeField(auto_now_add=True)
    invitation_hash = models.CharField(max_length=64, blank=True, db_index=True)
    invitation_expires_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["project", "organisation__name", "name"]
        constraints = [
            models.UniqueConstraint(
                "project", Lower("email"), name="developercontact_unique_email_per_project"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation}) on {self.project.slug}"

    @property
    def active(self) -> bool:
        return self.user_id is not None and self.revoked_at is None


class FindingComment(KeptModel):
    """A remark on a finding by a developer contact or a participant: part of the record."""

    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="finding_comments"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.author} on {self.finding}"


class FindingResponse(KeptModel):
    """The developer's formal response to a shared finding; the latest one per finding stands."""

    class Kind(models.TextChoices):
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        DISPUTED = "disputed", "Disputed"
        MITIGATED = "mitigated", "Mitigated"

    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="responses")
    contact = models.ForeignKey(
        DeveloperContact, on_delete=models.PROTECT, related_name="responses"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.contact} on {self.finding}"
