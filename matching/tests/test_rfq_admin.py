import pytest
from django.contrib.auth.models import Group

from accounts.tests.factories import UserFactory
from experts.tests.factories import make_expert
from foodxchange.models import AuditLog
from matching.models import MatchingWeights, Rfq
from matching.services import rfqs

pytestmark = pytest.mark.django_db


def staff(area):
    user = UserFactory(role="admin", is_staff=True)
    user.groups.add(Group.objects.get(name=area))
    return user


@pytest.fixture
def rfq(client_user):
    make_expert(headline="HACCP consultant", specializations=["food-safety-haccp"])
    return rfqs.create_rfq(source="client", client=client_user, title="HACCP", description="HACCP plan").rfq


def test_support_sees_rfqs_and_closes_them_through_the_service(client, rfq):
    client.force_login(staff("support"))
    assert client.get("/admin/matching/rfq/").status_code == 200
    assert client.get("/admin/matching/rfq/?matched=none").status_code == 200
    assert client.get(f"/admin/matching/rfq/{rfq.pk}/change/").status_code == 200
    assert client.get("/admin/matching/rfqinvitation/").status_code == 200
    response = client.post("/admin/matching/rfq/", {"action": "close_rfqs", "_selected_action": [rfq.pk]})
    assert response.status_code == 302
    rfq.refresh_from_db()
    assert rfq.status == Rfq.Status.CLOSED
    assert AuditLog.objects.filter(action="matching.rfq.closed").exists()


def test_staff_without_the_area_are_refused(client, rfq):
    client.force_login(staff("finance"))
    assert client.get("/admin/matching/rfq/").status_code == 403
    assert client.get("/admin/matching/outboxevent/").status_code == 403


def test_operations_edit_weights_through_the_service(client):
    client.force_login(staff("operations"))
    assert client.get("/admin/matching/matchingweights/add/").status_code == 200
    data = {c: "1" for c in ("text", "specialization", "credentials", "rating", "availability", "language",
                             "location", "price", "workload", "verification")}  # fmt: skip
    response = client.post("/admin/matching/matchingweights/add/", data)
    assert response.status_code == 302
    assert MatchingWeights.objects.get(pk=1).weights["text"] == 1.0
    assert AuditLog.objects.filter(action="matching.weights.updated").count() == 1
    assert client.get("/admin/matching/outboxevent/").status_code == 200
