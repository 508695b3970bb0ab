"""Write the Word edition's reference document (kawaeval/report/templates/docx/reference.docx).

pandoc takes the styles, page setup, header and footer of a reference .docx and ignores its
text. This script starts from pandoc's own default reference.docx (the pandoc inside
pypandoc_binary) and edits it with python-docx:

- A4 portrait, the PDF's margins; page numbers (PAGE / NUMPAGES) at the foot of every page;
- Japanese fonts by the names Word on Windows finds them (游明朝 for text, 游ゴシック for
  headings, captions and tables), with their English names as alternatives in the font table,
  and no theme fonts (a theme would put Aptos or a Chinese font back);
- 見出し 1 as the chapter (章: a new page, a rule below), 見出し 2 as the section (節),
  見出し 3 for the appendix's groups (項); the title; table and figure captions;
- tables ruled on every cell, the header row shaded and bold (pandoc repeats it on each page).

It is deterministic (fixed document dates and zip times): a rerun with the same pandoc and
python-docx writes the same file, and tests/test_docx.py checks that the committed file is what
this script makes. python-docx comes with kawaeval[test].

Usage: python scripts/make_reference_docx.py [--out FILE]
"""

from __future__ import annotations

import argparse
import io
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path

import docx
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from kawaeval.report.docx import REFERENCE_DOCX, pandoc_path

FIXED_TIME = datetime(2000, 1, 1)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

TEXT_FONT = ("游明朝", "Yu Mincho", "roman")
HEADING_FONT = ("游ゴシック", "Yu Gothic", "swiss")
INK = RGBColor(0x00, 0x00, 0x00)
RULE = "1F4E79"  # the HTML report's heading colour

# style id -> (font, size in points, bold, alias shown beside Word's name)
HEADINGS = {
    "Title": (HEADING_FONT, 18, True, "表題"),
    "Subtitle": (HEADING_FONT, 13, False, None),
    "Heading1": (HEADING_FONT, 16, True, "章"),
    "Heading2": (HEADING_FONT, 13, True, "節"),
    "Heading3": (HEADING_FONT, 11.5, True, "項"),
    "Heading4": (HEADING_FONT, 10.5, True, None),
    "TableCaption": (HEADING_FONT, 10.5, True, "表の見出し"),
    "ImageCaption": (HEADING_FONT, 10, False, "図の説明"),
}


def default_reference() -> bytes:
    """pandoc's own reference.docx, from the pandoc kawaeval runs."""
    done = subprocess.run(
        [pandoc_path(), "--print-default-data-file", "reference.docx"],
        capture_output=True,
        check=True,
    )
    return done.stdout


def set_fonts(rpr, font: tuple[str, str, str]) -> None:
    """One font for every script of a run property, replacing any theme font."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attribute in list(fonts.attrib):
        del fonts.attrib[attribute]
    for script in ("ascii", "eastAsia", "hAnsi", "cs"):
        fonts.set(qn(f"w:{script}"), font[0])


def set_alias(style, alias: str) -> None:
    """Word shows a style's aliases beside its name (見出し 1,章)."""
    element = style.element
    for old in element.findall(qn("w:aliases")):
        element.remove(old)
    aliases = OxmlElement("w:aliases")
    aliases.set(qn("w:val"), alias)
    element.find(qn("w:name")).addnext(aliases)


def border(tag: str, size: int = 4, color: str = "000000") -> OxmlElement:
    """A single rule (``size`` in eighths of a point)."""
    edge = OxmlElement(tag)
    edge.set(qn("w:val"), "single")
    edge.set(qn("w:sz"), str(size))
    edge.set(qn("w:space"), "0")
    edge.set(qn("w:color"), color)
    return edge


def page_setup(document) -> None:
    """A4 portrait with the PDF's margins, page numbers centred in the footer."""
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(18), Mm(20)
    section.left_margin, section.right_margin = Mm(15), Mm(15)
    section.header_distance, section.footer_distance = Mm(8), Mm(8)
    footer = section.footer
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0]
    paragraph.text = ""
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for field, text in (("PAGE", "1"), (None, " / "), ("NUMPAGES", "1")):
        if field is None:
            paragraph.add_run(text)
            continue
        simple = OxmlElement("w:fldSimple")
        simple.set(qn("w:instr"), f" {field} \\* MERGEFORMAT ")
        run = OxmlElement("w:r")
        shown = OxmlElement("w:t")
        shown.text = text
        run.append(shown)
        simple.append(run)
        paragraph._p.append(simple)
    # pandoc uses the reference's styles and page setup only: leave its sample text out
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)


