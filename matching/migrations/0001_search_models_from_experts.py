"""Search & discovery models, moved from the experts app with their tables
(``experts_search*``): state only, no DDL, no row copied. Content types follow the
models so admin history and permissions stay attached."""

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MODELS = ["searchlog", "searchimpression", "searchclick", "searchterm"]


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="experts", model__in=MODELS).exclude(
        model__in=ContentType.objects.filter(app_label="matching").values("model")
    ).update(app_label="matching")


def restore_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="matching", model__in=MODELS).exclude(
        model__in=ContentType.objects.filter(app_label="experts").values("model")
    ).update(app_label="experts")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("experts", "0008_move_search_to_matching"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SearchTerm",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("term", models.CharField(max_length=60, unique=True)),
                    ],
                    options={"db_table": "experts_searchterm"},
                ),
                migrations.CreateModel(
                    name="SearchLog",
                    fields=[
                        ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ("query", models.CharField(blank=True, max_length=200)),
                        ("normalized_query", models.CharField(blank=True, db_index=True, max_length=200)),
                        ("filters", models.JSONField(blank=True, default=dict)),
                        ("results_count", models.PositiveIntegerField()),
                        ("created_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        (
                            "specialization",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="experts.specialization",
                            ),
                        ),
                        (
                            "user",
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
                        "db_table": "experts_searchlog",
                        "ordering": ["-created_at"],
                        "indexes": [models.Index(fields=["results_count", "created_at"], name="searchlog_zero_idx")],
                    },
                ),
                migrations.CreateModel(
                    name="SearchImpression",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("position", models.PositiveSmallIntegerField()),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "expert",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="experts.expertprofile",
                            ),
                        ),
                        (
                            "search",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="impressions",
                                to="matching.searchlog",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "experts_searchimpression",
                        "indexes": [models.Index(fields=["expert", "created_at"], name="impression_expert_time_idx")],
                    },
                ),
                migrations.CreateModel(
                    name="SearchClick",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("position", models.PositiveSmallIntegerField()),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "expert",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="experts.expertprofile",
                            ),
                        ),
                        (
                            "search",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="clicks",
                                to="matching.searchlog",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "experts_searchclick",
                        "indexes": [models.Index(fields=["expert", "created_at"], name="click_expert_time_idx")],
                        "constraints": [
                            models.UniqueConstraint(fields=["search", "expert"], name="one_click_per_search_and_expert")
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, restore_content_types),
    ]
