import io

import pytest
from django.core import mail

from realtime import demo
from realtime.models import Notification, NotificationPreference

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent_and_sends_nothing():
    out = io.StringIO()
    demo.seed(stdout=out)
    count = Notification.objects.count()
    assert count > 0
    assert NotificationPreference.objects.filter(kind="lead.assigned", whatsapp=True).count() == 1
    demo.seed(stdout=out)
    assert Notification.objects.count() == count
    assert mail.outbox == []
    assert out.getvalue().splitlines()[-1] == "realtime: 0 demo notification(s) created"
