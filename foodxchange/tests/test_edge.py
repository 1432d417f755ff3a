"""Trust at the edge: client addresses, request ids and NUL bytes (foodxchange.edge)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from rest_framework.test import APIClient

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from foodxchange.edge import client_ip, find_nul, is_valid_request_id, normalize_ip
from foodxchange.models import AuditLog

pytestmark = pytest.mark.django_db

MULTI_HOP = "203.0.113.7, 10.0.0.2"


def _request(**meta):
    return RequestFactory().get("/", **meta)


# --- client_ip ---------------------------------------------------------------------------


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request(REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR=MULTI_HOP)) == "198.51.100.1"


@pytest.mark.parametrize(
    ("proxies", "expected"),
    [(1, "10.0.0.2"), (2, "203.0.113.7"), (5, "203.0.113.7")],
)
def test_trusted_proxies_pick_the_address_the_outermost_proxy_saw(settings, proxies, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_ip(_request(REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=MULTI_HOP)) == expected


@pytest.mark.parametrize(
    "header",
    [
        "not-an-ip",
        "1.2.3.4, ",
        ",",
        "1.2.3.4,,5.6.7.8",
        "999.1.1.1",
        "1.2.3.4\x00",
        "9" * 600,
        ", ".join(["1.1.1.1"] * 200),
    ],
)
def test_garbage_or_oversize_headers_fall_back_to_the_peer(settings, header):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request(REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR=header)) == "198.51.100.1"


def test_addresses_are_normalised():
    assert normalize_ip("203.0.113.7:51234") == "203.0.113.7"
    assert normalize_ip("[2001:db8::1]:443") == "2001:db8::1"
    assert normalize_ip("2001:DB8:0::1") == "2001:db8::1"
    assert normalize_ip("::ffff:203.0.113.7") == "203.0.113.7"
    assert normalize_ip("fe80::1%eth0") == "fe80::1"
    assert normalize_ip("") is None
    assert normalize_ip(None) is None
    assert normalize_ip("localhost") is None


def test_no_valid_peer_is_none():
    assert client_ip(_request(REMOTE_ADDR="garbage")) is None
    assert client_ip(None) is None


def _login(client, user, **headers):
    return client.post("/api/v1/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD}, **headers)


@pytest.mark.postgres
def test_a_multi_hop_header_is_audited_as_one_valid_address_on_postgresql(settings):
    """On PostgreSQL the inet column refuses '203.0.113.7, 10.0.0.2': a login with a
    normal proxy chain used to be a 500."""
    user = UserFactory(role="client")
    for proxies, expected in ((0, "127.0.0.1"), (1, "10.0.0.2"), (2, "203.0.113.7")):
        settings.TRUSTED_PROXY_COUNT = proxies
        response = _login(APIClient(), user, HTTP_X_FORWARDED_FOR=MULTI_HOP)
        assert response.status_code == 200, response.content
        assert AuditLog.objects.filter(action="account.login").first().ip_address == expected


def test_garbage_forwarded_for_never_fails_an_audited_write(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    user = UserFactory(role="client")
    for header in ("<script>", "1.2.3.4, evil", "x" * 5000):
        response = _login(APIClient(), user, HTTP_X_FORWARDED_FOR=header)
        assert response.status_code == 200, response.content
        assert AuditLog.objects.filter(action="account.login").first().ip_address == "127.0.0.1"


def test_rotating_the_header_does_not_dodge_the_throttle(settings):
    """Without trusted proxies every request from one peer shares one bucket."""
    from rest_framework.settings import api_settings

    settings.TRUSTED_PROXY_COUNT = 0
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK}
    settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {**api_settings.DEFAULT_THROTTLE_RATES, "auth": "3/min"}
    api_settings.reload()
    from rest_framework.throttling import SimpleRateThrottle

    old_rates = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        statuses = [
            APIClient()
            .post("/api/v1/auth/login", {"email": "x@example.com", "password": "x"}, HTTP_X_FORWARDED_FOR=f"10.9.0.{i}")
            .status_code
            for i in range(5)
        ]
    finally:
        SimpleRateThrottle.THROTTLE_RATES = old_rates
        api_settings.reload()
    assert statuses[-1] == 429, statuses


def test_trusted_proxy_count_feeds_drf(settings):
    from django.conf import settings as live

    assert live.REST_FRAMEWORK["NUM_PROXIES"] == live.TRUSTED_PROXY_COUNT == 0


# --- X-Request-ID -------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["abc-123", "a" * 64, "0f8fad5b-d9cb-469f-a165-70867728950e", "req:1.2_x"])
def test_good_request_ids_are_kept(client, value):
    assert client.get("/health", HTTP_X_REQUEST_ID=value)["X-Request-ID"] == value


@pytest.mark.parametrize("value", ["a" * 65, "a b", "<script>", "é", "a;b", "x" * 5000, "abc\n"])
def test_bad_request_ids_are_replaced_with_a_fresh_one(client, value):
    returned = client.get("/health", HTTP_X_REQUEST_ID=value)["X-Request-ID"]
    assert returned != value
    assert is_valid_request_id(returned)


def test_a_long_request_id_never_fails_an_audited_write():
    """The audit log's request_id column is 64 characters (a DataError on PostgreSQL)."""
    user = UserFactory(role="client")
    response = _login(APIClient(), user, HTTP_X_REQUEST_ID="r" * 300)
    assert response.status_code == 200, response.content
    stored = AuditLog.objects.get(action="account.login").request_id
    assert stored and len(stored) <= 64 and stored != "r" * 300


