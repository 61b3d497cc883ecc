"""Sample documents for the demo (and the tests): real, well-formed files, as the upload check requires."""

from __future__ import annotations

import io


def sample_pdf(title: str = "Rongcuo demo document") -> bytes:
    """A one-page PDF with `title` on it (ASCII; a sample, not a letter)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4, invariant=True)  # invariant: the same bytes every time
    page.setTitle(title)
    page.drawString(72, 770, title)
    page.showPage()
    page.save()
    return out.getvalue()
