"""Every consultation booked before workspaces existed gets its workspace (and its first
payment, for the contact-detail rule). Re-running it adds nothing twice."""

from django.db import migrations

BATCH = 500


def open_consultation_workspaces(apps, schema_editor):
    Consultation = apps.get_model("consultations", "Consultation")
    Payment = apps.get_model("consultations", "Payment")
    Workspace = apps.get_model("workspaces", "Workspace")
    have = set(Workspace.objects.filter(kind="consultation").values_list("subject_id", flat=True))
    paid = dict(
        Payment.objects.filter(status="succeeded").exclude(paid_at=None).values_list("consultation_id", "paid_at")
    )
    rows = []
    for consultation in Consultation.objects.select_related("expert").order_by("pk").iterator(chunk_size=BATCH):
        if consultation.pk in have:
            continue
        rows.append(
            Workspace(
                kind="consultation",
                subject_id=consultation.pk,
                title=consultation.service_title[:200],
                client_id=consultation.client_id,
                expert_id=consultation.expert.user_id,
                paid_at=paid.get(consultation.pk),
            )
        )
        if len(rows) >= BATCH:
            Workspace.objects.bulk_create(rows, ignore_conflicts=True)
            rows = []
    Workspace.objects.bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("workspaces", "0002_messages_attachments_read_markers"),
        ("consultations", "0002_no_double_booking"),
    ]

    operations = [migrations.RunPython(open_consultation_workspaces, migrations.RunPython.noop, elidable=True)]
