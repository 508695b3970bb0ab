"""One tagged PDF of the whole report (``kawaeval build --pdf``): index, chapters, appendix.

The HTML pages already written are joined into one document (:mod:`kawaeval.report.combined`:
each page a section starting on a new page, links between pages made internal, ids kept
apart, the provenance last), laid out by WeasyPrint with the report's print styles, in the
Japanese font matplotlib-fontja ships (IPAexGothic), so a PC without Japanese system fonts
gives the same PDF. WeasyPrint is an optional extra (``kawaeval[pdf]``), imported only here and
only when a PDF is asked for.

The PDF is tagged as PDF/UA-1 asks, through WeasyPrint's ``pdf_variant``: a structure tree
with headings H1-H3, tables with TH, every chart a Figure with its alt text, the document
language (ja) and its title. No PDF/UA validator runs here, so it is called tagged, not
conformant (docs/accessibility.md). Any error WeasyPrint logs (an image without alt, a page
without a language, a resource it cannot load, a link to nowhere) fails the PDF. It has an
outline (one bookmark per page of the report, its sections below), searchable text, every
font embedded, and no clock time: its dates come from ``SOURCE_DATE_EPOCH`` when set, its file
identifier from its content, so two builds give the same bytes.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from kawaeval.common.files import replacing, source_datetime
from kawaeval.exceptions import OutputWriteError, PdfRenderError, PdfUnavailableError
from kawaeval.paths import TEMPLATES_DIR
from kawaeval.report.combined import edition_name, footer_text, joined_html, report_title

if TYPE_CHECKING:
    from kawaeval.evaluation.model import Assessment

__all__ = [
    "PDF_VARIANT",
    "check_available",
    "combined_html",
    "footer_text",
    "pdf_name",
    "report_title",
    "write_report_pdf",
]

STYLESHEETS = ("kawaeval.css", "print.css")
FONT_FAMILY = "kawaeval IPAexGothic"
PDF_VARIANT = "pdf/ua-1"
_DATA_URI = re.compile(r"data:([\w/+.-]+);base64,[A-Za-z0-9+/=]+")


def check_available() -> None:
    """Import WeasyPrint now, so that a missing one stops the build before any kernel runs.

    Raises
    ------
    PdfUnavailableError
        If WeasyPrint is not installed or cannot load Pango (exit code 2, with how to install).
    """
    _weasyprint()


def _weasyprint():
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: installed, but Pango's libraries missing
        raise PdfUnavailableError(f"{type(exc).__name__}: {exc}") from None
    return weasyprint


def font_path() -> Path:
    """The Japanese font file matplotlib-fontja ships (IPAexGothic), used for every PDF glyph."""
    import matplotlib_fontja

    return Path(matplotlib_fontja.get_font_ttf_path())


def pdf_name(assessment: Assessment) -> str:
    """The PDF's file name: plan, program and fiscal year, safe on Windows.

    e.g. ``川崎市国際施策推進プラン_第２期実行プログラム_FY2021.pdf``.
    """
    return edition_name(assessment, ".pdf")


def _css_string(text: str) -> str:
    """Text as a CSS string literal."""
    escaped = "".join(c if c.isprintable() and c not in '"\\' else f"\\{ord(c):x} " for c in text)
    return f'"{escaped}"'


def pdf_stylesheet(footer: str) -> str:
    """Styles only the PDF needs: the bundled font everywhere, the footer text, the outline and
    page numbers in the table of contents."""
    font = font_path().as_uri()
    return f"""
