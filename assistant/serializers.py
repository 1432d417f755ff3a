from rest_framework import serializers

from assistant.models import Article, Conversation, Turn


class TranslationLinkSerializer(serializers.ModelSerializer):
    class Meta:
        model = Article
        fields = ["id", "language"]


class ArticleListSerializer(serializers.ModelSerializer):
    translations = serializers.SerializerMethodField()
    translation_of = serializers.IntegerField(source="translation_of_id", allow_null=True)

    class Meta:
        model = Article
        fields = [
            "id", "slug", "title", "language", "reference", "jurisdiction", "tags", "version",
            "translation_of", "translations", "updated_at",
        ]  # fmt: skip

    def get_translations(self, article: Article) -> list[dict]:
        # Prefetched by the selector: the published translations of an original.
        return [{"id": t.id, "language": t.language} for t in article.translations.all()]


class ArticleSerializer(ArticleListSerializer):
    class Meta(ArticleListSerializer.Meta):
        fields = [*ArticleListSerializer.Meta.fields, "body", "created_at"]


class AskSerializer(serializers.Serializer):
    # Validated by the service (one set of rules for every caller); declared for the schema.
    question = serializers.CharField(help_text="At most 3,999 characters.")
    language = serializers.CharField(required=False, help_text="ISO 639-1 code, optionally with a region.")
    conversation = serializers.UUIDField(required=False)


class SourceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    excerpt = serializers.CharField()
    reference = serializers.CharField()
    language = serializers.CharField()
    version = serializers.IntegerField()
    url = serializers.CharField()


class AnswerSerializer(serializers.Serializer):
    answer = serializers.CharField()
    language = serializers.CharField()
    outcome = serializers.ChoiceField(choices=["answered", "unsupported", "refused"])
    sources = SourceSerializer(many=True)
    suggested_experts = serializers.ListField(child=serializers.DictField())
    conversation = serializers.UUIDField(source="conversation.id")
    turn = serializers.IntegerField(source="turn.id")
    composer = serializers.CharField()
    refusal_reason = serializers.CharField(allow_null=True)
    disclaimer = serializers.CharField()


class TurnSerializer(serializers.ModelSerializer):
    class Meta:
        model = Turn
        fields = [
            "id",
            "question",
            "answer",
            "language",
            "outcome",
            "sources",
            "suggested_experts",
            "composer",
            "created_at",
        ]


class ConversationSerializer(serializers.ModelSerializer):
    turns = TurnSerializer(many=True)

    class Meta:
        model = Conversation
        fields = ["id", "language", "created_at", "updated_at", "turns"]
