from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from foodxchange.jobs import due_jobs, register_due_job, unregister_due_job

pytestmark = pytest.mark.django_db


def test_apps_register_their_due_jobs():
    names = {job.name for job in due_jobs()}
    assert {"consultations", "leads.nurturing"} <= names
    out = StringIO()
    call_command("run_due_jobs", "--list", stdout=out)
    assert "consultations:" in out.getvalue()


def test_run_due_jobs_runs_each_once_and_reports_failures():
    calls = []
    register_due_job("test.ok", lambda: calls.append("ok") or "fine")

    def broken():
        raise RuntimeError("boom")

    register_due_job("test.broken", broken)
    try:
        out = StringIO()
        with pytest.raises(CommandError) as err:
            call_command("run_due_jobs", "--only", "test.ok", "--only", "test.broken", stdout=out)
        assert calls == ["ok"]
        assert "test.broken" in str(err.value) and "done fine" in out.getvalue()
        with pytest.raises(CommandError) as unknown:
            call_command("run_due_jobs", "--only", "nope", stdout=StringIO())
        assert unknown.value.returncode == 64
    finally:
        unregister_due_job("test.ok")
        unregister_due_job("test.broken")