@font-face {{ font-family: "{FONT_FAMILY}"; src: url("{font}"); }}
html, body, body * {{ font-family: "{FONT_FAMILY}" !important; }}
@page {{ @bottom-left {{ content: {_css_string(footer)}; }} }}
h1, h2, h3, h4, h5, h6 {{ bookmark-level: none; }}
section.kawaeval-page {{ bookmark-level: 1; bookmark-label: attr(data-title); }}
section.kawaeval-page h2 {{ bookmark-level: 2; }}
section.kawaeval-provenance h2 {{ bookmark-level: none; }}
.kawaeval-appendix h3 {{ bookmark-level: 3; }}
.kawaeval-toc a::after {{ content: leader(".") target-counter(attr(href url), page); }}
"""


def combined_html(
    report_dir: Path, pages: Sequence[tuple[str, str]], title: str, footer: str
) -> str:
    """The report's pages as one HTML document for WeasyPrint, with the print styles.

    ``pages`` is (title, file name) in reading order, the index first
    (:func:`kawaeval.report.combined.joined_html`).
    """
    styles = "".join(
        (TEMPLATES_DIR / "kawaeval" / "static" / name).read_text(encoding="utf-8")
        for name in STYLESHEETS
    )
    return joined_html(report_dir, pages, title, f"{styles}\n{pdf_stylesheet(footer)}")


class _Errors(logging.Handler):
    """WeasyPrint's errors logged by this thread (the years of a build finish in threads)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:  # an inline image is named by its type, not its bytes
            self.messages.append(_DATA_URI.sub(r"data:\1;base64,…", record.getMessage()))


@contextmanager
def _weasyprint_errors() -> Iterator[list[str]]:
    """Collect the errors WeasyPrint logs (they fail the PDF); drop its warnings about every
    CSS property it does not print (JupyterLab's), so a build's output stays readable."""
    logger = logging.getLogger("weasyprint")
    level = logger.level
    errors = _Errors()
    logger.setLevel(logging.ERROR)
    logger.addHandler(errors)
    try:
        yield errors.messages
    finally:
        logger.removeHandler(errors)
        logger.setLevel(level)


def render_pdf(html: str, base_dir: Path, target: Path, author: str | None = None) -> Path:
    """Lay out one HTML document as a tagged PDF at ``target`` (written whole or not at all).

    Raises
    ------
    PdfUnavailableError
        If WeasyPrint or Pango is missing.
    PdfRenderError
        If WeasyPrint fails or logs an error (an image without alt text, a document without a
        language, a resource it cannot load); nothing is left half-written.
    """
    weasyprint = _weasyprint()
    try:
        with _weasyprint_errors() as errors, replacing(target) as (partial,):
            from weasyprint.text.fonts import FontConfiguration

            fonts = FontConfiguration()
            document = weasyprint.HTML(string=html, base_url=str(base_dir)).render(
                font_config=fonts
            )
            when = source_datetime()
            document.metadata.created = when
            document.metadata.modified = when
            document.metadata.authors = [author] if author else []
            document.write_pdf(
                partial, pdf_identifier=True, uncompressed_pdf=False, pdf_variant=PDF_VARIANT
            )
            if errors:  # raised inside: the target is left as it was
                raise PdfRenderError(target, "; ".join(dict.fromkeys(errors)))
    except (PdfRenderError, OutputWriteError):
        raise
    except Exception as exc:  # WeasyPrint raises many kinds; the user needs one message
        raise PdfRenderError(target, f"{type(exc).__name__}: {exc}") from exc
    return target


def write_report_pdf(
    report_dir: Path, chapters: Sequence[tuple[str, str]], assessment: Assessment
) -> Path:
    """Write the whole report as one PDF into ``report_dir`` (beside its HTML) and return it.

    ``chapters`` is (title, file name) of every chapter page in reading order; the index page
    (``index.html``) comes first, under the report's title.

    Raises
    ------
    PdfUnavailableError
        If WeasyPrint or Pango is missing.
    PdfRenderError
        If the PDF cannot be laid out or written (:func:`render_pdf`).
    """
    title = report_title(assessment)
    pages = [(title, "index.html"), *chapters]
    html = combined_html(report_dir, pages, title, footer_text(assessment))
    return render_pdf(html, report_dir, report_dir / pdf_name(assessment), assessment.plan.city)
