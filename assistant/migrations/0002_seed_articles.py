"""Seeds the knowledge base (articles that already exist by slug and language are left
alone, so staff edits survive)."""

from django.db import migrations
from django.utils import timezone


def seed(apps, schema_editor):
    from assistant.knowledge import ARTICLES

    Article = apps.get_model("assistant", "Article")
    ArticleVersion = apps.get_model("assistant", "ArticleVersion")
    now = timezone.now()
    originals = {}
    for item in ARTICLES:
        language = item.get("language", "en")
        existing = Article.objects.filter(slug=item["slug"], language=language).first()
        if existing is not None:
            if "translation_of" not in item:
                originals[item["slug"]] = existing
            continue
        article = Article.objects.create(
            slug=item["slug"],
            title=item["title"],
            body=item["body"],
            language=language,
            reference=item.get("reference", ""),
            jurisdiction=item.get("jurisdiction", ""),
            tags=sorted({t.lower() for t in item.get("tags", [])}),
            translation_of=originals.get(item.get("translation_of", "")),
            created_at=now,
            updated_at=now,
        )
        ArticleVersion.objects.create(
            article=article,
            version=1,
            title=article.title,
            body=article.body,
            reference=article.reference,
            jurisdiction=article.jurisdiction,
            tags=article.tags,
            note="seeded",
            created_at=now,
        )
        if "translation_of" not in item:
            originals[item["slug"]] = article


class Migration(migrations.Migration):
    dependencies = [("assistant", "0001_knowledge_base")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
