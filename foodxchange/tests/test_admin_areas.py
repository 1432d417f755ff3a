import pytest
from django.contrib.admin.sites import AdminSite
from django.contrib.auth.models import Group
from django.test import RequestFactory

from accounts.tests.factories import UserFactory
from foodxchange.admin import StaffAreaAdmin
from foodxchange.models import FxRate


class FinanceOnlyAdmin(StaffAreaAdmin):
    view_area = "support"
    change_area = "finance"


def _request_for(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


@pytest.mark.django_db
def test_admin_pages_follow_the_staff_areas():
    model_admin = FinanceOnlyAdmin(FxRate, AdminSite())
    support = UserFactory(role="admin", is_staff=True)
    support.groups.add(Group.objects.get(name="support"))
    support = type(support).objects.get(pk=support.pk)
    finance = UserFactory(role="admin", is_staff=True)
    finance.groups.add(Group.objects.get(name="finance"))
    finance = type(finance).objects.get(pk=finance.pk)
    bare = UserFactory(role="admin", is_staff=True)

    assert model_admin.has_module_permission(_request_for(support))
    assert model_admin.has_view_permission(_request_for(support))
    assert not model_admin.has_change_permission(_request_for(support))
    assert model_admin.has_change_permission(_request_for(finance))
    assert model_admin.has_view_permission(_request_for(finance))
    assert not model_admin.has_module_permission(_request_for(bare))
    assert not model_admin.has_view_permission(_request_for(bare))


SYSTEM_ENDPOINTS = {
    ("get", "/api/v1/system/status"): {"operations"},
    ("get", "/api/v1/system/config"): {"operations"},
    ("get", "/api/v1/system/maintenance"): {"operations"},
    ("post", "/api/v1/system/maintenance"): {"operations"},
    ("get", "/api/v1/system/logs"): {"support", "operations"},
}


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), list(SYSTEM_ENDPOINTS))
@pytest.mark.parametrize("area", [None, "support", "finance", "operations"])
def test_system_endpoints_check_their_staff_area(client_for, staff_for, method, path, area):
    user = staff_for(*([area] if area else []))
    response = getattr(client_for(user), method)(path, {"enabled": False, "message": ""}, format="json")
    if area in SYSTEM_ENDPOINTS[(method, path)]:
        assert response.status_code == 200, response.content
    else:
        assert response.status_code == 403, response.content
        assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("/admin/foodxchange/auditlog/", {"support", "operations"}),
        ("/admin/foodxchange/maintenancestate/", {"operations"}),
    ],
)
@pytest.mark.parametrize("area", [None, "support", "finance", "operations"])
def test_core_admin_pages_follow_the_staff_areas(client, staff_for, url, allowed, area):
    client.force_login(staff_for(*([area] if area else [])))
    response = client.get(url)
    assert response.status_code == (200 if area in allowed else 403)


@pytest.mark.django_db
def test_audit_rows_stay_read_only_in_the_admin(client, staff_for):
    from foodxchange.services import record_audit

    user = staff_for("operations")
    row = record_audit(actor=user, action="x.y")
    client.force_login(user)
    assert client.get("/admin/foodxchange/auditlog/add/").status_code == 403
    assert client.post(f"/admin/foodxchange/auditlog/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get(f"/admin/foodxchange/auditlog/{row.pk}/change/").status_code == 200  # view only
