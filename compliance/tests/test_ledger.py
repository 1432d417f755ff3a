import base64
import datetime as dt
import json
import os
import subprocess
import sys
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from compliance import services, signing
from compliance.canonical import canonical_json, sha256_hex
from compliance.models import GENESIS_HASH, ImmutableLedgerError, LedgerEntry, LedgerKind
from compliance.services.ledger import entry_message
from compliance.tests.conftest import tamper
from compliance.verification import verify_stored_chain
from foodxchange.errors import InvalidInput
from foodxchange.testing import run_in_threads

LEDGER_URL = "/api/v1/compliance/ledger"
HEAD_URL = "/api/v1/compliance/ledger/head"


def verify_command(*args) -> str:
    """Runs verify_ledger; returns its output or raises CommandError."""
    from io import StringIO

    out = StringIO()
    call_command("verify_ledger", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def first_bad_seq_of(error: CommandError) -> str:
    assert error.returncode == 1
    return str(error)


# --- canonical JSON ---------------------------------------------------------------------
def test_canonical_json_is_sorted_compact_and_typed():
    at = dt.datetime(2026, 3, 1, 14, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    text = canonical_json({"b": Decimal("12.50"), "a": at, "c": [dt.date(2026, 1, 2), None, True], "é": "ü"})
    assert text == '{"a":"2026-03-01T12:30:00.000000Z","b":"12.50","c":["2026-01-02",null,true],"é":"ü"}'


@pytest.mark.parametrize(
    "payload",
    [{"x": 1.5}, {"x": Decimal("NaN")}, {1: "x"}, {"x": dt.datetime(2026, 1, 1)}, {"x": object()}],
)
def test_canonical_json_refuses_ambiguous_values(payload):
    with pytest.raises(InvalidInput):
        canonical_json(payload)


# --- appending ----------------------------------------------------------------------------
@pytest.mark.django_db
def test_record_chains_hashes_and_signs_each_entry():
    first = services.record(kind=LedgerKind.EXPERT_VERIFIED, subject="expert:7", payload={"amount": Decimal("1.10")})
    second = services.record(kind=LedgerKind.CERTIFICATE_ISSUED, subject="certificate:abc", payload={})
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.entry_hash
    assert first.payload == '{"amount":"1.10"}'
    assert first.payload_hash == sha256_hex(first.payload)
    stored = LedgerEntry.objects.get(seq=1)
    message = entry_message(
        seq=1,
        kind=stored.kind,
        subject=stored.subject,
        payload_hash=stored.payload_hash,
        prev_hash=stored.prev_hash,
        created_at=stored.created_at,
        key_id=stored.key_id,
    )
    assert sha256_hex(message) == stored.entry_hash
    assert signing.verify(stored.entry_hash, stored.signature)
    assert stored.key_id == signing.key_id()
    assert verify_stored_chain().ok


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kind,subject,field",
    [("expert.promoted", "expert:1", "kind"), (LedgerKind.EXPERT_VERIFIED, "expert", "subject"), ("x", "", "kind")],
)
def test_record_refuses_unknown_kind_or_bad_subject(kind, subject, field):
    with pytest.raises(InvalidInput) as caught:
        services.record(kind=kind, subject=subject, payload={})
    assert field in caught.value.details
    assert not LedgerEntry.objects.exists()


@pytest.mark.django_db
def test_record_many_continues_the_chain(entries):
    entries(2)
    built = services.record_many(
        services.PendingEntry(kind=LedgerKind.MILESTONE_RELEASED, subject=f"milestone:{i}", payload={"i": i})
        for i in range(5)
    )
    assert [e.seq for e in built] == [3, 4, 5, 6, 7]
    assert verify_stored_chain().checked == 7


@pytest.mark.django_db
def test_an_entry_rolls_back_with_the_change_it_attests():
    with pytest.raises(RuntimeError), transaction.atomic():
        services.record(kind=LedgerKind.EXPERT_VERIFIED, subject="expert:1", payload={})
        raise RuntimeError("the business change failed")
    assert not LedgerEntry.objects.exists()
    assert services.record(kind=LedgerKind.EXPERT_VERIFIED, subject="expert:1", payload={}).seq == 1


# --- append-only ------------------------------------------------------------------------
@pytest.mark.django_db
def test_orm_refuses_to_change_or_delete_entries(entries):
    entry = entries(1)[0]
    entry.payload = "{}"
    with pytest.raises(ImmutableLedgerError):
        entry.save()
    with pytest.raises(ImmutableLedgerError):
        entry.delete()
    with pytest.raises(ImmutableLedgerError):
        LedgerEntry.objects.filter(pk=entry.pk).update(payload="{}")
    with pytest.raises(ImmutableLedgerError):
        LedgerEntry.objects.all().delete()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE compliance_ledgerentry SET payload = '{}' WHERE seq = 1",
        "DELETE FROM compliance_ledgerentry WHERE seq = 1",
    ],
)
def test_database_trigger_refuses_raw_update_and_delete(entries, sql):
    entries(1)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert LedgerEntry.objects.get(seq=1).payload == '{"n":0,"note":"ok"}'


