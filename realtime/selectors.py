def presence_map(user_ids) -> dict[int, str]:
    """Presence (online/away/busy/offline) of each user id. Placeholder until the
    presence tracker lands: everyone is reported offline."""
    return dict.fromkeys(user_ids, "offline")
