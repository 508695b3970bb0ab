"""The Word edition (``kawaeval build --docx``): the whole report as one .docx, for comments.

The HTML pages already written are joined into one document (:mod:`kawaeval.report.combined`:
index, chapters, appendix, the provenance last, links between pages made internal) and
converted by pandoc, the binary inside ``pypandoc_binary`` (an optional extra,
``kawaeval[docx]``), with the bundled reference document ``templates/docx/reference.docx``
(A4, Japanese fonts, 章 and 節 heading styles, page numbers; made by
``scripts/make_reference_docx.py``). pandoc repeats each table's header row on every page,
gives every chart its alt text as Word's description, and turns the links between pages into
links to bookmarks.

No clock time goes into the file: pandoc dates ``docProps/core.xml`` and every zip entry from
``SOURCE_DATE_EPOCH``, which it is given as set, or else as the fixed time ``tables.xlsx``
carries (2000-01-01), so two builds give the same bytes.
"""

from __future__ import annotations

import calendar
import os
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kawaeval.common.files import replacing, source_date_epoch
from kawaeval.common.text import display_width
from kawaeval.exceptions import DocxRenderError, DocxUnavailableError, OutputWriteError
from kawaeval.paths import TEMPLATES_DIR
from kawaeval.report.combined import edition_name, joined_sections, report_title

if TYPE_CHECKING:
    from kawaeval.evaluation.model import Assessment

REFERENCE_DOCX = TEMPLATES_DIR / "docx" / "reference.docx"
FIXED_EPOCH = calendar.timegm(datetime(2000, 1, 1).timetuple())
"""The document date when SOURCE_DATE_EPOCH is not set: the one tables.xlsx carries
(kawaeval.common.spreadsheet.FIXED_TIME, not imported here: it would bring pandas)."""
# Parts of the pages that are for the browser only (the PDF hides them with print styles).
_BROWSER_ONLY = ("nav", "kawaeval-nav")


def pandoc_path() -> str:
    """The pandoc binary that ``pypandoc_binary`` installs (or pypandoc finds).

    Raises
    ------
    DocxUnavailableError
        If pypandoc is not installed or finds no pandoc (exit code 2, with how to install).
    """
    try:
        import pypandoc
    except ImportError as exc:
        raise DocxUnavailableError(f"{type(exc).__name__}: {exc}") from None
    try:
        return pypandoc.get_pandoc_path()
    except OSError as exc:
        raise DocxUnavailableError(f"{type(exc).__name__}: {exc}") from None


def check_available() -> None:
    """Find pandoc now, so that a missing one stops the build before any kernel runs."""
    pandoc_path()


def docx_name(assessment: Assessment) -> str:
    """The Word file's name: ``川崎市国際施策推進プラン_第２期実行プログラム_FY2021.docx``."""
    return edition_name(assessment, ".docx")


def docx_html(report_dir: Path, pages: Sequence[tuple[str, str]], title: str) -> str:
    """The joined pages as pandoc reads them: no navigation, the index's heading left to the
    document's title, column widths from the contents."""
    sections = joined_sections(report_dir, pages)
    for section in sections:
        for parent in list(section.iter()):
            for child in list(parent):
                classes = child.attrib.get("class", "").split()
                if child.tag in _BROWSER_ONLY or any(c in _BROWSER_ONLY for c in classes):
                    parent.remove(child)
    index = sections[0]
    heading = index.find("h1")
    if heading is not None:
        index.remove(heading)
    for section in sections:
        for table in section.iter("table"):
            _set_column_widths(table)
    html = ET.Element("html", {"lang": "ja"})
    head = ET.SubElement(html, "head")
    ET.SubElement(head, "meta", {"charset": "utf-8"})
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(html, "body")
    body.extend(sections)
    return "<!DOCTYPE html>\n" + ET.tostring(html, encoding="unicode", method="html") + "\n"