@pytest.mark.sqlite
@pytest.mark.django_db
def test_sqlite_triggers_refuse_raw_update_and_delete(entries):
    entries(1)
    for sql in ("UPDATE compliance_ledgerentry SET kind = 'x'", "DELETE FROM compliance_ledgerentry"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert LedgerEntry.objects.count() == 1


# --- tamper detection ------------------------------------------------------------------------
@pytest.mark.django_db
def test_verify_ledger_passes_an_intact_ledger(entries):
    entries(5)
    assert "Ledger intact: 5 entries verified" in verify_command()


@pytest.mark.django_db
def test_verify_ledger_detects_an_edited_payload(entries):
    entries(5)
    tamper("UPDATE compliance_ledgerentry SET payload = %s WHERE seq = 3", ['{"n":2,"note":"changed"}'])
    with pytest.raises(CommandError) as caught:
        verify_command()
    assert "first bad seq 3" in first_bad_seq_of(caught.value)
    assert "edited" in str(caught.value)


@pytest.mark.django_db
def test_verify_ledger_detects_an_edit_even_when_the_hashes_are_recomputed(entries):
    """Rewriting payload, payload hash and entry hash still fails: the signature is over
    the old hash, and forging a new one needs the private key."""
    entries(4)
    row = LedgerEntry.objects.values().get(seq=2)
    payload = '{"n":1,"note":"rewritten"}'
    payload_hash = sha256_hex(payload)
    entry_hash = sha256_hex(
        entry_message(
            seq=2,
            kind=row["kind"],
            subject=row["subject"],
            payload_hash=payload_hash,
            prev_hash=row["prev_hash"],
            created_at=row["created_at"],
            key_id=row["key_id"],
        )
    )
    tamper(
        "UPDATE compliance_ledgerentry SET payload = %s, payload_hash = %s, entry_hash = %s WHERE seq = 2",
        [payload, payload_hash, entry_hash],
    )
    with pytest.raises(CommandError) as caught:
        verify_command()
    assert "first bad seq 2" in first_bad_seq_of(caught.value)
    assert "signature" in str(caught.value)


@pytest.mark.django_db
def test_verify_ledger_detects_a_deleted_entry(entries):
    entries(5)
    tamper("DELETE FROM compliance_ledgerentry WHERE seq = 2")
    with pytest.raises(CommandError) as caught:
        verify_command()
    assert "first bad seq 2" in first_bad_seq_of(caught.value)
    assert "missing" in str(caught.value)


@pytest.mark.django_db
def test_verify_ledger_detects_reordered_entries(entries):
    entries(5)
    tamper("UPDATE compliance_ledgerentry SET seq = 1000 WHERE seq = 2")
    tamper("UPDATE compliance_ledgerentry SET seq = 2 WHERE seq = 3")
    tamper("UPDATE compliance_ledgerentry SET seq = 3 WHERE seq = 1000")
    with pytest.raises(CommandError) as caught:
        verify_command()
    assert "first bad seq 2" in first_bad_seq_of(caught.value)


@pytest.mark.django_db
def test_verify_ledger_detects_a_forged_signature(entries):
    entries(3)
    row = LedgerEntry.objects.get(seq=3)
    forger = Ed25519PrivateKey.generate()
    forged = base64.b64encode(forger.sign(row.entry_hash.encode())).decode()
    tamper("UPDATE compliance_ledgerentry SET signature = %s WHERE seq = 3", [forged])
    with pytest.raises(CommandError) as caught:
        verify_command()
    assert "first bad seq 3" in first_bad_seq_of(caught.value)
    assert "forged" in str(caught.value)


@pytest.mark.django_db
def test_verify_ledger_with_an_anchor_detects_a_removed_tail(entries):
    created = entries(4)
    anchor = f"4:{created[-1].entry_hash}"
    assert "intact" in verify_command("--anchor", anchor)
    tamper("DELETE FROM compliance_ledgerentry WHERE seq = 4")
    # Without the anchor a shortened ledger looks whole; the anchor kept outside catches it.
    assert "intact" in verify_command()
    with pytest.raises(CommandError) as caught:
        verify_command("--anchor", anchor)
    assert "first bad seq 4" in first_bad_seq_of(caught.value)
    with pytest.raises(CommandError) as bad:
        verify_command("--anchor", "four:abc")
    assert bad.value.returncode == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_verify_ledger_exits_non_zero_from_the_shell(entries):
    """The real process exit code, as an operator's cron sees it."""
    entries(2)
    tamper("UPDATE compliance_ledgerentry SET kind = %s WHERE seq = 1", [LedgerKind.EXPERT_REJECTED])
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    result = subprocess.run(
        [sys.executable, "manage.py", "verify_ledger"],
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert "first bad seq 1" in result.stderr


# --- concurrency ------------------------------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_never_fork_or_skip():
    def append_five():
        for index in range(5):
            with transaction.atomic():
                services.record(kind=LedgerKind.CONSULTATION_RELEASED, subject=f"consultation:{index + 1}", payload={})
        return True

    results, errors = run_in_threads(append_five, 8)
    assert errors == []
    assert len(results) == 8
    assert list(LedgerEntry.objects.values_list("seq", flat=True)) == list(range(1, 41))
    report = verify_stored_chain()
    assert report.ok, report.reason
    assert report.checked == 40
    # Transactional tests end with a flush (TRUNCATE), which the row triggers allow.


# --- signing key --------------------------------------------------------------------------------
def _settings_import(env: dict) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("COMPLIANCE_SIGNING_KEY", "DEBUG")}
    return subprocess.run(
        [sys.executable, "-c", "import foodxchange.settings"],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_signing_key_is_required_when_debug_is_off():
    missing = _settings_import({"DEBUG": "false"})
    assert missing.returncode != 0
    assert "COMPLIANCE_SIGNING_KEY" in missing.stderr
    short = _settings_import({"DEBUG": "true", "COMPLIANCE_SIGNING_KEY": base64.b64encode(b"short").decode()})
    assert short.returncode != 0
    assert "32 bytes" in short.stderr
    good = base64.b64encode(os.urandom(32)).decode()
    assert _settings_import({"DEBUG": "false", "COMPLIANCE_SIGNING_KEY": good}).returncode == 0
    assert _settings_import({"DEBUG": "true"}).returncode == 0  # derived development key


def test_debug_derives_a_development_key(settings):
    settings.COMPLIANCE_SIGNING_KEY = ""
    settings.DEBUG = True
    assert signing.is_development_key()
    signature = signing.sign("abc")
    assert signing.verify("abc", signature)
    settings.DEBUG = False
    with pytest.raises(Exception, match="required"):
        signing.sign("abc")


def test_signatures_use_the_configured_seed(settings):
    seed = os.urandom(32)
    settings.COMPLIANCE_SIGNING_KEY = base64.b64encode(seed).decode()
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    public.verify(base64.b64decode(signing.sign("hello")), b"hello")  # raises when wrong
    assert not signing.verify("hello", "not base64!")


# --- API ------------------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("area", ["operations", "support"])
def test_ledger_list_for_operations_and_support_staff(
    client_for, staff_for, entries, area, django_assert_max_num_queries
):
    entries(3)
    services.record(kind=LedgerKind.EXPERT_VERIFIED, subject="expert:9", payload={"x": 1})
    client = client_for(staff_for(area))
    with django_assert_max_num_queries(8):
        body = client.get(LEDGER_URL).json()
    assert body["count"] == 4
    assert [e["seq"] for e in body["results"]] == [1, 2, 3, 4]
    first = body["results"][0]
    assert {"seq", "kind", "subject", "payload", "payload_hash", "prev_hash", "entry_hash", "signature"} <= set(first)
    assert first["payload"] == {"n": 0, "note": "ok"}
    assert client.get(LEDGER_URL, {"kind": "expert.verified"}).json()["count"] == 1
    assert client.get(LEDGER_URL, {"subject": "consultation:2"}).json()["results"][0]["seq"] == 2
    assert client.get(LEDGER_URL, {"page_size": 2, "page": 2}).json()["results"][0]["seq"] == 3


@pytest.mark.django_db
def test_ledger_list_refuses_bad_filters(client_for, staff_for):
    response = client_for(staff_for("operations")).get(LEDGER_URL, {"kind": "nope"})
    assert response.status_code == 400
    assert "kind" in response.json()["error"]["details"]


@pytest.mark.django_db
def test_ledger_list_wrong_callers(api_client, client_for, staff_for, client_user, expert_user):
    assert api_client.get(LEDGER_URL).status_code == 401
    assert client_for(client_user).get(LEDGER_URL).status_code == 403
    assert client_for(expert_user).get(LEDGER_URL).status_code == 403
    assert client_for(staff_for("finance")).get(LEDGER_URL).status_code == 403
    assert client_for(staff_for()).get(LEDGER_URL).status_code == 403


@pytest.mark.django_db
def test_ledger_head_is_public_and_checkable(api_client, entries):
    empty = api_client.get(HEAD_URL).json()
    assert empty["seq"] == 0 and empty["entry_hash"] is None
    created = entries(3)
    head = api_client.get(HEAD_URL).json()
    assert head["seq"] == 3
    assert head["entry_hash"] == created[-1].entry_hash
    # An outsider checks the head with nothing but the published public key.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(head["public_key"]))
    key.verify(base64.b64decode(head["signature"]), head["entry_hash"].encode())
    assert head["development_key"] is False
    assert json.loads(LedgerEntry.objects.get(seq=3).payload) == {"n": 2, "note": "ok"}


@pytest.mark.sqlite
@pytest.mark.django_db
def test_sqlite_path_detects_edits_and_deletes(entries):
    entries(4)
    tamper("UPDATE compliance_ledgerentry SET subject = 'consultation:99' WHERE seq = 3")
    with pytest.raises(CommandError) as caught:
        verify_command()
    assert "first bad seq 3" in str(caught.value)
    tamper("DELETE FROM compliance_ledgerentry WHERE seq = 2")
    with pytest.raises(CommandError) as caught:
        verify_command()
    assert "first bad seq 2" in str(caught.value)
