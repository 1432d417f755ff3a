"""The PDF rendering of an invoice (reportlab)."""

from io import BytesIO

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from consultations.models import Invoice
from foodxchange.money import round_money


def invoice_pdf(invoice: Invoice) -> bytes:
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(f"Invoice {invoice.number}")
    width, height = A4
    y = height - 25 * mm
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(20 * mm, y, f"Invoice {invoice.number}")
    pdf.setFont("Helvetica", 10)
    y -= 8 * mm
    pdf.drawString(20 * mm, y, f"Issued {invoice.issued_at:%Y-%m-%d} · currency {invoice.currency}")
    y -= 12 * mm
    seller, buyer = invoice.seller, invoice.buyer
    pdf.drawString(20 * mm, y, f"Seller: {seller.get('name', '')} on behalf of {seller.get('on_behalf_of', '')}")
    y -= 6 * mm
    pdf.drawString(20 * mm, y, f"Buyer: {buyer.get('name', '')} <{buyer.get('email', '')}>")
    y -= 12 * mm
    pdf.setFont("Helvetica-Bold", 10)
    pdf.drawString(20 * mm, y, "Description")
    pdf.drawRightString(width - 20 * mm, y, "Amount")
    pdf.setFont("Helvetica", 10)
    for line in invoice.lines:
        y -= 7 * mm
        pdf.drawString(20 * mm, y, str(line.get("description", ""))[:90])
        pdf.drawRightString(width - 20 * mm, y, f"{line.get('amount')} {invoice.currency}")
    y -= 12 * mm
    fee = round_money(invoice.platform_fee, invoice.currency)
    total = round_money(invoice.total, invoice.currency)
    pdf.drawString(20 * mm, y, "of which platform fee")
    pdf.drawRightString(width - 20 * mm, y, f"{fee} {invoice.currency}")
    y -= 7 * mm
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawString(20 * mm, y, "Total paid")
    pdf.drawRightString(width - 20 * mm, y, f"{total} {invoice.currency}")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
