from xml.etree import ElementTree

from intelligence.charts import demand_chart_svg, pricing_chart_svg

NS = "{http://www.w3.org/2000/svg}"


def test_demand_chart_bars_scale_to_the_peak():
    report = {"results": [
        {"bucket_start": "2026-11-02", "searches": 10, "rfqs": 5, "bookings": 0},
        {"bucket_start": "2026-11-02", "searches": 10, "rfqs": 0, "bookings": 1},
        {"bucket_start": "2026-11-09", "searches": 4, "rfqs": 0, "bookings": 0},
    ]}  # fmt: skip
    svg = ElementTree.fromstring(demand_chart_svg(report))
    bars = [r for r in svg.iter(f"{NS}rect") if r.find(f"{NS}title") is not None]
    heights = {r.find(f"{NS}title").text: float(r.get("height")) for r in bars}
    assert heights["2026-11-02: 20 searches"] == 172.0  # the peak fills the plot
    assert heights["2026-11-09: 4 searches"] == round(172.0 * 4 / 20, 1)
    assert heights["2026-11-02: 5 rfqs"] == 43.0


def test_charts_escape_and_handle_empty_reports():
    assert "No demand" in demand_chart_svg({"results": []}, title="<b>")
    assert "&lt;b&gt;" in demand_chart_svg({"results": []}, title="<b>")
    assert "No rates" in pricing_chart_svg({"public_experts": {"count": 0, "p90": None}})


def test_pricing_chart_marks_the_median():
    report = {"currency": "USD", "public_experts": {"count": 4, "p10": "76.90", "p25": "91.75", "p50": "104.00",
              "p75": "131.00", "p90": "172.40"}, "booked_consultations": {"count": 0, "p90": None}}  # fmt: skip
    svg = pricing_chart_svg(report)
    ElementTree.fromstring(svg)
    assert "median 104.00" in svg and "no data" in svg
