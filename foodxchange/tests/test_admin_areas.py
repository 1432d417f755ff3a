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
