def latest_backup_summary() -> dict | None:
    """The newest backup for the system status page (None until backups exist)."""
    return None
