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


def test_demand_chart_shows_every_bucket_of_the_window():
    report = {"from": "2026-11-04T00:00:00+00:00", "to": "2026-11-25T00:00:00+00:00", "bucket": "week",
              "results": [{"bucket_start": "2026-11-09", "searches": 2, "rfqs": 0, "bookings": 0}]}  # fmt: skip
    labels = [t.text for t in ElementTree.fromstring(demand_chart_svg(report)).iter(f"{NS}text")]
    assert [x for x in labels if x and x[2:3] == "-"] == ["11-02", "11-09", "11-16", "11-23"]
    monthly = {**report, "bucket": "month", "from": "2026-10-15T00:00:00+00:00",
               "results": [{"bucket_start": "2026-11-01", "searches": 2, "rfqs": 0, "bookings": 0}]}  # fmt: skip
    labels = [t.text for t in ElementTree.fromstring(demand_chart_svg(monthly)).iter(f"{NS}text")]
    assert [x for x in labels if x and x[2:3] == "-"] == ["10-01", "11-01"]


def test_close_percentiles_share_one_label():
    report = {"currency": "USD", "public_experts": {"count": 3, "p10": "80.00", "p25": "81.00", "p50": "82.00",
              "p75": "83.00", "p90": "84.00"}, "booked_consultations": {"count": 1, "p10": "300.00", "p25": "300.00",
              "p50": "300.00", "p75": "300.00", "p90": "300.00"}}  # fmt: skip
    svg = pricing_chart_svg(report)
    assert "p10 80.00 to p90 84.00" in svg
    assert "p10 300.00" not in svg and "median 300.00" in svg
