from xml.etree import ElementTree

import pytest

from accounts.tests.factories import UserFactory
from backoffice.tests.kpi_market import recent_market

pytestmark = pytest.mark.django_db
NS = "{http://www.w3.org/2000/svg}"


def _svgs(html: str) -> dict[str, ElementTree.Element]:
    found = {}
    for chart in ("demand", "pricing", "gaps"):
        start = html.index(f'id="chart-{chart}"')
        svg = html[html.index("<svg", start) : html.index("</svg>", start) + len("</svg>")]
        found[chart] = ElementTree.fromstring(svg)
    return found


def _tips(svg: ElementTree.Element) -> list[str]:
    return [t.text or "" for r in svg.iter(f"{NS}rect") if (t := r.find(f"{NS}title")) is not None]


def test_support_staff_see_demand_pricing_and_gap_charts(client, staff_for):
    recent_market()
    client.force_login(staff_for("support"))
    response = client.get("/admin/kpi/")
    assert response.status_code == 200
    svgs = _svgs(response.content.decode())
    demand = _tips(svgs["demand"])
    assert any(t.endswith(": 1 bookings") for t in demand)
    assert any(t.endswith(": 2 rfqs") for t in demand)  # one RFQ naming two specializations
    assert sum(int(t.split(": ")[1].split()[0]) for t in demand if t.endswith("searches")) == 8
    pricing = "".join(svgs["pricing"].itertext())
    assert "Public experts (3)" in pricing and "Booked (1)" in pricing and "median 162.00" in pricing
    gaps = _tips(svgs["gaps"])
    assert gaps[0].startswith("Dairy: 3 per expert (3 / 0 experts)")  # no supply: first, in red
    assert gaps[1].startswith("Food Safety & HACCP: 2.33 per expert (7 / 3 experts)")


def test_staff_without_the_support_area_see_no_market_charts(client, staff_for):
    recent_market()
    client.force_login(staff_for("finance"))
    response = client.get("/admin/kpi/")
    assert response.status_code == 200
    assert b"market-charts" not in response.content and b"chart-demand" not in response.content
    assert b"shown to staff with the support area" in response.content
    client.force_login(UserFactory(role="agent"))
    assert client.get("/admin/kpi/").status_code == 302
