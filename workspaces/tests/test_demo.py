from io import StringIO

import pytest
from django.core.management import call_command

from consultations import demo as consultations_demo
from consultations.tests.conftest import expert_spec
from workspaces import demo
from workspaces.models import Attachment, Message

pytestmark = pytest.mark.django_db


def test_the_demo_workspace_is_lively_and_made_through_the_services(settings, django_capture_on_commit_callbacks):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    expert_spec()  # transactional tests elsewhere may have flushed the seeded taxonomy
    call_command(
        "seed_demo", "--no-progress", "--skip-apps", "--i-know", experts=8, clients=2, agents=0, stdout=StringIO()
    )
    with django_capture_on_commit_callbacks(execute=True):  # the demo booking's charge
        consultations_demo.seed(stdout=StringIO())
    out = StringIO()
    demo.seed(stdout=out)
    workspace = demo.demo_workspace()
    assert workspace is not None and workspace.paid_at is not None
    messages = list(workspace.messages.order_by("id"))
    assert len(messages) == 6 and {m.sender_id for m in messages} == {workspace.client_id, workspace.expert_id}
    # Flagged by the rule itself: the phone number came before the payment.
    assert [m.contact_warning for m in messages] == [False, True, False, False, False, False]
    plan = list(workspace.attachments.filter(name_key="haccp plan.pdf").values_list("version", flat=True))
    assert sorted(plan) == [1, 2]
    kinds = set(workspace.attachments.values_list("content_type", flat=True))
    assert {"application/pdf", "image/png", "text/csv"} <= kinds and any("spreadsheetml" in k for k in kinds)
    assert "6 messages (1 flagged), 5 files" in out.getvalue()
    demo.seed(stdout=StringIO())
    assert Message.objects.count() == 6 and Attachment.objects.count() == 5
