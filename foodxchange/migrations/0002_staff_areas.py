from django.db import migrations, models

AREAS = {
    "support": "Support: read people, leads and experts; help users",
    "finance": "Finance: approve commissions, pay out, refund, resolve disputes",
    "operations": "Operations: backups, restores, maintenance and configuration",
}


def create_groups(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="foodxchange", model="staffarea")
    for codename, name in AREAS.items():
        permission, _ = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
        group, _ = Group.objects.get_or_create(name=codename)
        group.permissions.add(permission)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(AREAS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("foodxchange", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.CreateModel(
            name="StaffArea",
            fields=[("id", models.BigAutoField(primary_key=True, serialize=False))],
            options={
                "managed": False,
                "default_permissions": (),
                "permissions": [(codename, name) for codename, name in AREAS.items()],
            },
        ),
        migrations.RunPython(create_groups, remove_groups),
    ]
