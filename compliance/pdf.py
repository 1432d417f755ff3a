"""A certificate as a one-page PDF (reportlab) with a QR code of its verify URL."""

from __future__ import annotations

import io

import qrcode
from django.conf import settings
from django.urls import reverse
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from compliance.models import Certificate


def verify_url(certificate: Certificate) -> str:
    return settings.PUBLIC_BASE_URL + reverse("compliance-certificate-verify", args=[certificate.pk])


def _draw_qr(pdf: canvas.Canvas, text: str, x: float, y: float, size: float) -> None:
    """Draws the QR matrix as filled squares: vector, sharp at any zoom, no image codec."""
    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text)
    code.make(fit=True)
    matrix = code.get_matrix()
    cell = size / len(matrix)
    for row_index, row in enumerate(matrix):
        for col_index, dark in enumerate(row):
            if dark:
                pdf.rect(x + col_index * cell, y + size - (row_index + 1) * cell, cell, cell, stroke=0, fill=1)


def render_certificate_pdf(certificate: Certificate) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(certificate.title)
    pdf.setAuthor("FoodXchange")
    width, height = A4
    url = verify_url(certificate)
    pdf.setFont("Helvetica-Bold", 22)
    pdf.drawCentredString(width / 2, height - 40 * mm, "FoodXchange certificate")
    pdf.setFont("Helvetica", 14)
    pdf.drawCentredString(width / 2, height - 52 * mm, certificate.get_kind_display())
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawCentredString(width / 2, height - 70 * mm, certificate.title[:80])
    y = height - 90 * mm
    pdf.setFont("Helvetica", 11)
    lines = [
        ("Certificate id", str(certificate.pk)),
        ("Subject", certificate.subject),
        ("Issued (UTC)", certificate.issued_at.strftime("%Y-%m-%d %H:%M")),
        ("Expires (UTC)", certificate.expires_at.strftime("%Y-%m-%d %H:%M") if certificate.expires_at else "—"),
        ("Ledger entry", f"#{certificate.ledger_entry.seq}"),
        ("Document hash", certificate.document_hash),
    ]
    for key, value in sorted(certificate.details.items()):
        if isinstance(value, str | int) and not isinstance(value, bool) and value != "":
            lines.append((key.replace("_", " ").capitalize(), str(value)))
    for label, value in lines:
        pdf.drawString(25 * mm, y, f"{label}:")
        pdf.drawString(65 * mm, y, value[:90])
        y -= 7 * mm
    if certificate.revoked:
        pdf.setFont("Helvetica-Bold", 28)
        pdf.setFillColorRGB(0.75, 0, 0)
        pdf.drawCentredString(width / 2, y - 10 * mm, "REVOKED")
        pdf.setFillColorRGB(0, 0, 0)
    _draw_qr(pdf, url, width / 2 - 25 * mm, 45 * mm, 50 * mm)
    pdf.setFont("Helvetica", 8)
    pdf.drawCentredString(width / 2, 38 * mm, "Scan to verify, or open:")
    pdf.drawCentredString(width / 2, 33 * mm, url)
    pdf.drawCentredString(
        width / 2, 25 * mm, "Each certificate is attested by a signed, hash-chained ledger entry (Ed25519, SHA-256)."
    )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
