import pytest
from django.contrib.auth.models import Group

from accounts.tests.factories import UserFactory
from assistant import services
from assistant.models import Article, ArticleVersion
from foodxchange.errors import InvalidInput
from foodxchange.models import AuditLog

pytestmark = pytest.mark.django_db
LIST = "/api/v1/assistant/articles"


def test_seeded_knowledge_base_has_thirty_plus_referenced_articles():
    originals = Article.objects.filter(translation_of=None, is_published=True)
    assert originals.count() >= 30
    assert not originals.filter(reference="").exists()
    references = set(originals.values_list("reference", flat=True))
    assert {"21 CFR 117", "Regulation (EU) 1169/2011, Annex II"} <= references
    assert Article.objects.exclude(translation_of=None).exists()
    # Every seeded article starts with its first version kept.
    assert ArticleVersion.objects.filter(version=1).count() == Article.objects.count()


def test_seed_is_idempotent():
    assert services.seed_knowledge_base() == 0


def test_list_anyone_paginated_with_translations(api_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        response = api_client.get(LIST, {"page_size": 100})
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == Article.objects.filter(is_published=True).count()
    haccp = next(a for a in data["results"] if a["slug"] == "haccp-seven-principles" and a["language"] == "en")
    assert {t["language"] for t in haccp["translations"]} == {"es", "fr"}
    assert "body" not in haccp


def test_search_ranks_the_matching_article_first(api_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response = api_client.get(LIST, {"q": "sesame allergen"})
    results = response.json()["results"]
    assert results and results[0]["slug"] in {
        "us-major-allergens",
        "eu-fourteen-allergens",
        "allergens-other-jurisdictions",
    }
    assert all(r["slug"] != "cold-chain" for r in results)


def test_search_with_only_stopwords_finds_nothing(api_client):
    assert api_client.get(LIST, {"q": "what is the"}).json()["count"] == 0


def test_filters(api_client):
    data = api_client.get(LIST, {"jurisdiction": "eu", "language": "en"}).json()
    assert data["count"] >= 5 and all(a["jurisdiction"] == "EU" for a in data["results"])
    tagged = api_client.get(LIST, {"tag": "listeria"}).json()["results"]
    assert {a["slug"] for a in tagged} >= {"listeria-control"}


def test_detail_and_unknown_or_unpublished(api_client, support_user):
    article = Article.objects.get(slug="pcqi")
    response = api_client.get(f"{LIST}/{article.pk}")
    assert response.status_code == 200 and "FSPCA" in response.json()["body"]
    assert api_client.get(f"{LIST}/999999").status_code == 404
    assert api_client.get(f"{LIST}/abc").status_code == 404
    services.set_published(actor=support_user, article=article, published=False)
    assert api_client.get(f"{LIST}/{article.pk}").status_code == 404


def test_edit_keeps_the_old_version_and_is_audited(support_user):
    article = Article.objects.get(slug="pcqi")
    old_body = article.body
    edited = services.save_article(
        actor=support_user,
        article=article,
        title=article.title,
        body=old_body + "\n\nNew paragraph.",
        reference=article.reference,
        jurisdiction=article.jurisdiction,
        tags=article.tags,
        language="en",
    )
    assert edited.version == 2
    versions = list(edited.versions.order_by("version").values_list("version", "body"))
    assert versions == [(1, old_body), (2, old_body + "\n\nNew paragraph.")]
    assert AuditLog.objects.filter(action="assistant.article_edited", target_id=str(article.pk)).exists()
    # Saving unchanged text does not create a version.
    same = services.save_article(
        actor=support_user,
        article=edited,
        title=edited.title,
        body=edited.body,
        reference=edited.reference,
        jurisdiction=edited.jurisdiction,
        tags=edited.tags,
        language="en",
    )
    assert same.version == 2 and same.versions.count() == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "", "body": "x"}, "title"),
        ({"title": "T", "body": " "}, "body"),
        ({"title": "T", "body": "x", "language": "zz"}, "language"),
        ({"title": "T", "body": "x", "tags": [1, 2]}, "tags"),
    ],
)
def test_invalid_articles_are_refused(support_user, fields, field):
    count = Article.objects.count()
    with pytest.raises(InvalidInput) as err:
        services.save_article(actor=support_user, **fields)
    assert field in err.value.details
    assert Article.objects.count() == count


def test_translation_rules(support_user):
    original = Article.objects.get(slug="pcqi", language="en")
    es = services.save_article(
        actor=support_user, title="El PCQI", body="Texto.", language="es", translation_of=original
    )
    assert es.slug == "pcqi" and es.translation_of == original
    with pytest.raises(InvalidInput):  # a second Spanish translation
        services.save_article(actor=support_user, title="Otro", body="x", language="es", translation_of=original)
    with pytest.raises(InvalidInput):  # a translation of a translation
        services.save_article(actor=support_user, title="x", body="x", language="de", translation_of=es)


def _admin_client(client, user):
    client.force_login(user)
    return client


def test_admin_edit_goes_through_the_service(client, support_user):
    article = Article.objects.get(slug="pcqi")
    url = f"/admin/assistant/article/{article.pk}/change/"
    c = _admin_client(client, support_user)
    assert c.get(url).status_code == 200
    response = c.post(
        url,
        {
            "title": article.title,
            "slug": article.slug,
            "language": "en",
            "translation_of": "",
            "reference": article.reference,
            "jurisdiction": article.jurisdiction,
            "tags": '["pcqi"]',
            "body": "Edited body.",
            "is_published": "on",
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    article.refresh_from_db()
    assert article.body == "Edited body." and article.version == 2
    assert article.versions.count() == 2


def test_admin_needs_the_support_area(client):
    finance = UserFactory(role="admin", is_staff=True)
    finance.groups.add(Group.objects.get(name="finance"))
    client.force_login(finance)
    assert client.get("/admin/assistant/article/").status_code == 403
