"""Every experts list endpoint answers a page with a fixed number of queries."""

from decimal import Decimal

import pytest

from experts.models import ExpertDocument, ExpertService
from experts.tests.factories import make_expert, spec

pytestmark = pytest.mark.django_db


def test_services_list_costs_a_fixed_number_of_queries(api_client, django_assert_max_num_queries):
    expert = make_expert()
    for n in range(8):
        ExpertService.objects.create(expert=expert, title=f"Audit {n}", specialization=spec("dairy"), price=Decimal(1))
    with django_assert_max_num_queries(6):
        body = api_client.get("/api/v1/experts/services", {"expert": expert.pk}).json()
    assert body["count"] == 8


def test_documents_list_costs_a_fixed_number_of_queries(client_for, expert_profile, django_assert_max_num_queries):
    for n in range(6):
        ExpertDocument.objects.create(
            expert=expert_profile, doc_type="license", title=f"L{n}", version=n + 1, file="l.pdf",
            content_type="application/pdf", size=1, sha256="0" * 64,
        )  # fmt: skip
    client = client_for(expert_profile.user)
    with django_assert_max_num_queries(8):
        body = client.get("/api/v1/experts/documents").json()
    assert body["count"] == 6
