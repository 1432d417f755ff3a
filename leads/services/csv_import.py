"""CSV import of leads. The file is checked as a whole first (CSV, size, row count,
required columns), then each row is validated with the same rules as the API and
created in its own transaction: a bad row is reported, never half-written, and a
contact that already exists (same email or phone) is counted as a duplicate — so
importing the same file again creates nothing new."""

from __future__ import annotations

import contextlib
import csv
import io
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError, transaction
from django.db.models.functions import Lower

from accounts.models import User
from experts.models import Specialization
from foodxchange.errors import InvalidInput
from foodxchange.services import record_audit
from leads import selectors, validators
from leads.inputs import clean_lead_input
from leads.models import Lead
from leads.services.pipeline import DuplicateLead, create_lead

logger = logging.getLogger(__name__)

# Accepted spellings of each column, after lower-casing and turning spaces/dashes into "_".
HEADER_ALIASES: dict[str, str] = {
    "company": "company_name",
    "company_name": "company_name",
    "organisation": "company_name",
    "organization": "company_name",
    "business": "company_name",
    "contact": "contact_name",
    "contact_name": "contact_name",
    "name": "contact_name",
    "full_name": "contact_name",
    "email": "email",
    "e_mail": "email",
    "email_address": "email",
    "phone": "phone",
    "phone_number": "phone",
    "mobile": "phone",
    "whatsapp": "phone",
    "country": "country",
    "country_code": "country",
    "timezone": "timezone",
    "time_zone": "timezone",
    "source": "source",
    "specialization": "specialization",
    "specialisation": "specialization",
    "estimated_value": "estimated_value",
    "value": "estimated_value",
    "budget": "estimated_value",
    "currency": "currency",
    "notes": "notes",
    "note": "notes",
    "whatsapp_opt_in": "whatsapp_opt_in",
    "opt_in": "whatsapp_opt_in",
}
CHUNK_ROWS = 200
CHUNK_ATTEMPTS = 3
REQUIRED_COLUMNS = {"company_name", "contact_name", "country"}
ALLOWED_EXTENSIONS = (".csv", ".txt")
TRUE_WORDS = {"1", "true", "yes", "y", "x"}
FALSE_WORDS = {"0", "false", "no", "n", ""}


class LeadImportError(InvalidInput):
    """The file as a whole cannot be imported (nothing was written)."""

    def __init__(self, message: str):
        super().__init__(message, field="file", code="invalid_file")


@dataclass
class ImportResult:
    created: int = 0
    duplicates: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    duplicate_rows: list[dict[str, Any]] = field(default_factory=list)
    created_ids: list[int] = field(default_factory=list)

    def merge(self, other: ImportResult) -> None:
        self.created += other.created
        self.duplicates += other.duplicates
        self.errors.extend(other.errors)
        self.duplicate_rows.extend(other.duplicate_rows)
        self.created_ids.extend(other.created_ids)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "duplicates": self.duplicates,
            "errors": self.errors,
            "duplicate_rows": self.duplicate_rows,
        }


def _header_key(raw: str) -> str:
    return re.sub(r"[\s\-]+", "_", (raw or "").strip().lower())


