import pytest

from accounts.tests.factories import UserFactory
from workspaces import selectors, services
from workspaces.models import Workspace

pytestmark = pytest.mark.django_db


def test_open_workspace_is_idempotent_per_subject():
    client, expert = UserFactory(), UserFactory()
    first = services.open_workspace(
        kind="consultation", subject_id=7, title="HACCP review", client=client, expert=expert
    )
    again = services.open_workspace(kind="consultation", subject_id=7, title="Other", client=client, expert=expert)
    assert again.pk == first.pk and again.title == "HACCP review"
    other = services.open_workspace(kind="engagement", subject_id=7, title="Plan", client=client, expert=expert)
    assert other.pk != first.pk
    assert Workspace.objects.count() == 2
    assert selectors.workspace_id_for(kind="engagement", subject_id=7) == other.pk
    assert selectors.workspace_id_for(kind="engagement", subject_id=8) is None


def test_record_payment_marks_the_pair_as_paid_once():
    client, expert = UserFactory(), UserFactory()
    services.open_workspace(kind="consultation", subject_id=1, title="Call", client=client, expert=expert)
    assert not selectors.have_paid_each_other(client_id=client.pk, expert_id=expert.pk)
    assert services.record_payment(kind="consultation", subject_id=1) is True
    assert services.record_payment(kind="consultation", subject_id=1) is False
    assert selectors.have_paid_each_other(client_id=client.pk, expert_id=expert.pk)
    assert not selectors.have_paid_each_other(client_id=expert.pk, expert_id=client.pk)
