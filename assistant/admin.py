from django.contrib import admin, messages

from assistant import services
from assistant.models import Article, ArticleVersion, QuestionLog
from foodxchange.admin import StaffAreaAdmin
from foodxchange.errors import DomainError, message_of


class ArticleVersionInline(admin.TabularInline):
    model = ArticleVersion
    extra = 0
    can_delete = False
    fields = ["version", "title", "reference", "note", "edited_by", "created_at"]
    readonly_fields = ["version", "title", "reference", "note", "edited_by", "created_at"]
    ordering = ["-version"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Article)
class ArticleAdmin(StaffAreaAdmin):
    """The knowledge base. Saving goes through the service: an edit raises the
    version and keeps the previous text in the history below."""

    view_area = "support"
    list_display = ["title", "language", "reference", "jurisdiction", "version", "is_published", "updated_at"]
    list_filter = ["language", "jurisdiction", "is_published"]
    search_fields = ["title", "slug", "reference", "body"]
    readonly_fields = ["version", "created_at", "updated_at", "updated_by"]
    autocomplete_fields = ["translation_of"]
    fields = [
        "title", "slug", "language", "translation_of", "reference", "jurisdiction", "tags", "body",
        "is_published", "version", "created_at", "updated_at", "updated_by",
    ]  # fmt: skip
    inlines = [ArticleVersionInline]
    actions = ["publish", "unpublish"]

    def save_model(self, request, obj, form, change):
        try:
            saved = services.save_article(
                actor=request.user,
                article=obj if change else None,
                title=obj.title,
                body=obj.body,
                language=obj.language,
                reference=obj.reference,
                jurisdiction=obj.jurisdiction,
                tags=obj.tags,
                slug=obj.slug,
                translation_of=obj.translation_of,
                is_published=obj.is_published,
                note="edited in the admin",
                request=request,
            )
        except DomainError as exc:
            self.message_user(request, message_of(exc), messages.ERROR)
            return
        obj.pk, obj.version = saved.pk, saved.version

    def _set_published(self, request, queryset, published: bool) -> None:
        count = 0
        for article in queryset:
            services.set_published(actor=request.user, article=article, published=published, request=request)
            count += 1
        self.message_user(request, f"{count} article(s) {'published' if published else 'unpublished'}.")

    @admin.action(description="Publish the selected articles")
    def publish(self, request, queryset):
        self._set_published(request, queryset, True)

    @admin.action(description="Unpublish the selected articles (the assistant stops citing them)")
    def unpublish(self, request, queryset):
        self._set_published(request, queryset, False)


@admin.register(QuestionLog)
class QuestionLogAdmin(StaffAreaAdmin):
    """Questions as asked (scrubbed, anonymous): what the knowledge base lacks."""

    view_area = "support"
    list_display = ["created_at", "outcome", "language", "composer", "question"]
    list_filter = ["outcome", "language", "composer"]
    search_fields = ["question"]
    date_hierarchy = "created_at"
    readonly_fields = ["question", "language", "outcome", "article_ids", "composer", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