def read_rows(file: IO[bytes], *, name: str = "") -> tuple[list[str], list[dict[str, str]]]:
    """Decodes and parses the upload; returns the mapped columns and the rows keyed by
    field name. Raises LeadImportError with a message for the person who sent it."""
    max_bytes = settings.LEADS_IMPORT_MAX_BYTES
    max_rows = settings.LEADS_IMPORT_MAX_ROWS
    if name and not name.lower().endswith(ALLOWED_EXTENSIONS):
        raise LeadImportError(f"{name!r} is not a CSV file; upload a .csv file with a header row.")
    raw = file.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise LeadImportError(f"The file is larger than {max_bytes // (1024 * 1024)} MB.")
    if not raw.strip():
        raise LeadImportError("The file is empty.")
    if b"\x00" in raw:
        raise LeadImportError("This is not a CSV file (it contains binary data).")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LeadImportError("The file is not UTF-8 text; export the CSV as UTF-8.")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise LeadImportError("This is not a CSV file with a header row.")
    columns = [HEADER_ALIASES.get(_header_key(h), "") for h in header]
    missing = REQUIRED_COLUMNS - set(columns)
    if missing or not ({"email", "phone"} & set(columns)):
        needed = sorted(missing) + ([] if {"email", "phone"} & set(columns) else ["email or phone"])
        raise LeadImportError(
            f"Missing column(s): {', '.join(needed)}. The header row must name company_name, contact_name, "
            "country and at least one of email/phone."
        )
    rows: list[dict[str, str]] = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) >= max_rows:
                raise LeadImportError(f"The file has more than {max_rows:,} rows; split it into smaller files.")
            rows.append({col: (record[i].strip() if i < len(record) else "") for i, col in enumerate(columns) if col})
    except csv.Error as exc:
        raise LeadImportError(f"The CSV could not be parsed near record {len(rows) + 2}: {exc}.")
    return [c for c in columns if c], rows


def _specializations() -> dict[str, Specialization]:
    lookup: dict[str, Specialization] = {}
    for spec in Specialization.objects.filter(is_active=True):
        lookup[str(spec.pk)] = lookup[spec.slug.lower()] = lookup[spec.name.lower()] = spec
    return lookup