def _set_column_widths(table: ET.Element) -> None:
    """Give a table column widths from its contents (``<colgroup>``), which pandoc turns into
    a table as wide as the page; without them every column gets the same narrow width."""
    rows = []
    for part in table:
        if part.tag == "tr":
            rows.append((part, False))
        elif part.tag in ("thead", "tbody", "tfoot"):
            rows += [(row, part.tag == "thead") for row in part if row.tag == "tr"]
    weights: dict[int, int] = {}
    covered: dict[int, int] = {}  # column -> rows below still covered by a rowspan
    for row, head in rows:
        column = 0
        for cell in (c for c in row if c.tag in ("th", "td")):
            while covered.get(column, 0):
                column += 1
            # headers may wrap after 3 Japanese characters, long text after about 15; a short
            # value (an initiative number, a count) stays on one line; 4 for the cell's margins
            width = display_width("".join(cell.itertext()).strip())
            width = min(width, 6) + 4 if head else width + 6 if width <= 10 else min(width, 30) + 4
            weights[column] = max(weights.get(column, 4), width)
            covered[column] = int(cell.attrib.get("rowspan") or 1)
            column += 1
        covered = {c: left - 1 for c, left in covered.items() if left > 1}
    if not weights:
        return
    total = sum(weights.values())
    colgroup = ET.Element("colgroup")
    for column in sorted(weights):
        ET.SubElement(colgroup, "col", {"style": f"width: {100 * weights[column] / total:.1f}%"})
    table.insert(1 if len(table) and table[0].tag == "caption" else 0, colgroup)


def source_epoch() -> int:
    """The document's date for pandoc: SOURCE_DATE_EPOCH, or the fixed date."""
    when = source_date_epoch()
    return FIXED_EPOCH if when is None else int(when.timestamp())


def render_docx(html: str, target: Path, title: str, author: str | None = None) -> Path:
    """Convert one HTML document to ``target`` with pandoc (written whole or not at all).

    Raises
    ------
    DocxUnavailableError
        If pandoc cannot be found.
    DocxRenderError
        If pandoc fails or warns (a resource it cannot read, a link it cannot resolve).
    """
    pandoc = pandoc_path()
    metadata = [f"--metadata=title:{title}", "--metadata=lang:ja"]
    if author:
        metadata.append(f"--metadata=author:{author}")
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(source_epoch())}
    try:
        with replacing(target) as (partial,):
            command = [
                pandoc,
                "--from=html",
                "--to=docx",
                f"--reference-doc={REFERENCE_DOCX}",
                # a resource it cannot fetch or an unresolved link fails the file; every image
                # is already inline (data: URIs), so pandoc reads no other file. (--sandbox
                # would also ignore SOURCE_DATE_EPOCH and date the file 1970-01-01.)
                "--fail-if-warnings",
                *metadata,
                f"--output={partial}",
            ]
            done = subprocess.run(
                command, input=html.encode("utf-8"), capture_output=True, env=env, check=False
            )
            if done.returncode != 0 or not partial.stat().st_size:
                problem = done.stderr.decode("utf-8", "replace").strip()
                raise DocxRenderError(target, problem or f"pandoc exited {done.returncode}")
    except (DocxRenderError, OutputWriteError):
        raise
    except OSError as exc:  # pandoc could not be started
        raise DocxRenderError(target, f"{type(exc).__name__}: {exc}") from exc
    return target


def write_report_docx(
    report_dir: Path, chapters: Sequence[tuple[str, str]], assessment: Assessment
) -> Path:
    """Write the whole report as one Word file into ``report_dir`` and return it.

    ``chapters`` is (title, file name) of every chapter page in reading order; the index page
    (``index.html``) comes first, under the report's title.

    Raises
    ------
    DocxUnavailableError
        If pandoc cannot be found.
    DocxRenderError
        If the Word file cannot be made (:func:`render_docx`).
    """
    title = report_title(assessment)
    html = docx_html(report_dir, [(title, "index.html"), *chapters], title)
    target = report_dir / docx_name(assessment)
    return render_docx(html, target, title, assessment.plan.city)
