import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Article(models.Model):
    """A knowledge-base article: the only material the assistant answers from.

    ``version`` counts edits; every saved state is also kept as an ``ArticleVersion``
    (an edit never loses what an earlier answer may have quoted). A translation points
    at its original through ``translation_of``; originals have none."""

    slug = models.SlugField(max_length=120)
    title = models.CharField(max_length=200)
    body = models.TextField()
    language = models.CharField(max_length=8, default="en", db_index=True)
    reference = models.CharField(
        max_length=200, blank=True, help_text='The source text, e.g. "21 CFR 117" or "Regulation (EU) 1169/2011".'
    )
    jurisdiction = models.CharField(max_length=40, blank=True, db_index=True, help_text="US, EU, UK, Codex, GFSI…")
    tags = models.JSONField(default=list, blank=True)
    translation_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="translations"
    )
    is_published = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "language"], name="assistant_article_slug_language"),
            models.UniqueConstraint(
                fields=["translation_of", "language"], name="assistant_article_one_translation_per_language"
            ),
            models.CheckConstraint(condition=~models.Q(title=""), name="assistant_article_title_required"),
            models.CheckConstraint(condition=~models.Q(body=""), name="assistant_article_body_required"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"

    @property
    def original(self) -> "Article":
        return self.translation_of or self

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from assistant.policy import normalize_language

        errors = {}
        code = normalize_language(self.language or "")
        if code is None:
            errors["language"] = [f"Unknown language code {self.language!r}."]
        else:
            self.language = code
        original = self.translation_of if self.translation_of_id is not None else None
        if original is not None:
            if original.translation_of_id is not None:
                errors["translation_of"] = ["Link a translation to the original article, not to another translation."]
            elif original.language == self.language:
                errors["translation_of"] = ["A translation is in another language than its original."]
            elif original.pk == self.pk:
                errors["translation_of"] = ["An article is not its own translation."]
        if errors:
            raise ValidationError(errors)


class ArticleVersion(models.Model):
    """A saved state of an article (append-only history)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    reference = models.CharField(max_length=200, blank=True)
    jurisdiction = models.CharField(max_length=40, blank=True)
    tags = models.JSONField(default=list, blank=True)
    note = models.CharField(max_length=200, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["article", "-version"]
        constraints = [models.UniqueConstraint(fields=["article", "version"], name="assistant_version_unique")]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.version}"


class Conversation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assistant_conversations")
    language = models.CharField(max_length=16, default="en")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"{self.id} ({self.user_id})"


class Outcome(models.TextChoices):
    ANSWERED = "answered"
    UNSUPPORTED = "unsupported"
    REFUSED = "refused"


class Turn(models.Model):
    """One question and the answer given, with the sources it cited."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="turns")
    question = models.TextField()
    answer = models.TextField()
    language = models.CharField(max_length=16)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    sources = models.JSONField(default=list, blank=True)
    suggested_experts = models.JSONField(default=list, blank=True)
    composer = models.CharField(max_length=20, help_text="Who wrote the answer: openai or local.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["conversation", "created_at", "id"]

    def __str__(self) -> str:
        return self.question[:60]


class QuestionLog(models.Model):
    """A question as intelligence sees it: no user, no conversation, and the text
    scrubbed of e-mail addresses, phone numbers and long digit runs."""

    question = models.CharField(max_length=4000)
    language = models.CharField(max_length=16)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, db_index=True)
    article_ids = models.JSONField(default=list, blank=True)
    composer = models.CharField(max_length=20)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.outcome}: {self.question[:60]}"
