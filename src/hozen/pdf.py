"""PDF exports with Japanese fonts embedded (fpdf2, a subset of Noto Sans CJK JP): one
way for every register and report to become a PDF."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hozen.config import get_settings
from hozen.errors import DomainError


class PdfUnavailable(DomainError):
    code = "pdf-unavailable"
    status = 503


def _document(title: str, footer: str, created: datetime | None, orientation: str = "L"):
    """A new A4 document with the Japanese fonts embedded, its title and creation time."""
    from fpdf import FPDF

    settings = get_settings()
    if not settings.pdf_font.exists() or not settings.pdf_font_bold.exists():
        raise PdfUnavailable("the Japanese fonts for PDF are not installed "
                             "(Debian package fonts-noto-cjk, or set HOZEN_PDF_FONT)",
                             field="format")
    pdf = FPDF(orientation=orientation, format="A4")
    pdf.set_title(title)
    pdf.set_creator("hozen")
    for style, path in (("", settings.pdf_font), ("B", settings.pdf_font_bold)):
        pdf.add_font("NotoSansCJK", style, str(path), collection_font_number=0)
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("NotoSansCJK", "B", 14)
    pdf.cell(text=title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("NotoSansCJK", "", 8)
    stamp = (created or datetime.now().astimezone()).strftime("%Y-%m-%d %H:%M %Z")
    pdf.cell(text=stamp + (f"  {footer}" if footer else ""), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    return pdf


def _table(pdf, headers: list[str], rows: list[list[str]],
           widths: tuple[int, ...] | None) -> None:
    with pdf.table(col_widths=widths, repeat_headings=1, line_height=5,
                   text_align="LEFT") as table:
        head = table.row()
        for h in headers:
            head.cell(h)
        for values in rows:
            row = table.row()
            for v in values:
                row.cell(str(v))


def table_pdf(title: str, headers: list[str], rows: list[list[str]], *,
              footer: str = "", created: datetime | None = None,
              widths: tuple[int, ...] | None = None) -> bytes:
    """A landscape A4 document: a title, the creation time, and one table repeated
    across pages with its heading row."""
    pdf = _document(title, footer, created)
    _table(pdf, headers, rows, widths)
    return bytes(pdf.output())


@dataclass(frozen=True)
class Section:
    heading: str
    headers: list[str]
    rows: list[list[str]]
    image_png: bytes | None = None  # a chart drawn above the table
    note: str = ""


def sections_pdf(title: str, sections: list[Section], *, footer: str = "",
                 created: datetime | None = None) -> bytes:
    """A report of several headed tables, each optionally under its chart."""
    import io

    pdf = _document(title, footer, created)
    for section in sections:
        if pdf.will_page_break(60 if section.image_png else 20):
            pdf.add_page()
        pdf.set_font("NotoSansCJK", "B", 11)
        pdf.start_section(section.heading)
        pdf.cell(text=section.heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("NotoSansCJK", "", 8)
        if section.note:
            pdf.cell(text=section.note, new_x="LMARGIN", new_y="NEXT")
        if section.image_png:
            pdf.image(io.BytesIO(section.image_png), w=150)
        if section.rows:
            _table(pdf, section.headers, section.rows, None)
        else:
            pdf.cell(text="—", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
    return bytes(pdf.output())
