"""The engine's stemmed profile text, stored per expert (``ExpertMatchText``) and
backfilled here for every existing expert (the indexer keeps it current from now on)."""

import django.db.models.deletion
from django.db import migrations, models

CHUNK = 2000


def backfill(apps, schema_editor):
    from matching.indexing import match_text_parts

    ExpertProfile = apps.get_model("experts", "ExpertProfile")
    ExpertService = apps.get_model("experts", "ExpertService")
    ExpertMatchText = apps.get_model("matching", "ExpertMatchText")
    ids = list(ExpertProfile.objects.order_by("id").values_list("id", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        profiles = ExpertProfile.objects.filter(id__in=chunk).prefetch_related(
            "certifications", models.Prefetch("services", queryset=ExpertService.objects.filter(is_active=True))
        )
        ExpertMatchText.objects.bulk_create(
            [ExpertMatchText(expert_id=p.pk, **match_text_parts(p)) for p in profiles],
            batch_size=500,
            ignore_conflicts=True,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("experts", "0011_expert_payout_account"),
        ("matching", "0003_expert_embeddings"),
    ]

    operations = [
        migrations.CreateModel(
            name="ExpertMatchText",
            fields=[
                (
                    "expert",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="experts.expertprofile",
                    ),
                ),
                ("headline", models.TextField(blank=True)),
                ("claimed", models.TextField(blank=True)),
                ("titles", models.TextField(blank=True)),
                ("weak", models.TextField(blank=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
