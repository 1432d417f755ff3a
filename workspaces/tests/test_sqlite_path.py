"""The embedded SQLite path (no PostgreSQL): versions, the refusal that stores nothing,
unread counts (the list's subqueries)."""

import pytest
from django.urls import reverse

from foodxchange.errors import InvalidInput
from workspaces import services
from workspaces.models import Attachment
from workspaces.tests import files

pytestmark = [pytest.mark.sqlite, pytest.mark.django_db]


def test_versions_refusals_and_unread_counts_on_sqlite(pair, client_for, settings):
    workspace, client, expert = pair
    services.post_message(workspace=workspace, sender=expert, body="v1", files=[files.upload("plan.pdf", files.PDF)])
    services.post_message(workspace=workspace, sender=expert, body="v2", files=[files.upload("Plan.pdf", files.PDF)])
    with pytest.raises(InvalidInput):
        services.post_message(workspace=workspace, sender=expert, body="", files=[files.upload("x.xlsx", files.PDF)])
    assert sorted(Attachment.objects.values_list("version", flat=True)) == [1, 2]
    assert len([p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]) == 2
    listing = client_for(client).get(reverse("workspaces")).json()
    assert listing["results"][0]["unread"] == 2
