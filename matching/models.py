"""Search & discovery data. The tables were created by the experts app and keep their
names (``db_table``): moving the models here changed no row."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from experts.models import ExpertProfile, Specialization


class SearchLog(models.Model):
    """One expert search as the API answered it; ``id`` is the ``search_id`` clients
    send back with click-through events."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    query = models.CharField(max_length=200, blank=True)
    normalized_query = models.CharField(max_length=200, blank=True, db_index=True)
    filters = models.JSONField(default=dict, blank=True)
    specialization = models.ForeignKey(
        Specialization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    results_count = models.PositiveIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        db_table = "experts_searchlog"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["results_count", "created_at"], name="searchlog_zero_idx")]

    def __str__(self) -> str:
        return f"{self.query or '(no text)'} → {self.results_count}"


class SearchImpression(models.Model):
    """An expert shown on a result page (counted for impressions and CTR)."""

    search = models.ForeignKey(SearchLog, on_delete=models.CASCADE, related_name="impressions")
    expert = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "experts_searchimpression"
        indexes = [models.Index(fields=["expert", "created_at"], name="impression_expert_time_idx")]

    def __str__(self) -> str:
        return f"expert #{self.expert_id} at position {self.position}"


class SearchClick(models.Model):
    search = models.ForeignKey(SearchLog, on_delete=models.CASCADE, related_name="clicks")
    expert = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "experts_searchclick"
        constraints = [
            # A client retrying the event counts once.
            models.UniqueConstraint(fields=["search", "expert"], name="one_click_per_search_and_expert")
        ]
        indexes = [models.Index(fields=["expert", "created_at"], name="click_expert_time_idx")]

    def __str__(self) -> str:
        return f"click on expert #{self.expert_id} at position {self.position}"


class SearchTerm(models.Model):
    """Vocabulary of words found in expert profiles; PostgreSQL trigram similarity
    against it corrects typos in queries before the full-text match."""

    term = models.CharField(max_length=60, unique=True)

    class Meta:
        db_table = "experts_searchterm"

    def __str__(self) -> str:
        return self.term
