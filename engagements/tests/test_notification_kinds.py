import re
from pathlib import Path

from engagements import lifecycle


def test_every_kind_engagements_send_is_a_notification_kind_users_can_choose():
    from realtime.models import KIND_DEFAULTS

    source = (Path(lifecycle.__file__).parent / "services.py").read_text()
    sent = set(re.findall(r'kind="(engagement\.[a-z_]+)"', source))
    events = {t.event for t in lifecycle.TRANSITIONS.values()}
    assert sent and events
    assert (sent | events) - set(KIND_DEFAULTS) == set()


def test_milestone_money_and_review_events_go_by_email_by_default():
    from realtime.models import KIND_DEFAULTS

    for kind in ("engagement.milestone_submitted", "engagement.milestone_released", "engagement.quote_received"):
        assert KIND_DEFAULTS[kind]["email"] is True
        assert KIND_DEFAULTS[kind]["whatsapp"] is False
