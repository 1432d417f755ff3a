"""Channel-layer group names (ASCII letters, digits, ``.-_``, under 100 characters)."""

# Every /ws/presence/ socket: receives experts' presence changes.
PRESENCE = "presence.experts"


def user_notifications(user_id: int) -> str:
    """Every socket of one user, and only theirs."""
    return f"notifications.user.{user_id}"
