"""Search & discovery data. The tables were created by the experts app and keep their
names (``db_table``): moving the models here changed no row."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
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


# --- matching engine -----------------------------------------------------------------

CRITERIA = (
    "text",
    "specialization",
    "credentials",
    "rating",
    "availability",
    "language",
    "location",
    "price",
    "workload",
    "verification",
)

DEFAULT_WEIGHTS: dict[str, float] = {
    "text": 0.35,
    "specialization": 0.25,
    "credentials": 0.08,
    "rating": 0.08,
    "availability": 0.06,
    "language": 0.05,
    "location": 0.04,
    "price": 0.04,
    "workload": 0.03,
    "verification": 0.02,
}


class MatchingWeights(models.Model):
    """The re-rank weights (one row): staff edit them; they are normalised when applied."""

    weights = models.JSONField(default=dict)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "matching weights"
        verbose_name_plural = "matching weights"

    def __str__(self) -> str:
        return ", ".join(f"{k} {v:g}" for k, v in self.weights.items()) or "default weights"


class ExpertEmbedding(models.Model):
    """An expert's profile as a sentence-embedding vector (``MATCHING_EMBEDDINGS``):
    float32 values, unit length, recomputed by a task when the profile changes.
    ``text_hash`` is the hash of the text it was computed from (unchanged text is not
    sent again); ``backend``/``model`` say which model made it, since vectors of
    different models are not comparable."""

    expert = models.OneToOneField(ExpertProfile, on_delete=models.CASCADE, primary_key=True, related_name="+")
    backend = models.CharField(max_length=10)
    model = models.CharField(max_length=100)
    dimensions = models.PositiveIntegerField()
    vector = models.BinaryField()
    text_hash = models.CharField(max_length=64)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["backend", "model"], name="embedding_model_idx")]

    def __str__(self) -> str:
        return f"expert #{self.expert_id} ({self.backend}:{self.model})"


class ExpertMatchText(models.Model):
    """An expert's own profile text as the matching engine reads it, stemmed once at
    index time (``matching.indexing``) instead of on every request: space-separated
    stems (``matching.engine.vocabulary.stems``) of the headline, the certifications
    the expert typed, the active services' titles, and the weak text (bio, city, the
    active services' descriptions). Specialization names and staff-verified typed
    credentials are read live by the engine and stemmed between them."""

    expert = models.OneToOneField(ExpertProfile, on_delete=models.CASCADE, primary_key=True, related_name="+")
    headline = models.TextField(blank=True)
    claimed = models.TextField(blank=True)
    titles = models.TextField(blank=True)
    weak = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"match text of expert #{self.expert_id}"


# --- RFQs ----------------------------------------------------------------------------


class Rfq(models.Model):
    """A request for quotes: a need a food business (through the FoodXchange core or the
    SPA) asks experts to answer, matched to experts and sent to the best of them."""

    class Source(models.TextChoices):
        CORE = "core", "FoodXchange core"
        CLIENT = "client", "Client (SPA)"
        VAULT = "vault", "Certificate vault"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        SHORTLISTED = "shortlisted", "Shortlisted"
        AWARDED = "awarded", "Awarded"
        CLOSED = "closed", "Closed"
        EXPIRED = "expired", "Expired"

    ACTIVE_STATUSES = (Status.OPEN, Status.SHORTLISTED)

    source = models.CharField(max_length=10, choices=Source.choices, db_index=True)
    # The core's own id: an RFQ arriving twice is stored once.
    external_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="rfqs"
    )
    buyer = models.JSONField(default=dict, blank=True, help_text="name, email, company, country (core RFQs)")
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=10000)
    category = models.CharField(max_length=100, blank=True)
    specializations = models.ManyToManyField(Specialization, blank=True, related_name="+")
    country = models.CharField(max_length=2, blank=True)
    language = models.CharField(max_length=8, blank=True)
    budget = models.DecimalField(
        max_digits=14, decimal_places=3, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))]
    )
    hourly_budget = models.DecimalField(
        max_digits=12, decimal_places=3, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(max_length=3, default="USD")
    # The budget in the base currency at the rate valid when the RFQ arrived.
    budget_base = models.DecimalField(max_digits=14, decimal_places=3, null=True, blank=True)
    fx_rate = models.DecimalField(max_digits=18, decimal_places=8, null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True, db_index=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True)
    # Raised on every status change: names the change in its outbox event's key.
    status_version = models.PositiveIntegerField(default=0)
    context = models.JSONField(default=dict, blank=True, help_text="Where it came from (e.g. a vault certificate)")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "RFQ"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(budget__isnull=True) | models.Q(budget__gte=0), name="rfq_budget_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(hourly_budget__isnull=True) | models.Q(hourly_budget__gte=0),
                name="rfq_hourly_budget_not_negative",
            ),
            models.CheckConstraint(
                condition=~models.Q(source="core") | models.Q(external_id__isnull=False),
                name="rfq_core_has_external_id",
            ),
        ]

    def __str__(self) -> str:
        return f"RFQ #{self.pk}: {self.title}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES


class RfqMatch(models.Model):
    """One ranked expert for an RFQ, with the score and its reasons at matching time."""

    rfq = models.ForeignKey(Rfq, on_delete=models.CASCADE, related_name="matches")
    expert = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField()
    score = models.DecimalField(max_digits=6, decimal_places=4)
    reasons = models.JSONField(default=dict)
    explanation = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["rfq", "rank"]
        constraints = [models.UniqueConstraint(fields=["rfq", "expert"], name="one_match_per_rfq_and_expert")]

    def __str__(self) -> str:
        return f"#{self.rank} expert #{self.expert_id} for RFQ #{self.rfq_id}"


class RfqInvitation(models.Model):
    """An expert asked to answer an RFQ (the top matches), and their response."""

    class Response(models.TextChoices):
        PENDING = "pending", "No answer yet"
        INTERESTED = "interested", "Interested"
        DECLINED = "declined", "Declined"

    rfq = models.ForeignKey(Rfq, on_delete=models.CASCADE, related_name="invitations")
    expert = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="rfq_invitations")
    match = models.ForeignKey(RfqMatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    response = models.CharField(max_length=10, choices=Response.choices, default=Response.PENDING, db_index=True)
    message = models.TextField(blank=True, max_length=2000)
    invited_at = models.DateTimeField(default=timezone.now)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["rfq", "id"]
        constraints = [models.UniqueConstraint(fields=["rfq", "expert"], name="one_invitation_per_rfq_and_expert")]

    def __str__(self) -> str:
        return f"expert #{self.expert_id} on RFQ #{self.rfq_id} ({self.response})"


class OutboxEvent(models.Model):
    """A status change of an RFQ to report to the FoodXchange core. Written in the same
    transaction as the change; delivered afterwards (signed, retried with backoff)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (retries exhausted)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    rfq = models.ForeignKey(Rfq, on_delete=models.CASCADE, related_name="outbox_events")
    event = models.CharField(max_length=50)
    # One event per RFQ and change: writing it twice does nothing twice.
    key = models.CharField(max_length=200, unique=True)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_error = models.TextField(blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx")]

    def __str__(self) -> str:
        return f"{self.event} of RFQ #{self.rfq_id} ({self.status})"