def text_styles(document) -> None:
    """Japanese text: 10.5 pt 游明朝 by default, language ja-JP, headings in 游ゴシック."""
    styles = document.styles
    defaults = styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_fonts(rpr, TEXT_FONT)
    for tag, value in (("w:sz", "21"), ("w:szCs", "21")):
        rpr.find(qn(tag)).set(qn("w:val"), value)
    lang = rpr.find(qn("w:lang"))
    lang.set(qn("w:val"), "ja-JP")
    lang.set(qn("w:eastAsia"), "ja-JP")
    # every theme font of the stylesheet is replaced by the named ones
    for style in styles.element.findall(qn("w:style")):
        fonts = style.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
        if fonts is not None and any(
            a.endswith("Theme") or a.endswith("theme") for a in fonts.attrib
        ):
            set_fonts(style.find(qn("w:rPr")), TEXT_FONT)
    for style_id, (font, size, bold, alias) in HEADINGS.items():
        style = next(s for s in styles if s.style_id == style_id)
        style.font.size = Pt(size)
        style.font.bold = bold
        style.font.italic = False
        style.font.color.rgb = INK
        set_fonts(style.element.get_or_add_rPr(), font)
        if alias:
            set_alias(style, alias)
        style.paragraph_format.keep_with_next = True
    chapter = styles["Heading 1"]
    chapter.paragraph_format.page_break_before = True
    chapter.paragraph_format.space_before = Pt(0)
    chapter.paragraph_format.space_after = Pt(12)
    rule = OxmlElement("w:pBdr")
    rule.append(border("w:bottom", 12, RULE))
    chapter.element.get_or_add_pPr().append(rule)
    section = styles["Heading 2"]
    section.paragraph_format.space_before = Pt(14)
    section.paragraph_format.space_after = Pt(6)
    rule = OxmlElement("w:pBdr")
    left = border("w:left", 36, RULE)
    left.set(qn("w:space"), "4")
    rule.append(left)
    section.element.get_or_add_pPr().append(rule)
    styles["Title"].paragraph_format.space_after = Pt(18)


def table_style(document) -> None:
    """pandoc's "Table" style: every cell ruled, the header row shaded and bold."""
    style = document.styles["Table"]
    tbl_pr = style.element.find(qn("w:tblPr"))
    if tbl_pr is None:
        tbl_pr = OxmlElement("w:tblPr")
        style.element.append(tbl_pr)
    for old in tbl_pr.findall(qn("w:tblBorders")):
        tbl_pr.remove(old)
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        borders.append(border(f"w:{edge}"))
    tbl_pr.append(borders)
    for old in style.element.findall(qn("w:tblStylePr")):
        style.element.remove(old)
    header = OxmlElement("w:tblStylePr")
    header.set(qn("w:type"), "firstRow")
    rpr = OxmlElement("w:rPr")
    rpr.append(OxmlElement("w:b"))
    set_fonts(rpr, HEADING_FONT)
    cell = OxmlElement("w:tcPr")
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), "DDE8F3")
    cell.append(shading)
    header.append(rpr)
    header.append(cell)
    style.element.append(header)


def font_table(source: bytes) -> bytes:
    """The font table with the two Japanese fonts, each with its English name as altName."""
    import xml.etree.ElementTree as ET

    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    ET.register_namespace("w", w)
    ET.register_namespace(
        "r", "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    )
    root = ET.fromstring(source)
    for name, alternative, family in (TEXT_FONT, HEADING_FONT):
        font = ET.SubElement(root, f"{{{w}}}font", {f"{{{w}}}name": name})
        ET.SubElement(font, f"{{{w}}}altName", {f"{{{w}}}val": alternative})
        ET.SubElement(font, f"{{{w}}}charset", {f"{{{w}}}val": "80"})  # Shift_JIS
        ET.SubElement(font, f"{{{w}}}family", {f"{{{w}}}val": family})
        ET.SubElement(font, f"{{{w}}}pitch", {f"{{{w}}}val": "variable"})
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)


def stable_zip(data: bytes, replace: dict[str, bytes]) -> bytes:
    """The same archive with fixed entry times (and ``replace``'s entries swapped in)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, replace.get(info.filename, source.read(info)))
    return out.getvalue()


def reference_docx() -> bytes:
    """The reference document's bytes."""
    default = default_reference()
    document = docx.Document(io.BytesIO(default))
    page_setup(document)
    text_styles(document)
    table_style(document)
    core = document.core_properties
    core.title = core.author = core.last_modified_by = core.subject = core.keywords = ""
    core.created = core.modified = FIXED_TIME
    core.revision = 1
    buffer = io.BytesIO()
    document.save(buffer)
    fonts = zipfile.ZipFile(io.BytesIO(default)).read("word/fontTable.xml")
    return stable_zip(buffer.getvalue(), {"word/fontTable.xml": font_table(fonts)})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REFERENCE_DOCX)
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(reference_docx())
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
