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


def refund_url(c) -> str:
    return f"{CHANGELIST}{c.pk}/refund/"


def _token(client, c) -> str:
    page = client.get(refund_url(c))
    assert page.status_code == 200
    return page.context["form"].initial["token"]


def test_finance_resolves_a_dispute_with_a_partial_refund_from_the_admin(
    client, disputed, django_capture_on_commit_callbacks
):
    from decimal import Decimal

    from consultations.models import LedgerEntry, Refund

    user = staff_in("finance")
    client.force_login(user)
    picked = client.post(CHANGELIST, {"action": "partial_refund", "_selected_action": [disputed.pk]})
    assert picked.status_code == 302 and picked["Location"] == refund_url(disputed)
    page = client.get(refund_url(disputed))
    assert page.context["refundable"] == disputed.price and page.context["disputed"]
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(
            refund_url(disputed), {"amount": "30.00", "note": "Half the session", "token": _token(client, disputed)}
        )
    assert resp.status_code == 302, resp.context and resp.context["form"].errors
    c = Consultation.objects.get(pk=disputed.pk)
    assert c.status == "partially_refunded"
    refund = Refund.objects.get(consultation=c)
    assert (refund.amount, refund.status) == (Decimal("30.00"), "succeeded")
    assert Transfer.objects.get(consultation=c).amount > 0
    assert LedgerEntry.objects.filter(consultation=c, kind="refund", amount=Decimal("-30.00")).exists()
    log = AuditLog.objects.get(action="consultation.resolve_partial_refund", actor=user)
    assert log.after["amount"] == "30.00" and log.after["reason"] == "Half the session"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"amount": "120.00", "note": "all"}, "amount"),  # a partial refund is below what was paid
        ({"amount": "500", "note": "too much"}, "amount"),
        ({"amount": "0", "note": "nothing"}, "amount"),
        ({"amount": "-5", "note": "negative"}, "amount"),
        ({"amount": "abc", "note": "x"}, "amount"),
        ({"amount": "10", "note": "  "}, "note"),
    ],
)
def test_a_bad_partial_refund_shows_the_error_and_writes_nothing(client, disputed, data, field):
    from consultations.models import Refund

    client.force_login(staff_in("finance"))
    before = AuditLog.objects.count()
    resp = client.post(refund_url(disputed), {**data, "token": _token(client, disputed)})
    assert resp.status_code == 200
    assert field in resp.context["form"].errors
    assert Consultation.objects.get(pk=disputed.pk).status == "disputed"
    assert not Refund.objects.filter(consultation=disputed).exists()
    assert AuditLog.objects.count() == before


def test_a_goodwill_partial_refund_is_capped_and_a_double_submit_refunds_once(
    client, client_a, bookable, django_capture_on_commit_callbacks
):
    from decimal import Decimal

    from consultations import services
    from consultations.models import Refund

    expert, service = bookable
    c = booked(client_a, expert, service, days=6, capture=django_capture_on_commit_callbacks)
    services.confirm(consultation_id=c.pk, actor=expert.user)
    user = staff_in("finance")
    client.force_login(user)
    token = _token(client, c)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            resp = client.post(refund_url(c), {"amount": "20", "note": "Late start", "token": token})
        assert resp.status_code == 302
    refund = Refund.objects.get(consultation=c)
    assert (refund.amount, refund.reason, refund.created_by) == (Decimal("20.00"), "staff", user)
    assert Consultation.objects.get(pk=c.pk).status == "confirmed"
    assert AuditLog.objects.filter(action="consultation.refund", actor=user).count() == 1
    over = client.post(refund_url(c), {"amount": "100.01", "note": "More", "token": _token(client, c)})
    assert over.status_code == 200 and "100.00" in str(over.context["form"].errors["amount"])
    assert Refund.objects.filter(consultation=c).count() == 1


