"""Snapshots of every row and media file, to prove a restore put everything back."""

from pathlib import Path

from django.apps import apps

from accounts.tests.factories import UserFactory
from experts.models import Specialization
from realtime.models import Notification


def database_snapshot() -> dict[str, list[dict]]:
    """Every row of every table, except the backup catalog (which a restore keeps
    current on purpose) and the audit rows the backup operations themselves add."""
    snapshot = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label == "backups" or not model._meta.managed:
            continue
        queryset = model._default_manager.all()
        if model._meta.label == "foodxchange.AuditLog":
            queryset = queryset.exclude(action__startswith="backups.")
        snapshot[model._meta.label] = list(queryset.order_by("pk").values())
    return snapshot


def media_snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def seed_data(media_root: Path) -> dict:
    users = [UserFactory(role="expert"), UserFactory(role="agent"), UserFactory(role="client")]
    for user in users:
        Notification.objects.create(user=user, kind="lead.assigned", payload={"n": user.pk, "text": "héllo ✓"})
    Specialization.objects.create(name="Backup Testing", slug="backup-testing", sort_order=99)
    (media_root / "experts" / "photos").mkdir(parents=True, exist_ok=True)
    (media_root / "experts" / "photos" / "a.jpg").write_bytes(b"\xff\xd8\xff" + bytes(range(256)) * 40)
    (media_root / "docs").mkdir(exist_ok=True)
    (media_root / "docs" / "haccp plan.pdf").write_bytes(b"%PDF-1.7 original")
    return {"users": users}


def mutate_data(media_root: Path, seeded: dict) -> None:
    """Change, delete and add rows and files after the backup."""
    seeded["users"][0].delete()
    user = seeded["users"][1]
    user.first_name = "Changed"
    user.save()
    Notification.objects.all().update(payload={"changed": True})
    Specialization.objects.filter(slug="backup-testing").delete()
    Specialization.objects.create(name="Added After Backup", slug="added-after-backup")
    UserFactory(role="client")
    (media_root / "docs" / "haccp plan.pdf").write_bytes(b"%PDF-1.7 overwritten")
    (media_root / "experts" / "photos" / "a.jpg").unlink()
    (media_root / "new-after-backup.txt").write_text("should disappear")