# --- NUL bytes ----------------------------------------------------------------------------


def _assert_nul_refused(response, field: str) -> None:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"], error


def test_find_nul_names_the_field():
    assert find_nul({"a": "ok", "b": [{"c": "x\x00"}]}) == "b.0.c"
    assert find_nul({"a": "ok"}) is None
    assert find_nul(b"\x00") == "value"


def test_nul_in_a_query_parameter_is_400(client):
    _assert_nul_refused(client.get("/api/v1/search/services?specialization=a%00b"), "specialization")
    _assert_nul_refused(client.get("/api/v1/search/experts?q=%00"), "q")


def test_nul_in_the_path_is_400(client):
    _assert_nul_refused(client.get("/api/v1/experts/profile/1%00"), "path")


def test_nul_in_a_header_is_400(client):
    _assert_nul_refused(client.get("/api/v1/search/experts", HTTP_X_CLIENT_NOTE="a\x00b"), "X-Client-Note")


def test_nul_in_a_json_body_is_400_and_nothing_is_written(api_client):
    before = AuditLog.objects.count()
    response = api_client.post(
        "/api/v1/auth/register",
        '{"email": "nul@example.com", "password": "Long-enough-pass-2026", "first_name": "A\\u0000",'
        ' "last_name": "B", "role": "client"}',
        content_type="application/json",
    )
    _assert_nul_refused(response, "first_name")
    assert AuditLog.objects.count() == before


def test_nul_in_a_nested_json_value_is_400(client_for, admin_user):
    response = client_for(admin_user).post(
        "/api/v1/system/maintenance", {"enabled": False, "message": "ok", "extra": {"k": ["x\x00"]}}, format="json"
    )
    _assert_nul_refused(response, "extra.k.0")


def test_nul_in_a_form_body_is_400(api_client):
    response = api_client.post(
        "/api/v1/auth/login", "email=a%00b%40example.com&password=x", content_type="application/x-www-form-urlencoded"
    )
    _assert_nul_refused(response, "email")


def test_nul_in_an_uploaded_file_name_is_refused():
    """Django's multipart parser already drops unprintable characters from file names;
    the parser refuses any that would still carry one."""
    from django.utils.datastructures import MultiValueDict
    from rest_framework.exceptions import ValidationError

    from foodxchange.api.parsers import _check_files

    named = SimpleUploadedFile("lead\x00s.pdf", b"%PDF", content_type="application/pdf")
    with pytest.raises(ValidationError) as raised:
        _check_files(MultiValueDict({"file": [named]}))
    assert "file" in raised.value.detail


def test_nul_in_an_uploaded_csv_cell_or_form_field_is_400(client_for, admin_user):
    client = client_for(admin_user)
    named = SimpleUploadedFile("lead\x00s.csv", b"company_name\nAcme\n", content_type="text/csv")
    assert client.post("/api/v1/system/maintenance", {"file": named}, format="multipart").status_code == 200
    cell = SimpleUploadedFile("leads.csv", b"company_name\nAc\x00me\n", content_type="text/csv")
    _assert_nul_refused(client.post("/api/v1/system/maintenance", {"file": cell}, format="multipart"), "file")
    field = client.post("/api/v1/system/maintenance", {"message": "a\x00"}, format="multipart")
    _assert_nul_refused(field, "message")


def test_binary_uploads_may_hold_nul_bytes(client_for, admin_user):
    """A PDF or an image is bytes, not text: only text uploads are scanned."""
    client = client_for(admin_user)
    pdf = SimpleUploadedFile("doc.pdf", b"%PDF-1.4\x00\x00binary", content_type="application/pdf")
    response = client.post("/api/v1/system/maintenance", {"enabled": "false", "file": pdf}, format="multipart")
    assert response.status_code == 200, response.content


def test_csv_import_with_a_nul_cell_is_400(client_for, agent_user):
    """The leads CSV import goes through the same parser."""
    data = io.BytesIO(b"company_name,contact_name,email,country,source\nAc\x00me,Ann,a@example.com,US,web\n")
    data.name = "leads.csv"
    response = client_for(agent_user).post("/api/v1/leads/import", {"file": data}, format="multipart")
    _assert_nul_refused(response, "file")
