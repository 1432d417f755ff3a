"""The S3 path end to end: django-storages' S3Storage and boto3 talking HTTP to a local
S3-compatible server (moto) on 127.0.0.1 — no internet."""

import boto3
import pytest

from backups import services
from backups.models import Backup

transactional = pytest.mark.django_db(transaction=True)


@pytest.fixture
def s3_server(monkeypatch):
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    yield f"http://{host}:{port}"
    server.stop()


@transactional
def test_backup_and_verify_through_s3(settings, s3_server, media_root):
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    client.create_bucket(Bucket="fx-backups")
    settings.STORAGES = {
        **settings.STORAGES,
        "backups": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "fx-backups",
                "location": "backups",
                "endpoint_url": s3_server,
                "default_acl": "private",
                "file_overwrite": False,
            },
        },
    }
    (media_root / "logo.png").write_bytes(b"\x89PNG data")

    backup = services.create_backup()
    assert backup.status == Backup.Status.SUCCEEDED, backup.error
    objects = client.list_objects_v2(Bucket="fx-backups")["Contents"]
    assert [o["Key"] for o in objects] == [f"backups/{backup.storage_name}"]
    assert objects[0]["Size"] == backup.size_bytes
    body = client.get_object(Bucket="fx-backups", Key=objects[0]["Key"])["Body"].read()
    assert body[:4] == b"FXBK" and b"PNG data" not in body

    # Verification downloads through the same storage, as a restore does.
    result = services.verify_backup(backup=backup)
    assert result["ok"] and result["media_files"] == 1
