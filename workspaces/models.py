"""Workspaces: the shared room of one job (a consultation or an engagement).

The apps that own the jobs open a workspace through ``workspaces.services`` and tell it
when money has moved between the two parties; workspaces imports neither of them."""

from django.conf import settings
from django.db import models


class Workspace(models.Model):
    class Kind(models.TextChoices):
        CONSULTATION = "consultation", "Consultation"
        ENGAGEMENT = "engagement", "Engagement"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject_id = models.PositiveBigIntegerField(help_text="Id of the consultation or engagement")
    title = models.CharField(max_length=200)
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="client_workspaces")
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="expert_workspaces")
    # First payment between the client and the expert on this job (contact-detail rule).
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "subject_id"], name="workspace_one_per_subject")]
        indexes = [models.Index(fields=["client", "expert"], name="workspace_pair_idx")]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.subject_id}: {self.title}"
