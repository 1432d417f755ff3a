from workspaces.services import MESSAGE_KIND


def test_the_message_push_is_a_notification_kind_users_can_choose():
    from realtime.models import KIND_DEFAULTS

    assert KIND_DEFAULTS[MESSAGE_KIND] == {
        "title": "A new message in a workspace",
        "in_app": True,
        "email": False,
        "whatsapp": False,
    }
