from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from commissions.models import Deal
from leads.models import Lead

pytestmark = pytest.mark.django_db


def test_kpi_page_needs_staff(client):
    response = client.get("/admin/kpi/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    client.force_login(UserFactory(role="agent"))
    assert client.get("/admin/kpi/").status_code == 302


def test_kpi_page_shows_marketplace_figures(client, admin_user):
    agent = UserFactory(role="agent")
    Lead.objects.create(
        company_name="Acme Dairy",
        contact_name="Dee",
        email="dee@acme.com",
        country="NL",
        estimated_value=Decimal("12000.00"),
        currency="EUR",
        created_by=agent,
        assigned_to=agent,
    )
    won = Lead.objects.create(
        company_name="Baker Bros",
        contact_name="Bo",
        email="bo@baker.com",
        country="US",
        status=Lead.Status.WON,
        created_by=agent,
        assigned_to=agent,
    )
    Deal.objects.create(lead=won, agent=agent, value=Decimal("5000.00"), currency="USD")
    Lead.objects.create(  # soft-deleted: gone from every figure
        company_name="Gone Ltd",
        contact_name="G",
        email="g@gone.com",
        country="US",
        status=Lead.Status.LOST,
        estimated_value=Decimal("999.00"),
        currency="EUR",
        created_by=agent,
        deleted_at=timezone.now(),
    )
    client.force_login(admin_user)
    response = client.get("/admin/kpi/")
    assert response.status_code == 200
    kpis = response.context["kpis"]
    assert kpis["leads"]["pipeline_value"] == {"EUR": Decimal("12000.00")}
    assert kpis["leads"]["won_this_month"] == {"USD": Decimal("5000.00")}
    assert kpis["leads"]["win_rate"] == 1.0
    assert kpis["users"]["agents"] == 1
    assert b"12000.00 EUR" in response.content

    index = client.get("/admin/")
    assert b"/admin/kpi/" in index.content


def test_the_back_office_registers_the_last_backup_on_the_system_status(client_for):
    """The core shows backups' figures only through the section the back-office
    registers (foodxchange imports no domain app)."""
    from backups.selectors import latest_backup_summary
    from foodxchange.hooks import status_sections

    assert status_sections()["last_backup"] is latest_backup_summary
    ops = UserFactory(role="admin", is_staff=True, is_superuser=True)
    assert client_for(ops).get("/api/v1/system/status").json()["last_backup"] is None
