import pytest
from django.contrib.auth.models import Group

from accounts.tests.factories import UserFactory
from consultations.models import Consultation, Transfer
from consultations.tests.helpers import booked, move_to_past
from foodxchange.models import AuditLog

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/consultations/consultation/"


def staff_in(area: str):
    user = UserFactory(role="admin", is_staff=True)
    user.groups.add(Group.objects.get(name=area))
    return user


@pytest.fixture
def disputed(client_a, bookable, django_capture_on_commit_callbacks):
    from consultations import services

    expert, service = bookable
    c = booked(client_a, expert, service, capture=django_capture_on_commit_callbacks)
    services.confirm(consultation_id=c.pk, actor=expert.user)
    move_to_past(c)
    services.complete(consultation_id=c.pk, actor=expert.user)
    services.dispute(consultation_id=c.pk, actor=client_a, reason="no show")
    return c


def test_finance_resolves_a_dispute_from_the_admin(client, disputed, django_capture_on_commit_callbacks):
    user = staff_in("finance")
    client.force_login(user)
    assert client.get(CHANGELIST, {"status__exact": "disputed", "q": disputed.service_title}).status_code == 200
    assert client.get(f"{CHANGELIST}{disputed.pk}/change/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(CHANGELIST, {"action": "resolve_release", "_selected_action": [disputed.pk]})
    assert resp.status_code == 302
    assert Consultation.objects.get(pk=disputed.pk).status == "released"
    assert Transfer.objects.filter(consultation=disputed).exists()
    assert AuditLog.objects.filter(action="consultation.resolve_release", actor=user).exists()


def test_support_sees_but_cannot_move_money(client, disputed):
    client.force_login(staff_in("support"))
    assert client.get(CHANGELIST).status_code == 200
    client.post(CHANGELIST, {"action": "resolve_refund", "_selected_action": [disputed.pk]})
    assert Consultation.objects.get(pk=disputed.pk).status == "disputed"
    assert client.get("/admin/consultations/ledgerentry/").status_code == 403


def test_operations_staff_cannot_see_consultations(client, disputed):
    client.force_login(staff_in("operations"))
    assert client.get(CHANGELIST).status_code == 403
