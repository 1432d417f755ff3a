"""Finding contact details (email addresses, phone numbers) in a message body.

Phone numbers are found by ``phonenumbers`` (Google's libphonenumber): international
numbers (+44 20 7946 0958) anywhere, national ones (020 7946 0958, (415) 555-0123) for
the regions in ``WORKSPACE_CONTACT_PHONE_REGIONS``; only numbers valid for their region
count, so order numbers, dates and temperatures are not mistaken for phones."""

from __future__ import annotations

import re

import phonenumbers
from django.conf import settings

# Plain addresses and the usual disguises: "name (at) example (dot) com", "name [at] ...".
_AT = r"(?:@|\s*[\(\[\{]\s*at\s*[\)\]\}]\s*)"
_DOT = r"(?:\.|\s*[\(\[\{]\s*dot\s*[\)\]\}]\s*)"
EMAIL_RE = re.compile(rf"[A-Za-z0-9._%+-]+{_AT}[A-Za-z0-9-]+(?:{_DOT}[A-Za-z0-9-]+)*{_DOT}[A-Za-z]{{2,}}", re.I)
MIN_PHONE_DIGITS = 7


def has_email(text: str) -> bool:
    return EMAIL_RE.search(text) is not None


def has_phone(text: str) -> bool:
    regions = [r.strip().upper() for r in settings.WORKSPACE_CONTACT_PHONE_REGIONS if r.strip()] or [None]
    for region in regions:
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
            if len(phonenumbers.national_significant_number(match.number)) >= MIN_PHONE_DIGITS:
                return True
    return False


def contact_kinds(text: str) -> list[str]:
    """``["email"]``, ``["phone"]``, both or none."""
    if not text:
        return []
    return [kind for kind, found in (("email", has_email(text)), ("phone", has_phone(text))) if found]
