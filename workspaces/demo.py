"""Demo workspace for ``seed_demo``: the demo client and the demo expert talk about an
upcoming consultation, through the real services (contact-detail rule, versions, files).

The conversation starts before the booking is paid (``open_conversation``, called by the
consultations demo while its booking is still uncommitted): the expert's phone number is
flagged there. ``seed`` continues it after the payment: files, a second version, replies.
Idempotent: a conversation that already has messages is left alone."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from PIL import Image, ImageDraw

from workspaces import services
from workspaces.models import Workspace

DEMO_CLIENT = "client@demo.foodxchange.local"
DEMO_EXPERT = "expert@demo.foodxchange.local"


def _pdf(title: str, lines: list[str]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    page.setFont("Helvetica-Bold", 16)
    page.drawString(72, 770, title)
    page.setFont("Helvetica", 11)
    for index, line in enumerate(lines):
        page.drawString(72, 740 - 18 * index, line)
    page.save()
    return out.getvalue()


def _png() -> bytes:
    image = Image.new("RGB", (480, 200), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 470, 190), outline="black", width=3)
    draw.text((30, 40), "GREEK YOGHURT 500 g", fill="black")
    draw.text((30, 80), "Ingredients: pasteurised MILK, live cultures", fill="black")
    draw.text((30, 120), "Keep refrigerated 0-5 C. Use by: see lid", fill="black")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _xlsx(rows: list[list[Any]]) -> bytes:
    """A minimal, valid XLSX workbook (inline strings), written without extra packages."""

    def cell(ref: str, value: Any) -> str:
        if isinstance(value, int | float):
            return f'<c r="{ref}"><v>{value}</v></c>'
        return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'

    sheet_rows = "".join(
        f'<row r="{r + 1}">' + "".join(cell(f"{chr(65 + c)}{r + 1}", v) for c, v in enumerate(row)) + "</row>"
        for r, row in enumerate(rows)
    )
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{rel}">'
            '<sheets><sheet name="CCP log" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}"><sheetData>{sheet_rows}</sheetData>'
            "</worksheet>"
        ),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


def _file(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def demo_workspace() -> Workspace | None:
    """The consultation workspace of the demo client with the demo expert (newest)."""
    return (
        Workspace.objects.filter(kind=Workspace.Kind.CONSULTATION)
        .filter(Q(client__email=DEMO_CLIENT) & Q(expert__email=DEMO_EXPERT))
        .order_by("-id")
        .first()
    )


def open_conversation(*, workspace: Workspace) -> int:
    """The first messages, before any payment (the phone number is flagged then)."""
    if workspace.messages.exists():
        return 0
    client, expert = workspace.client, workspace.expert
    services.post_message(
        workspace=workspace,
        sender=client,
        body="Hi Eli, we are launching a Greek yoghurt line and need our HACCP plan and label checked "
        "before the retailer audit next month.",
    )
    services.post_message(
        workspace=workspace,
        sender=expert,
        body="Happy to help. If it is easier, call me on +44 20 7946 0958 and we can go through it.",
    )
    return 2


def seed(*, stdout, **options: Any) -> None:
    workspace = demo_workspace()
    if workspace is None:
        stdout.write("workspaces: no demo consultation workspace, nothing to seed")
        return
    if workspace.messages.count() > 2:
        stdout.write(f"workspaces: demo workspace #{workspace.pk} already seeded")
        return
    open_conversation(workspace=workspace)
    client, expert = workspace.client, workspace.expert
    plan_v1 = _pdf(
        "HACCP plan - Greek yoghurt (draft 1)",
        ["CCP 1: Pasteurisation 72 C / 15 s", "CCP 2: Cooling to 5 C within 4 h", "CCP 3: Metal detection"],
    )
    services.post_message(
        workspace=workspace,
        sender=client,
        body="Here is our current plan, the label artwork and last week's CCP log.",
        files=[
            _file("HACCP plan.pdf", plan_v1),
            _file("Label front.png", _png()),
            _file(
                "CCP log week 47.xlsx", _xlsx([["Date", "CCP", "Reading", "OK"], ["2026-11-23", "CCP 1", 72.4, "yes"]])
            ),
        ],
    )
    services.post_message(
        workspace=workspace,
        sender=expert,
        body="Thanks. Two points: CCP 2 needs a corrective action for cooling deviations, and 'MILK' "
        "must be emphasised in the ingredients list (EU 1169/2011 art. 21). I'll mark up the plan.",
    )
    plan_v2 = _pdf(
        "HACCP plan - Greek yoghurt (draft 2, reviewed)",
        [
            "CCP 1: Pasteurisation 72 C / 15 s - verified by chart recorder",
            "CCP 2: Cooling to 5 C within 4 h - deviation: hold and re-test",
            "CCP 3: Metal detection - Fe 1.5 mm, non-Fe 2.0 mm, SS 2.5 mm",
        ],
    )
    services.post_message(
        workspace=workspace,
        sender=expert,
        body="Reviewed plan attached (same file name, so it shows as version 2).",
        files=[
            _file("HACCP plan.pdf", plan_v2),
            _file(
                "findings.csv",
                b"area,finding,severity\nCCP 2,No corrective action,major\nLabel,Allergen emphasis,minor\n",
            ),
        ],
    )
    services.post_message(workspace=workspace, sender=client, body="Perfect, see you on the call.")
    stdout.write(
        f"workspaces: demo workspace #{workspace.pk} with {workspace.messages.count()} messages "
        f"({workspace.messages.filter(contact_warning=True).count()} flagged), "
        f"{workspace.attachments.count()} files"
    )
