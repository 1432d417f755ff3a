"""Trust at the edge: what the project believes about a request before any view runs.

- ``client_ip(request)``: the caller's address, the one function the audit log, the
  throttles and any per-IP limit use. ``X-Forwarded-For`` is believed only for the
  ``TRUSTED_PROXY_COUNT`` proxies in front of the app (DRF's ``NUM_PROXIES`` is the same
  number); every address is validated, a malformed or oversize header is ignored.
- ``is_valid_request_id``: an incoming ``X-Request-ID`` is kept only when it is short and
  made of safe characters (it lands in a 64-character column and in every log line).
- ``find_nul``: the one rule for NUL bytes, which PostgreSQL text columns cannot hold;
  the edge middleware and the API parsers refuse any input carrying one with a 400.
"""

import ipaddress
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings

# A real proxy chain is a handful of addresses; anything longer is refused whole.
MAX_FORWARDED_FOR_LENGTH = 512
MAX_REQUEST_ID_LENGTH = 64
_REQUEST_ID = re.compile(rf"[A-Za-z0-9._:@+=\-]{{1,{MAX_REQUEST_ID_LENGTH}}}")


def normalize_ip(value: Any) -> str | None:
    """``value`` as a canonical IPv4/IPv6 address string, or None when it is not one."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > 45 or "\x00" in value:
        return None
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.7:51234"
        value = value.split(":", 1)[0]
    value = value.split("%", 1)[0]  # an IPv6 zone ("fe80::1%eth0") cannot be stored
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


def trusted_proxy_count() -> int:
    return max(0, int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0))


def client_ip(request: Any) -> str | None:
    """The caller's address: with ``TRUSTED_PROXY_COUNT = n`` proxies in front, the n-th
    address from the right of ``X-Forwarded-For`` (what the outermost trusted proxy
    saw); otherwise, or when that header is missing, malformed or oversize, the socket
    peer. None when no valid address is known."""
    if request is None:
        return None
    meta = getattr(request, "META", None) or {}
    proxies = trusted_proxy_count()
    if proxies:
        forwarded = meta.get("HTTP_X_FORWARDED_FOR")
        if isinstance(forwarded, str) and 0 < len(forwarded) <= MAX_FORWARDED_FOR_LENGTH:
            hops = [hop.strip() for hop in forwarded.split(",")]
            if hops and all(hops):
                address = normalize_ip(hops[-min(proxies, len(hops))])
                if address is not None:
                    return address
    return normalize_ip(meta.get("REMOTE_ADDR"))


def is_valid_request_id(value: Any) -> bool:
    return isinstance(value, str) and _REQUEST_ID.fullmatch(value) is not None


def find_nul(value: Any, path: str = "") -> str | None:
    """The path (``field``, ``items.2.name``) of the first string inside ``value``
    (strings, bytes, mappings, lists) that holds a NUL byte, or None. Keys count too."""
    if isinstance(value, str):
        return (path or "value") if "\x00" in value else None
    if isinstance(value, bytes):
        return (path or "value") if b"\x00" in value else None
    if isinstance(value, Mapping):
        # A QueryDict's repeated values are one field, not a list of items.
        items: Iterable[tuple[Any, Any]] = value.lists() if hasattr(value, "lists") else value.items()
        for key, item in items:
            name = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and "\x00" in key:
                return path or "field name"
            found = find_nul(item, name) if not hasattr(value, "lists") else _first_nul_in_list(item, name)
            if found:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = find_nul(item, f"{path}.{index}" if path else str(index))
            if found:
                return found
    return None


def _first_nul_in_list(values: list[Any], name: str) -> str | None:
    return name if any(find_nul(item) for item in values) else None


NUL_MESSAGE = "NUL characters (\\u0000) are not allowed."