def _row_data(
    row: dict[str, str], specializations: dict[str, Specialization]
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Turns a CSV row into API input, with the errors the API would not spell out."""
    errors: list[tuple[str, str]] = []
    data: dict[str, Any] = {k: v for k, v in row.items() if v != "" and k not in ("specialization", "whatsapp_opt_in")}
    data.setdefault("source", Lead.Source.IMPORT)
    if row.get("specialization"):
        spec = specializations.get(row["specialization"].lower())
        if spec is None:
            errors.append(("specialization", f"Unknown specialization {row['specialization']!r}."))
        else:
            data["specialization"] = spec
    opt_in = row.get("whatsapp_opt_in", "").lower()
    if opt_in in TRUE_WORDS:
        data["whatsapp_opt_in"] = True
    elif opt_in not in FALSE_WORDS:
        errors.append(("whatsapp_opt_in", "Use yes/no (or true/false, 1/0)."))
    return data, errors


def _flatten(detail: dict[str, Any]) -> Iterable[tuple[str, str]]:
    for field_name, messages in detail.items():
        messages = messages if isinstance(messages, list) else [messages]
        for message in messages[:1]:
            yield ("row" if field_name == "non_field_errors" else field_name), str(message)


def import_leads_csv(
    *,
    file: IO[bytes],
    actor: User | None,
    agent: User | None = None,
    name: str = "",
    progress: Callable[[int], None] | None = None,
    request: Any = None,
) -> ImportResult:
    """Imports the leads in ``file``. ``agent`` receives them (default: the actor when
    an agent). ``progress(n)`` is called after each committed chunk of n rows. Rows are numbered
    as in a spreadsheet: the header is row 1, the first lead row 2."""
    _, rows = read_rows(file, name=name)
    result = ImportResult()
    specializations = _specializations()
    supply = selectors.verified_expert_counts()
    seen: tuple[set[str], set[str]] = (set(), set())  # emails, phones already taken
    for start in range(0, len(rows), CHUNK_ROWS):
        chunk = rows[start : start + CHUNK_ROWS]
        for attempt in range(1, CHUNK_ATTEMPTS + 1):
            chunk_result, chunk_seen = ImportResult(), (set(seen[0]), set(seen[1]))
            _add_existing_contacts(chunk, chunk_seen)
            try:
                # Rows commit in chunks (a commit per row is what makes large imports slow);
                # each row still runs in its own savepoint, so a failing row leaves nothing.
                with transaction.atomic():
                    for offset, row in enumerate(chunk):
                        _import_row(
                            row,
                            start + offset + 2,
                            actor=actor,
                            agent=agent,
                            result=chunk_result,
                            seen=chunk_seen,
                            specializations=specializations,
                            supply=supply,
                        )
            except OperationalError:
                # A concurrent import inserting the same contacts in another order can
                # deadlock with this chunk; it was rolled back whole, so run it again.
                if attempt == CHUNK_ATTEMPTS:
                    raise
                logger.warning("lead import chunk at row %s rolled back (%s); retrying", start + 2, attempt)
                continue
            break
        result.merge(chunk_result)
        seen = chunk_seen
        if progress is not None:
            progress(len(chunk))
    record_audit(
        actor=actor,
        action="leads.import",
        after={
            "file": name,
            "rows": len(rows),
            "created": result.created,
            "duplicates": result.duplicates,
            "errors": len(result.errors),
            "agent": agent.pk if agent else None,
        },
        request=request,
    )
    return result


def _import_row(
    row: dict[str, str],
    number: int,
    *,
    actor: User | None,
    agent: User | None,
    result: ImportResult,
    seen: tuple[set[str], set[str]],
    specializations: dict[str, Specialization],
    supply: dict[int, int],
) -> None:
    """Validates and creates one row, recording the outcome in ``result``."""
    data, row_errors = _row_data(row, specializations)
    specialization = data.pop("specialization", None)  # already resolved: no lookup per row
    try:
        validated = {**clean_lead_input(data), "specialization": specialization}
    except InvalidInput as exc:
        row_errors.extend(_flatten(exc.details or {"row": [exc.message]}))
    if row_errors:
        reported: set[str] = set()
        for field_name, message in row_errors:
            if field_name not in reported:  # the first problem of each field
                reported.add(field_name)
                result.errors.append({"row": number, "field": field_name, "message": message})
        return

    email, phone = validated.get("email", "").lower(), validated.get("phone", "")
    seen_emails, seen_phones = seen
    matched = _duplicate_field(email, phone, seen_emails, seen_phones)
    if matched:
        result.duplicates += 1
        result.duplicate_rows.append({"row": number, "field": matched})
        return
    if agent is not None:
        validated["assigned_to"] = agent
    try:
        lead = create_lead(actor=actor, data=validated, check_duplicates=False, supply=supply, bulk=True)
    except DuplicateLead as exc:  # created concurrently by someone else
        result.duplicates += 1
        result.duplicate_rows.append({"row": number, "field": exc.field_name})
    except InvalidInput as exc:
        detail = exc.details or {"row": [exc.message]}
        result.errors.extend({"row": number, "field": f, "message": m} for f, m in _flatten(detail))
    else:
        result.created += 1
        result.created_ids.append(lead.pk)
    if email:
        seen_emails.add(email)
    if phone:
        seen_phones.add(phone)


def _add_existing_contacts(chunk: list[dict[str, str]], seen: tuple[set[str], set[str]]) -> None:
    """Loads the live leads sharing an email or phone with ``chunk`` in two queries, so
    rows are checked against memory. Phones are compared as E.164, so the raw cells
    are normalised the way validation will normalise them."""
    emails = {row["email"].lower() for row in chunk if row.get("email")}
    phones = set()
    for row in chunk:
        if row.get("phone"):
            with contextlib.suppress(DjangoValidationError):  # reported when the row is validated
                phones.add(validators.normalize_phone(row["phone"], country=row.get("country")))
    live = Lead.objects.alive().order_by()
    if emails:
        taken = live.alias(email_lower=Lower("email")).filter(email_lower__in=emails).exclude(email="")
        seen[0].update(email.lower() for email in taken.values_list("email", flat=True))
    if phones:
        seen[1].update(live.filter(phone__in=phones).values_list("phone", flat=True))


def _duplicate_field(email: str, phone: str, seen_emails: set[str], seen_phones: set[str]) -> str | None:
    if email and email in seen_emails:
        return "email"
    if phone and phone in seen_phones:
        return "phone"
    return None
