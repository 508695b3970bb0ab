"""The report's HTML pages joined into one document, for the editions made from it (PDF, Word).

Each page becomes a ``<section>`` (its ``<main>``), ids become ``<page>--<id>``, links between
pages become links inside the document, and links to anything else (data files) are removed,
so that no folder of this PC ends up in an edition. The index's provenance (作成情報) moves to
the end: a reviewer reads the content first.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from kawaeval.common.text import era_year, safe_file_name
from kawaeval.version import __version__

if TYPE_CHECKING:
    from kawaeval.evaluation.model import Assessment

PROVENANCE_CLASS = "kawaeval-provenance"
SCREEN_READER_ONLY = "kawaeval-sr-only"
"""Text the pages give screen readers only (a table's caption where the heading above says
it); an edition leaves it out: hidden text would be laid out, or tagged, as if shown."""
HTML_ONLY = "kawaeval-html-only"
"""The class of what belongs to the HTML report only (the change record's section of the index):
the editions made from the pages (PDF, Word, summary) leave it out."""
PROVENANCE_PAGE = ("作成情報", "provenance")
"""The provenance's place at the end of a joined document: (bookmark title, section id)."""


def edition_name(assessment: Assessment, suffix: str, tail: str = "") -> str:
    """An edition's file name: plan, program and fiscal year, safe on Windows.

    e.g. ``川崎市国際施策推進プラン_第２期実行プログラム_FY2021.pdf``; ``tail`` goes after the
    year (``概要`` gives ``…_FY2021_概要.pdf``). It always holds ``_FY<year>``, so it is never
    one of the names Windows reserves.
    """
    plan = assessment.plan
    parts = [safe_file_name(p).strip("._") for p in (plan.name, plan.program)]
    parts = [*(p for p in parts if p), f"FY{assessment.fiscal_year}"]
    if tail:
        parts.append(safe_file_name(tail).strip("._"))
    return "_".join(p for p in parts if p) + suffix


def report_title(assessment: Assessment) -> str:
    """The report's title, as on its index page (:func:`kawaeval.report.wording.report_title`)."""
    from kawaeval.report import wording  # the model (pydantic): only once an edition is made

    return wording.report_title(assessment)


def footer_text(assessment: Assessment) -> str:
    """The plan, program, year and evaluation kind printed at the foot of every page."""
    from kawaeval.report.wording import evaluation_label  # only once an edition is made

    plan = assessment.plan
    return (
        f"{plan.name} {plan.program} {era_year(assessment.fiscal_year)}"
        f" {evaluation_label(assessment)}"
    )


def page_id(href: str) -> str:
    """The id of a page's section in the joined document: its file name without .html."""
    return Path(href).stem


def joined_sections(report_dir: Path, pages: Sequence[tuple[str, str]]) -> list[ET.Element]:
    """The pages' ``<main>`` as ``<section>`` elements, in reading order, provenance last.

    ``pages`` is (title, file name); each section carries ``id`` (the page), ``data-title``
    and the class ``kawaeval-page``.
    """
    import tinyhtml5

    names = {href: page_id(href) for _, href in pages}
    sections, moved = [], []
    for page_title, href in pages:
        page = page_id(href)
        tree = tinyhtml5.parse(
            (report_dir / href).read_text(encoding="utf-8"), namespace_html_elements=False
        )
        main = tree.find(".//main")
        if main is None:
            main = tree.find("body")
        for element in main.iter():
            if "id" in element.attrib:
                element.attrib["id"] = f"{page}--{element.attrib['id']}"
            if element.tag == "a" and "href" in element.attrib:
                target = _internal_target(element.attrib["href"], page, names)
                if target is None:
                    del element.attrib["href"]
                else:
                    element.attrib["href"] = target
        moved += _take_provenance(main)
        _drop(main, SCREEN_READER_ONLY)
        _drop(main, HTML_ONLY)
        main.tag = "section"
        main.attrib.update(
            {
                "class": " ".join(filter(None, ["kawaeval-page", main.attrib.get("class")])),
                "id": page,
                "data-title": page_title,
            }
        )
        sections.append(main)
    for element in moved:
        title, section_id = PROVENANCE_PAGE
        element.tag = "section"
        element.attrib.update(
            {
                "class": f"kawaeval-page {PROVENANCE_CLASS}",
                "id": section_id,
                "data-title": title,
            }
        )
        sections.append(element)
    return sections


def _drop(main: ET.Element, css_class: str) -> None:
    """Remove every element of a class from a page."""
    for parent in list(main.iter()):
        for child in list(parent):
            if css_class in child.attrib.get("class", "").split():
                parent.remove(child)


def _take_provenance(main: ET.Element) -> list[ET.Element]:
    """Remove the provenance blocks from a page (to go at the end) and return them."""
    taken = []
    for parent in list(main.iter()):
        for child in list(parent):
            if PROVENANCE_CLASS in child.attrib.get("class", "").split():
                parent.remove(child)
                taken.append(child)
    return taken


def joined_html(
    report_dir: Path, pages: Sequence[tuple[str, str]], title: str, style: str = ""
) -> str:
    """The report's pages as one HTML document (:func:`joined_sections`) under ``title``,
    with ``style`` as its stylesheet."""
    from markupsafe import escape

    body = "\n".join(
        ET.tostring(section, encoding="unicode", method="html")
        for section in joined_sections(report_dir, pages)
    )
    head = f"<style>\n{style}</style>\n" if style else ""
    return (
        '<!DOCTYPE html>\n<html lang="ja">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n"
        f'<meta name="generator" content="kawaeval {escape(__version__)}">\n'
        f"{head}</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def _internal_target(href: str, page: str, names: dict[str, str]) -> str | None:
    """Where a link of ``page`` points inside the joined document, None when outside it."""
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