def test_only_finance_may_refund_from_the_admin(client, disputed):
    from consultations.models import Refund

    for area in ("support", "operations"):
        client.force_login(staff_in(area))
        assert client.get(refund_url(disputed)).status_code == 403
        assert client.post(refund_url(disputed), {"amount": "10", "note": "x", "token": "t"}).status_code == 403
    client.force_login(staff_in("support"))
    page = client.get(CHANGELIST)
    assert "partial_refund" not in page.context["cl"].model_admin.get_actions(page.wsgi_request)
    client.post(CHANGELIST, {"action": "partial_refund", "_selected_action": [disputed.pk]})
    assert not Refund.objects.filter(consultation=disputed).exists()
    client.logout()
    assert client.get(refund_url(disputed)).status_code == 302  # to the admin login


def test_the_partial_refund_action_takes_exactly_one_consultation(
    client, disputed, client_a, bookable, django_capture_on_commit_callbacks
):
    expert, service = bookable
    other = booked(client_a, expert, service, days=7, capture=django_capture_on_commit_callbacks)
    client.force_login(staff_in("finance"))
    resp = client.post(CHANGELIST, {"action": "partial_refund", "_selected_action": [disputed.pk, other.pk]})
    assert resp.status_code == 302 and resp["Location"] == CHANGELIST
    assert "exactly one" in str(list(resp.wsgi_request._messages))
    assert client.get(f"{CHANGELIST}999999/refund/").status_code == 404


def test_finance_sends_a_refund_left_pending_again_from_the_admin_and_support_cannot(
    client, disputed, django_capture_on_commit_callbacks
):
    from consultations.models import Refund
    from consultations.payments import RecordingBackend

    client.force_login(staff_in("finance"))
    RecordingBackend.fail(times=1)  # the provider is down when the refund is first sent
    with django_capture_on_commit_callbacks(execute=True):
        client.post(CHANGELIST, {"action": "resolve_refund", "_selected_action": [disputed.pk]})
    refund = Refund.objects.get(consultation=disputed)
    assert refund.status == "pending"
    refunds = "/admin/consultations/refund/"

    client.force_login(staff_in("support"))
    resp = client.post(refunds, {"action": "retry", "_selected_action": [refund.pk]}, follow=True)
    assert "Needs the finance area." in resp.content.decode()
    assert Refund.objects.get(pk=refund.pk).status == "pending"

    client.force_login(staff_in("finance"))
    resp = client.post(refunds, {"action": "retry", "_selected_action": [refund.pk]}, follow=True)
    assert "1 refund(s) succeeded of 1." in resp.content.decode()
    assert Refund.objects.get(pk=refund.pk).status == "succeeded"
    # Sent again: nothing more happens (the refund is no longer pending).
    client.post(refunds, {"action": "retry", "_selected_action": [refund.pk]})
    assert len(RecordingBackend.distinct("refund")) == 1


def test_finance_sends_a_waiting_transfer_once_the_expert_has_an_account(
    client, disputed, django_capture_on_commit_callbacks
):
    from experts.models import ExpertPayoutAccount

    ExpertPayoutAccount.objects.filter(expert_id=disputed.expert_id).delete()
    client.force_login(staff_in("finance"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(CHANGELIST, {"action": "resolve_release", "_selected_action": [disputed.pk]})
    transfer = Transfer.objects.get(consultation=disputed)
    assert transfer.status == "pending_account"
    transfers = "/admin/consultations/transfer/"
    resp = client.post(transfers, {"action": "retry", "_selected_action": [transfer.pk]}, follow=True)
    assert "0 paid of 1." in resp.content.decode()
    # Written directly: the payout-account service would pay the waiting transfer itself.
    ExpertPayoutAccount.objects.create(expert_id=disputed.expert_id, stripe_account_id="acct_1ABCdef")
    resp = client.post(transfers, {"action": "retry", "_selected_action": [transfer.pk]}, follow=True)
    assert "1 paid of 1." in resp.content.decode()
    assert Transfer.objects.get(pk=transfer.pk).status == "paid"
