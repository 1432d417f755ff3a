"""Server-rendered SVG charts of the analytics (no JavaScript, no chart library):
what the staff KPI page embeds. Every text is escaped; sizes are fixed so the page
lays out before anything loads."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from html import escape
from typing import Any

WIDTH, HEIGHT = 640, 240
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 48, 16, 28, 40
SERIES = (("searches", "Searches", "#2f6fb0"), ("rfqs", "RFQs", "#e08a1e"), ("bookings", "Bookings", "#2e9d5b"))


def _frame(title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="11">'
        f"<title>{escape(title)}</title>"
        f'<text x="{PAD_LEFT}" y="16" font-size="13" font-weight="bold">{escape(title)}</text>'
        + "".join(body)
        + "</svg>"
    )


def _all_buckets(report: dict[str, Any]) -> list[str]:
    """Every bucket start between the report's ``from`` and ``to`` (weeks start on
    Monday, months on the 1st, as the report's truncation does)."""
    try:
        start = date.fromisoformat(str(report["from"])[:10])
        end = date.fromisoformat(str(report["to"])[:10])
    except (KeyError, ValueError):
        return []
    out: list[str] = []
    if report.get("bucket") == "month":
        day = start.replace(day=1)
        while day <= end and len(out) < 120:
            out.append(day.isoformat())
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        return out
    day = start - timedelta(days=start.weekday())
    while day <= end and len(out) < 200:
        out.append(day.isoformat())
        day += timedelta(days=7)
    return out


