import base64
import os

import pytest


def make_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture(autouse=True)
def backup_settings(settings, tmp_path):
    """A fresh encryption key and a private backup storage folder per test."""
    settings.BACKUP_ENCRYPTION_KEY = make_key()
    settings.BACKUP_KEY_ID = ""
    settings.BACKUP_PREVIOUS_KEYS = []
    settings.BACKUP_TEMP_DIR = str(tmp_path / "work")
    settings.STORAGES = {
        **settings.STORAGES,
        "backups": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "backup-store")},
        },
    }
    return settings


@pytest.fixture
def media_root(settings):
    root = settings.MEDIA_ROOT
    root.mkdir(parents=True, exist_ok=True)
    return root
