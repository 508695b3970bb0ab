"""One PDF of the whole report (``kawaeval build --pdf``): index, chapters and appendix.

The HTML pages already written are joined into one document (each page a section starting on
a new page, links between pages made internal, ids kept apart), laid out by WeasyPrint with
the report's print styles, in the Japanese font matplotlib-fontja ships (IPAexGothic), so a
PC without Japanese system fonts gives the same PDF. WeasyPrint is an optional extra
(``kawaeval[pdf]``), imported only here and only when a PDF is asked for.

The PDF has an outline (one bookmark per page of the report, its sections below), searchable
text, every font embedded, and no clock time: its dates come from ``SOURCE_DATE_EPOCH`` when
set, its file identifier from its content, so two builds give the same bytes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

from kawaeval.common.files import replacing, source_datetime
from kawaeval.common.text import era_year, safe_file_name
from kawaeval.evaluation.model import Assessment
from kawaeval.exceptions import PdfRenderError, PdfUnavailableError
from kawaeval.paths import TEMPLATES_DIR
from kawaeval.report.rendering import HTML_ONLY
from kawaeval.report.wording import evaluation_label, report_title
from kawaeval.version import __version__

STYLESHEETS = ("kawaeval.css", "print.css")
FONT_FAMILY = "kawaeval IPAexGothic"
# Characters Windows refuses in a file name, and control characters.


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
    plan = assessment.plan
    parts = [safe_file_name(p).strip("._") for p in (plan.name, plan.program)]
    # always ends in _FY<year>, so never one of Windows' reserved names (CON, NUL...)
    return "_".join([*(p for p in parts if p), f"FY{assessment.fiscal_year}"]) + ".pdf"


def footer_text(assessment: Assessment) -> str:
    """The plan, program, year and evaluation kind printed at the foot of every PDF page."""
    plan = assessment.plan
    return (
        f"{plan.name} {plan.program} {era_year(assessment.fiscal_year)}"
        f" {evaluation_label(assessment)}"
    )


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
.kawaeval-appendix h3 {{ bookmark-level: 3; }}
.kawaeval-toc a::after {{ content: leader(".") target-counter(attr(href url), page); }}
"""


def _page_id(href: str) -> str:
    return Path(href).stem


def combined_html(
    report_dir: Path, pages: Sequence[tuple[str, str]], title: str, footer: str
) -> str:
    """The report's pages as one HTML document, for WeasyPrint.

    ``pages`` is (title, file name) in reading order, the index first. Ids become
    ``<page>--<id>``, links between pages become ``#<page>`` / ``#<page>--<id>``; links to
    anything else (data files) are removed, so no folder of this PC ends up in the PDF.
    """
    import xml.etree.ElementTree as ET

    import tinyhtml5
    from markupsafe import escape

    names = {href: _page_id(href) for _, href in pages}
    sections = []
    for page_title, href in pages:
        page = _page_id(href)
        tree = tinyhtml5.parse(
            (report_dir / href).read_text(encoding="utf-8"), namespace_html_elements=False
        )
        main = tree.find(".//main")
        if main is None:
            main = tree.find("body")
        _drop_html_only(main)
        for element in main.iter():
            if "id" in element.attrib:
                element.attrib["id"] = f"{page}--{element.attrib['id']}"
            if element.tag == "a" and "href" in element.attrib:
                target = _internal_target(element.attrib["href"], page, names)
                if target is None:
                    del element.attrib["href"]
                else:
                    element.attrib["href"] = target
        main.tag = "section"
        main.attrib.update(
            {
                "class": " ".join(filter(None, ["kawaeval-page", main.attrib.get("class")])),
                "id": page,
                "data-title": page_title,
            }
        )
        sections.append(ET.tostring(main, encoding="unicode", method="html"))
    styles = "".join(
        (TEMPLATES_DIR / "kawaeval" / "static" / name).read_text(encoding="utf-8")
        for name in STYLESHEETS
    )
    return (
        '<!DOCTYPE html>\n<html lang="ja">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n"
        f'<meta name="generator" content="kawaeval {escape(__version__)}">\n'
        f"<style>\n{styles}\n{pdf_stylesheet(footer)}</style>\n</head>\n<body>\n"
        + "\n".join(sections)
        + "\n</body>\n</html>\n"
    )


def _drop_html_only(main) -> None:
    """Remove what belongs to the HTML report only (the change record's section)."""
    for parent in list(main.iter()):
        for child in list(parent):
            if HTML_ONLY in child.attrib.get("class", "").split():
                parent.remove(child)


def _internal_target(href: str, page: str, names: dict[str, str]) -> str | None:
    """Where a link of ``page`` points inside the combined document, None when outside it."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        return href if parts.scheme in {"http", "https", "mailto"} else None
    path = unquote(parts.path)
    if path == "":
        target = page
    elif path in names:
        target = names[path]
    else:
        return None
    return f"#{target}--{parts.fragment}" if parts.fragment else f"#{target}"


@contextmanager
def _quiet_weasyprint():
    """WeasyPrint warns about every CSS property it does not print (JupyterLab's); keep its
    errors only, so a build's output stays readable."""
    logger = logging.getLogger("weasyprint")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


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
        If the PDF cannot be laid out or written (nothing is left half-written).
    """
    weasyprint = _weasyprint()
    target = report_dir / pdf_name(assessment)
    title = report_title(assessment)
    pages = [(title, "index.html"), *chapters]
    html = combined_html(report_dir, pages, title, footer_text(assessment))
    try:
        with _quiet_weasyprint(), replacing(target) as (partial,):
            from weasyprint.text.fonts import FontConfiguration

            fonts = FontConfiguration()
            document = weasyprint.HTML(string=html, base_url=str(report_dir)).render(
                font_config=fonts
            )
            when = source_datetime()
            document.metadata.created = when
            document.metadata.modified = when
            document.metadata.authors = [a for a in [assessment.plan.city] if a]
            document.write_pdf(partial, pdf_identifier=True, uncompressed_pdf=False)
    except Exception as exc:  # WeasyPrint raises many kinds; the user needs one message
        raise PdfRenderError(target, f"{type(exc).__name__}: {exc}") from exc
    return target