def demand_chart_svg(report: dict[str, Any], *, title: str = "Demand per week") -> str:
    """Grouped bars per bucket (searches, RFQs, bookings summed over specializations)."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: {key: 0 for key, _, _ in SERIES})
    for row in report.get("results", []):
        for key, _, _ in SERIES:
            totals[row["bucket_start"]][key] += int(row.get(key) or 0)
    buckets = sorted(set(totals) | set(_all_buckets(report)))  # weeks without demand show as gaps
    if not totals:
        return _frame(title, [f'<text x="{PAD_LEFT}" y="{HEIGHT // 2}">No demand recorded in this period.</text>'])
    peak = max(max(values.values()) for values in totals.values()) or 1
    plot_w, plot_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM
    group_w = plot_w / len(buckets)
    bar_w = max(1.0, group_w * 0.8 / len(SERIES))
    base_y = PAD_TOP + plot_h
    body = [
        f'<line x1="{PAD_LEFT}" y1="{base_y}" x2="{WIDTH - PAD_RIGHT}" y2="{base_y}" stroke="#999"/>',
        f'<text x="{PAD_LEFT - 6}" y="{PAD_TOP + 4}" text-anchor="end">{peak}</text>',
        f'<text x="{PAD_LEFT - 6}" y="{base_y}" text-anchor="end">0</text>',
    ]
    for i, bucket in enumerate(buckets):
        x0 = PAD_LEFT + i * group_w + group_w * 0.1
        for j, (key, label, colour) in enumerate(SERIES):
            value = totals[bucket][key]
            h = plot_h * value / peak
            body.append(
                f'<rect x="{x0 + j * bar_w:.1f}" y="{base_y - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{escape(bucket)}: {value} {escape(label.lower())}</title></rect>'
            )
        if len(buckets) <= 16 or i % max(1, len(buckets) // 8) == 0:
            body.append(
                f'<text x="{x0 + group_w * 0.4:.1f}" y="{base_y + 14}" text-anchor="middle">{escape(bucket[5:])}</text>'
            )
    for j, (_, label, colour) in enumerate(SERIES):
        lx = PAD_LEFT + j * 90
        body.append(f'<rect x="{lx}" y="{HEIGHT - 14}" width="10" height="10" fill="{colour}"/>')
        body.append(f'<text x="{lx + 14}" y="{HEIGHT - 5}">{escape(label)}</text>')
    return _frame(title, body)


def pricing_chart_svg(report: dict[str, Any], *, title: str = "Hourly rates (p10 to p90)") -> str:
    """One box per population (public experts, booked consultations): the p10-p90 range,
    the p25-p75 box and the median."""
    rows = [(label, report.get(key) or {}) for key, label in (("public_experts", "Public experts"),
                                                               ("booked_consultations", "Booked"))]  # fmt: skip
    known = [r for r in rows if r[1].get("p90") is not None]
    currency = escape(str(report.get("currency", "")))
    if not known:
        return _frame(title, [f'<text x="{PAD_LEFT}" y="{HEIGHT // 2}">No rates to show.</text>'])
    top = max(Decimal(r[1]["p90"]) for r in known) or Decimal(1)
    left, plot_w = 130, WIDTH - 130 - PAD_RIGHT

    def x(value: str) -> float:
        return left + float(Decimal(value) / top) * plot_w

    body = [f'<text x="{WIDTH - PAD_RIGHT}" y="16" text-anchor="end">{currency}</text>']
    for i, (label, data) in enumerate(rows):
        y = PAD_TOP + 30 + i * 70
        body.append(f'<text x="8" y="{y + 4}">{escape(label)} ({int(data.get("count") or 0)})</text>')
        if data.get("p90") is None:
            body.append(f'<text x="{left}" y="{y + 4}" fill="#777">no data</text>')
            continue
        body += [
            f'<line x1="{x(data["p10"]):.1f}" y1="{y}" x2="{x(data["p90"]):.1f}" y2="{y}" stroke="#555"/>',
            f'<rect x="{x(data["p25"]):.1f}" y="{y - 12}" width="{x(data["p75"]) - x(data["p25"]):.1f}" height="24" '
            f'fill="#cfe0f3" stroke="#2f6fb0"/>',
            f'<line x1="{x(data["p50"]):.1f}" y1="{y - 12}" x2="{x(data["p50"]):.1f}" y2="{y + 12}" '
            f'stroke="#17406b" stroke-width="2"/>',
            f'<text x="{x(data["p50"]):.1f}" y="{y + 26}" text-anchor="middle">median {escape(data["p50"])}</text>',
        ]
        if data["p10"] != data["p90"]:  # one rate (or all equal): the median says it all
            x10, x90 = x(data["p10"]), x(data["p90"])
            if x90 - x10 >= 160:
                body += [
                    f'<text x="{x10:.1f}" y="{y - 16}" text-anchor="start">p10 {escape(data["p10"])}</text>',
                    f'<text x="{x90:.1f}" y="{y - 16}" text-anchor="end">p90 {escape(data["p90"])}</text>',
                ]
            else:  # too close for two labels: one, kept inside the plot
                mid = min(max((x10 + x90) / 2, left + 90), WIDTH - PAD_RIGHT - 90)
                body.append(
                    f'<text x="{mid:.1f}" y="{y - 16}" text-anchor="middle">'
                    f"p10 {escape(data['p10'])} to p90 {escape(data['p90'])}</text>"
                )
    return _frame(title, body)


def gaps_chart_svg(report: dict[str, Any], *, title: str = "Supply gaps: demand per expert", top: int = 10) -> str:
    """Horizontal bars of the ``top`` ranked gaps; specializations with demand and no
    expert at all are drawn in red (their bar is their whole demand)."""
    rows = list(report.get("results", []))[:top]
    if not rows:
        return _frame(title, [f'<text x="{PAD_LEFT}" y="{HEIGHT // 2}">No demand recorded in this period.</text>'])
    left, right_label = 190, 150
    plot_w = WIDTH - left - right_label
    row_h = (HEIGHT - PAD_TOP - 8) / top
    peak = max(float(r["demand_per_expert"]) for r in rows) or 1.0
    body: list[str] = []
    for i, row in enumerate(rows):
        y = PAD_TOP + i * row_h
        name = (row.get("specialization") or {}).get("name") or "Unspecified"
        value = float(row["demand_per_expert"])
        w = plot_w * value / peak
        colour = "#c0392b" if row.get("no_supply") else "#2f6fb0"
        label = f"{row['demand']} / {row['available_experts']} expert{'s' if row['available_experts'] != 1 else ''}"
        body += [
            f'<text x="{left - 6}" y="{y + row_h * 0.7:.1f}" text-anchor="end">{escape(str(name)[:32])}</text>',
            f'<rect x="{left}" y="{y + 2:.1f}" width="{max(w, 1.0):.1f}" height="{row_h - 4:.1f}" fill="{colour}">'
            f"<title>{escape(str(name))}: {value:g} per expert ({escape(label)})</title></rect>",
            f'<text x="{left + max(w, 1.0) + 4:.1f}" y="{y + row_h * 0.7:.1f}">{value:g} ({escape(label)})</text>',
        ]
    return _frame(title, body)
