import pytest
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from foodxchange.beat import CodeSyncedScheduler, code_owned_prefixes
from foodxchange.celery import app


def _row(name: str, task: str = "backups.tasks.scheduled_backup") -> PeriodicTask:
    every, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.HOURS)
    return PeriodicTask.objects.create(name=name, task=task, interval=every)


# The scheduler closes stale connections as beat does, so not inside a test transaction.
@pytest.mark.django_db(transaction=True)
def test_entries_removed_from_code_are_deleted_and_staff_entries_kept():
    from backups.schedules import BEAT_SCHEDULE

    # Yesterday the hourly backup was on; today the code no longer declares it.
    _row("backups.hourly-backup")
    _row("Quarterly report (added by staff)", task="leads.tasks.nurture_leads")
    declared = {name: entry for name, entry in BEAT_SCHEDULE.items() if name != "backups.hourly-backup"}
    saved = app.conf.beat_schedule
    app.conf.beat_schedule = declared
    try:
        CodeSyncedScheduler(app=app)
    finally:
        app.conf.beat_schedule = saved

    names = set(PeriodicTask.objects.values_list("name", flat=True))
    assert "backups.hourly-backup" not in names
    assert "Quarterly report (added by staff)" in names
    assert "backups.daily-backup" in names  # what the code declares is (re)created
    assert CrontabSchedule.objects.exists()


@pytest.mark.django_db
def test_only_this_projects_apps_own_entries():
    prefixes = code_owned_prefixes()
    assert "backups." in prefixes and "leads." in prefixes
    assert "django_celery_beat." not in prefixes and "admin." not in prefixes
