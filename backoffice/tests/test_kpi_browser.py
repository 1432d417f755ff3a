"""The KPI page's charts in a real browser (Playwright driving the system chromium):
staff log in through the admin form, the three SVG charts lay out at their size, and a
screenshot of each shows its bars in their colours. Screenshots land in
``KPI_SCREENSHOT_DIR`` when set (to look at them), else in the test's temporary folder."""

import os
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image

from accounts.tests.factories import UserFactory
from backoffice.tests.kpi_market import recent_market
from conftest import CHROMIUM_PATH

# Transactional (the live server reads the data from another thread): it runs after the
# other tests, and may follow one whose flush dropped the seeded catalogues, so the data it
# needs is made here (kpi_market creates its specializations if they are gone).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BLUE, ORANGE, GREEN, RED = (0x2F, 0x6F, 0xB0), (0xE0, 0x8A, 0x1E), (0x2E, 0x9D, 0x5B), (0xC0, 0x39, 0x2B)


def _pixels_near(png: bytes, colour: tuple[int, int, int], tolerance: int = 12) -> int:
    image = Image.open(BytesIO(png)).convert("RGB")
    colours = image.getcolors(maxcolors=image.width * image.height) or []
    return sum(
        count
        for count, (r, g, b) in colours
        if max(abs(r - colour[0]), abs(g - colour[1]), abs(b - colour[2])) <= tolerance
    )


def test_the_kpi_charts_render_in_chromium(live_server, tmp_path):
    from playwright.sync_api import sync_playwright

    recent_market()
    # A superuser holds every staff area (the charts need the support area).
    staff = UserFactory(role="admin", is_staff=True, is_superuser=True, email="ops@example.com")
    staff.set_password("a long enough passphrase")
    staff.save()
    shots = Path(os.environ.get("KPI_SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM_PATH, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(f"{live_server.url}/admin/login/?next=/admin/kpi/")
            page.fill("#id_username", "ops@example.com")
            page.fill("#id_password", "a long enough passphrase")
            page.click("input[type=submit]")
            page.wait_for_url("**/admin/kpi/")
            page.wait_for_selector("#chart-gaps svg")
            page.screenshot(path=str(shots / "kpi-page.png"), full_page=True)
            found = {}
            for chart in ("demand", "pricing", "gaps"):
                svg = page.locator(f"#chart-{chart} svg")
                box = svg.bounding_box()
                assert box is not None and box["width"] >= 600 and box["height"] >= 200, (chart, box)
                png = svg.screenshot(path=str(shots / f"kpi-{chart}.png"))
                found[chart] = png
            title = page.locator("#chart-demand svg > title").text_content()
        finally:
            browser.close()

    assert title and title.startswith("Demand per week")
    # Each chart drew its marks: a blank, broken or unstyled SVG has none of these colours.
    for colour in (BLUE, ORANGE, GREEN):
        assert _pixels_near(found["demand"], colour) > 50, colour
    assert _pixels_near(found["pricing"], (0xCF, 0xE0, 0xF3)) > 200  # the p25-p75 boxes
    assert _pixels_near(found["gaps"], RED) > 200 and _pixels_near(found["gaps"], BLUE) > 200
