"""CSV import through the API and the management command."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from accounts.tests.factories import UserFactory
from experts.models import Specialization
from foodxchange.errors import InvalidInput
from foodxchange.models import AuditLog
from leads.models import Lead, LeadEvent
from leads.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/leads/import"
HEADER = "Company,Contact Name,E-mail,Mobile,Country,Specialisation,Budget,Currency,Opt-in\n"


def upload(client, content: str | bytes, name: str = "leads.csv"):
    data = content.encode() if isinstance(content, str) else content
    return client.post(URL, {"file": SimpleUploadedFile(name, data, content_type="text/csv")}, format="multipart")


@pytest.fixture
def mixed_csv():
    spec = Specialization.objects.order_by("pk").first()
    LeadFactory(email="taken@existing.example", phone="+14155550001")
    return (
        HEADER
        + f"Good One,Ann,ann@one.example,,US,{spec.slug},5000,usd,yes\n"  # row 2: created
        + "Bad Email,Bob,not-an-email,,US,,,,\n"  # row 3: email error
        + "Dup Existing,Cy,TAKEN@existing.example,,US,,,,\n"  # row 4: duplicate of an existing lead
        + "Good Two,Dee,,+44 20 7946 0958,GB,,,,no\n"  # row 5: created
        + "Bad Phone,Eve,,+1 555,US,,,,\n"  # row 6: phone error
        + "Dup In File,Fay,,+442079460958,GB,,,,\n"  # row 7: duplicate of row 5 (same phone)
        + ",Gus,gus@x.example,,US,,,,\n"  # row 8: company missing
        + "Bad Spec,Hal,hal@x.example,,US,nonsense,,,\n"  # row 9: unknown specialization
        + "Bad Country,Ida,ida@x.example,,Germany,,,,maybe\n"  # row 10: country + opt-in errors
        + "\n"  # blank lines are skipped
        + f"Good Three,Jo,jo@x.example,(415) 555-0142,us,{spec.name},-5,,\n"  # row 11: negative budget
    )


def test_mixed_file_reports_exactly_the_good_bad_and_duplicate_rows(agent_client, agent_user, mixed_csv):
    response = upload(agent_client, mixed_csv)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["created"] == 2
    assert body["duplicates"] == 2
    assert body["duplicate_rows"] == [{"row": 4, "field": "email"}, {"row": 7, "field": "phone"}]
    assert [(e["row"], e["field"]) for e in body["errors"]] == [
        (3, "email"),
        (6, "phone"),
        (8, "company_name"),
        (9, "specialization"),
        (10, "whatsapp_opt_in"),
        (10, "country"),
        (11, "estimated_value"),
    ]
    assert all(e["message"] for e in body["errors"])

    created = Lead.objects.exclude(email="taken@existing.example")
    assert sorted(created.values_list("company_name", flat=True)) == ["Good One", "Good Two"]
    good_one = created.get(company_name="Good One")
    assert good_one.source == "import" and good_one.assigned_to == agent_user and good_one.created_by == agent_user
    assert good_one.whatsapp_opt_in and good_one.currency == "USD" and good_one.specialization is not None
    assert created.get(company_name="Good Two").phone == "+442079460958"
    assert LeadEvent.objects.filter(kind="created").count() == 2
    audit = AuditLog.objects.get(action="leads.import")  # one row for the whole file
    assert audit.actor == agent_user
    assert audit.after == {
        "file": "leads.csv",
        "rows": 10,
        "created": 2,
        "duplicates": 2,
        "errors": 7,
        "agent": None,
    }


def test_rows_across_commit_chunks_report_the_same(agent_client, mixed_csv, monkeypatch):
    from leads.services import csv_import

    monkeypatch.setattr(csv_import, "CHUNK_ROWS", 3)
    body = upload(agent_client, mixed_csv).json()
    assert (body["created"], body["duplicates"], len(body["errors"])) == (2, 2, 7)
    assert [d["row"] for d in body["duplicate_rows"]] == [4, 7]


def test_reimporting_the_same_file_creates_nothing_new(agent_client, mixed_csv):
    first = upload(agent_client, mixed_csv).json()
    second = upload(agent_client, mixed_csv).json()
    assert second["created"] == 0
    assert second["duplicates"] == first["created"] + first["duplicates"]
    assert second["errors"] == first["errors"]
    assert Lead.objects.count() == 1 + first["created"]


def test_each_row_is_atomic(agent_client, monkeypatch):
    from leads.services import pipeline

    real = pipeline.record_event

    def failing(*, lead, **kwargs):
        if lead.company_name == "Explodes":
            raise InvalidInput("History could not be written.", field="notes")
        return real(lead=lead, **kwargs)

    monkeypatch.setattr(pipeline, "record_event", failing)
    content = (
        "company_name,contact_name,email,country\n"
        "Fine,A,a@x.example,US\nExplodes,B,b@x.example,US\nAlso Fine,C,c@x.example,US\n"
    )
    body = upload(agent_client, content).json()
    assert body["created"] == 2
    assert body["errors"] == [{"row": 3, "field": "notes", "message": "History could not be written."}]
    assert not Lead.objects.filter(company_name="Explodes").exists()


def test_semicolons_bom_and_extra_columns(agent_client):
    content = "\ufeffcompany_name;contact_name;phone;country;favourite_colour\nSemi Co;Ann;+4930123456;DE;blue\n"
    body = upload(agent_client, content).json()
    assert body["created"] == 1 and body["errors"] == []
    assert Lead.objects.get().phone == "+4930123456"


def test_admin_import_leaves_leads_unassigned(admin_client, admin_user):
    body = upload(admin_client, "company_name,contact_name,email,country\nX,Y,y@x.example,US\n").json()
    assert body["created"] == 1
    lead = Lead.objects.get()
    assert lead.assigned_to is None and lead.created_by == admin_user


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "leads.csv", "not a CSV"),
        (b"company_name,contact_name,email,country\nA,B,c@d.example,US\n", "leads.xlsx", "not a CSV"),
        (b"", "leads.csv", "empty"),
        (b"name;age\nbob;4\n", "leads.csv", "Missing column(s): company_name, country"),
        (b"company_name,contact_name,country\nA,B,US\n", "leads.csv", "email or phone"),
        ("company_name,contact_name,email,country\nÄ,B,c@d.example,US\n".encode("latin-1"), "leads.csv", "UTF-8"),
    ],
)
def test_files_that_are_not_lead_csvs_are_a_400(agent_client, content, name, message):
    response = upload(agent_client, content, name=name)
    assert response.status_code == 400
    assert message in response.json()["error"]["details"]["file"][0]
    assert Lead.objects.count() == 0


def test_more_than_10000_rows_is_a_400_and_writes_nothing(agent_client):
    rows = "".join(f"Co {i},C {i},c{i}@x.example,US\n" for i in range(10_001))
    response = upload(agent_client, "company_name,contact_name,email,country\n" + rows)
    assert response.status_code == 400
    assert "more than 10,000 rows" in response.json()["error"]["details"]["file"][0]
    assert Lead.objects.count() == 0


def test_row_limit_boundary(agent_client, settings):
    settings.LEADS_IMPORT_MAX_ROWS = 3
    header = "company_name,contact_name,email,country\n"
    rows = [f"Co {i},C,c{i}@x.example,US\n" for i in range(4)]
    assert upload(agent_client, header + "".join(rows[:3])).json()["created"] == 3
    assert upload(agent_client, header + "".join(rows)).status_code == 400


def test_missing_file_is_a_400(agent_client):
    response = agent_client.post(URL, {}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["error"]["details"]


def test_management_command_imports_with_progress_and_is_idempotent(tmp_path, mixed_csv, capsys):
    agent = UserFactory(role="agent", email="ana@agents.example")
    path = tmp_path / "leads.csv"
    path.write_text(mixed_csv)
    out = io.StringIO()

    call_command("import_leads", str(path), "--agent", "ANA@agents.example", stdout=out)

    assert "created 2, duplicates 2, errors 7" in out.getvalue()
    assert "row 3: email:" in out.getvalue()
    assert "10/10" in capsys.readouterr().err  # tqdm's bar reached every row
    assert Lead.objects.filter(assigned_to=agent).count() == 2
    out = io.StringIO()
    call_command("import_leads", str(path), "--agent", agent.email, "--no-progress", stdout=out)
    assert "created 0, duplicates 4" in out.getvalue()


def test_management_command_errors(tmp_path):
    UserFactory(role="client", email="client@x.example")
    path = tmp_path / "leads.csv"
    path.write_bytes(b"\x00\x01binary")
    with pytest.raises(CommandError, match="No active agent"):
        call_command("import_leads", str(path), "--agent", "client@x.example")
    UserFactory(role="agent", email="agent@x.example")
    with pytest.raises(CommandError, match="not a CSV"):
        call_command("import_leads", str(path), "--agent", "agent@x.example")
    with pytest.raises(CommandError, match="is not a file"):
        call_command("import_leads", str(tmp_path / "missing.csv"), "--agent", "agent@x.example")


def test_a_file_over_the_size_limit_is_a_400(agent_client, settings):
    settings.LEADS_IMPORT_MAX_BYTES = 2 * 1024 * 1024
    content = "company_name,contact_name,email,country\n" + "A,B,c@d.example,US\n" * 120_000
    response = upload(agent_client, content)
    assert response.status_code == 400
    assert "larger than 2 MB" in response.json()["error"]["details"]["file"][0]
    assert Lead.objects.count() == 0


def test_a_chunk_rolled_back_by_a_deadlock_is_run_again_without_double_counting(agent_client, mixed_csv, monkeypatch):
    from django.db import OperationalError

    from leads.services import csv_import

    real = csv_import._import_row
    calls = {"n": 0}

    def flaky(row, number, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:  # mid-chunk, after rows were written
            raise OperationalError("deadlock detected")
        return real(row, number, **kwargs)

    monkeypatch.setattr(csv_import, "_import_row", flaky)
    body = upload(agent_client, mixed_csv).json()
    assert (body["created"], body["duplicates"], len(body["errors"])) == (2, 2, 7)
    assert Lead.objects.count() == 3  # the existing lead and the two good rows, once each
