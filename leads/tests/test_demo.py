import io

import pytest

from commissions.models import Deal
from leads import demo
from leads.models import Lead, MessageTemplate, NurtureSequence


@pytest.mark.django_db
def test_demo_seed_is_idempotent():
    demo.seed(stdout=io.StringIO())
    counts = (
        Lead.objects.count(),
        Deal.objects.count(),
        MessageTemplate.objects.count(),
        NurtureSequence.objects.count(),
    )
    out = io.StringIO()
    demo.seed(stdout=out)

    assert counts == (len(demo.LEADS), 1, len(demo.TEMPLATES), 1)
    assert (Lead.objects.count(), Deal.objects.count(), MessageTemplate.objects.count()) == counts[:3]
    assert "0 demo lead(s) created" in out.getvalue()
    assert Lead.objects.filter(specialization__isnull=True).count() == 0
    assert set(Lead.objects.values_list("status", flat=True)) == {
        "new",
        "contacted",
        "qualified",
        "proposal",
        "won",
        "lost",
    }
    for template in MessageTemplate.objects.all():
        template.full_clean()
