"""The FX table as data: GET /api/v1/fx/rates and the FxRate admin (dated rows, added
by finance, never edited)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from foodxchange.errors import InvalidInput
from foodxchange.fx import add_fx_rate
from foodxchange.models import AuditLog, FxRate

pytestmark = pytest.mark.django_db


def test_rates_endpoint_answers_the_table_in_force(client_for, agent_user, api_client, django_assert_max_num_queries):
    assert api_client.get("/api/v1/fx/rates").status_code == 401
    newer = FxRate.objects.create(
        currency="EUR", rate=Decimal("1.1"), valid_from=timezone.now() - dt.timedelta(hours=1)
    )
    FxRate.objects.create(currency="GBP", rate=Decimal("9"), valid_from=timezone.now() + dt.timedelta(days=1))
    client = client_for(agent_user)
    with django_assert_max_num_queries(3):
        body = client.get("/api/v1/fx/rates").json()
    assert body["base"] == "USD" and body["rates"]["USD"] == 1
    assert body["rates"]["EUR"] == 1.1  # the newest row in force, not the seed's 1.08
    assert body["rates"]["GBP"] == 1.27  # a future rate is not in force yet
    assert body["rates"]["JPY"] == 0.0067
    assert dt.datetime.fromisoformat(body["as_of"].replace("Z", "+00:00")) == newer.valid_from


def test_a_new_rate_is_a_new_row_and_history_cannot_be_rewritten(admin_user):
    row = add_fx_rate(currency="eur", rate="1.12", note="ECB", actor=admin_user)
    assert (row.currency, row.rate, row.created_by) == ("EUR", Decimal("1.12"), admin_user)
    assert FxRate.objects.filter(currency="EUR").count() == 2  # the seed row is kept
    assert AuditLog.objects.filter(action="fx.rate.added", actor=admin_user).exists()
    with pytest.raises(InvalidInput) as excinfo:
        add_fx_rate(currency="EUR", rate="1.0", valid_from=row.valid_from - dt.timedelta(days=1))
    assert "valid_from" in excinfo.value.details
    for currency, rate in [("USD", "1"), ("XYZ", "1"), ("EUR", "0"), ("EUR", "abc")]:
        with pytest.raises(InvalidInput):
            add_fx_rate(currency=currency, rate=rate)


def test_finance_adds_rates_in_the_admin_and_past_rows_are_read_only(client, staff_for):
    finance = staff_for("finance")
    client.force_login(finance)
    seed = FxRate.objects.get(currency="EUR")
    response = client.post(
        reverse("admin:foodxchange_fxrate_add"),
        {"currency": "eur", "rate": "1.15", "valid_from_0": "2099-01-01", "valid_from_1": "00:00:00", "note": "n"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert FxRate.objects.get(currency="EUR", rate=Decimal("1.15")).created_by == finance
    backdated = client.post(
        reverse("admin:foodxchange_fxrate_add"),
        {"currency": "EUR", "rate": "2", "valid_from_0": "2000-01-01", "valid_from_1": "00:00:00"},
    )
    assert backdated.status_code == 200 and "must start after" in backdated.content.decode()
    # An existing row opens read-only; posting to it changes nothing.
    client.post(reverse("admin:foodxchange_fxrate_change", args=[seed.pk]), {"currency": "EUR", "rate": "9"})
    seed.refresh_from_db()
    assert seed.rate == Decimal("1.08")
    assert client.post(reverse("admin:foodxchange_fxrate_delete", args=[seed.pk]), {"post": "yes"}).status_code == 403


def test_the_fx_admin_needs_the_finance_area(client, staff_for):
    client.force_login(staff_for("support"))
    assert client.get(reverse("admin:foodxchange_fxrate_changelist")).status_code == 403
    assert client.post(reverse("admin:foodxchange_fxrate_add"), {"currency": "EUR", "rate": "5"}).status_code == 403
    assert not FxRate.objects.filter(rate=Decimal("5")).exists()
