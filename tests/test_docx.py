"""``kawaeval build --docx``: the Word edition, read back with python-docx and opened in
LibreOffice Writer (headless, converted to PDF), as the office would open it."""

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata
import zipfile
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import REPO, edition_pages, require_system_tool, run_cli, source_date_epoch

from kawaeval.build import building
from kawaeval.evaluation.model import Assessment
from kawaeval.plan import load_plan
from kawaeval.report import docx as word
from kawaeval.report import wording

docx = pytest.importorskip("docx")  # python-docx, in kawaeval[test]
from docx.oxml.ns import qn  # noqa: E402

# one xdist worker builds the editions (conftest's session fixtures) for test_pdf and test_docx
pytestmark = pytest.mark.xdist_group("editions")

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="module")
def docx_report(editions_report) -> Path:
    """The sample FY2021 report built with --docx (and --pdf) under SOURCE_DATE_EPOCH."""
    return editions_report


@pytest.fixture(scope="module")
def built_assessment(docx_report) -> Assessment:
    return Assessment.from_json((docx_report / "data" / "assessment.json").read_bytes())


@pytest.fixture(scope="module")
def docx_file(docx_report, built_assessment) -> Path:
    path = docx_report / word.docx_name(built_assessment)
    assert path.is_file(), sorted(p.name for p in docx_report.iterdir())
    return path


@pytest.fixture(scope="module")
def document(docx_file):
    return docx.Document(str(docx_file))


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _pages(report: Path) -> list[tuple[str, BeautifulSoup]]:
    return edition_pages(report)


def _paragraphs(document, style_id: str) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.style_id == style_id]


# ---------------------------------------------------------------- without pandoc


def test_docx_without_pypandoc_is_usage_error_with_install_hint(monkeypatch, tmp_path):
    def refuse(*args, **kwargs):
        raise AssertionError("must not be reached: the check comes before any cleaning")

    monkeypatch.setattr("kawaeval.records.cleaning.clean_records", refuse)
    monkeypatch.setattr("kawaeval.build.kernels.KernelPool.execute", refuse)
    monkeypatch.setitem(sys.modules, "pypandoc", None)  # import pypandoc -> ImportError
    code, err = run_cli(["build", "--fiscal-year", "2021", "--out", str(tmp_path), "--docx"])
    assert code == 2, err
    assert "Word ファイルを作成できません" in err
    assert "pip install 'kawaeval[docx]'" in err
    assert list(tmp_path.iterdir()) == []


def test_pandoc_that_cannot_be_found_is_reported_like_a_missing_library(monkeypatch):
    pypandoc = pytest.importorskip("pypandoc")

    def nowhere():
        raise OSError("No pandoc was found")

    monkeypatch.setattr(pypandoc, "get_pandoc_path", nowhere)
    with pytest.raises(word.DocxUnavailableError, match="No pandoc was found") as caught:
        word.check_available()
    assert caught.value.exit_code == 2


def test_docx_name_is_the_plan_and_year_like_the_pdf(assessment):
    assert word.docx_name(assessment) == "川崎市国際施策推進プラン_第２期実行プログラム_FY2021.docx"
    assessment.plan.update(name='a/b:c*"', program="第 2 期")
    assert word.docx_name(assessment) == "a_b_c_第_2_期_FY2021.docx"


# ---------------------------------------------------------------- the reference document


def test_the_reference_docx_is_what_its_script_makes(tmp_path):
    """The bundled reference.docx is not edited by hand: the script makes it, part for part."""
    pytest.importorskip("pypandoc")
    out = tmp_path / "reference.docx"
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "make_reference_docx.py"), "--out", out],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    made, bundled = zipfile.ZipFile(out), zipfile.ZipFile(word.REFERENCE_DOCX)
    assert made.namelist() == bundled.namelist()
    for name in made.namelist():
        assert made.read(name) == bundled.read(name), name
    assert {i.date_time for i in bundled.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_the_reference_docx_sets_a4_japanese_fonts_heading_styles_and_page_numbers():
    reference = docx.Document(str(word.REFERENCE_DOCX))
    section = reference.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    styles = reference.styles
    fonts = styles.element.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}rFonts")
    assert fonts.get(qn("w:eastAsia")) == "游明朝" and fonts.get(qn("w:ascii")) == "游明朝"
    assert not [a for a in fonts.attrib if a.lower().endswith("theme")]  # no theme fonts
    lang = styles.element.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}lang")
    assert lang.get(qn("w:eastAsia")) == "ja-JP"
    for name, alias in (("Heading 1", "章"), ("Heading 2", "節"), ("Heading 3", "項")):
        style = styles[name]
        assert style.element.find(f"{W}aliases").get(qn("w:val")) == alias
        rfonts = style.element.find(f"{W}rPr/{W}rFonts")
        assert rfonts.get(qn("w:eastAsia")) == "游ゴシック", name
        assert style.font.bold
    assert styles["Heading 1"].paragraph_format.page_break_before  # a chapter starts a page
    assert styles["Heading 1"].font.size > styles["Heading 2"].font.size
    footer = section.footer._element
    instructions = [f.get(qn("w:instr")).split()[0] for f in footer.iter(f"{W}fldSimple")]
    assert instructions == ["PAGE", "NUMPAGES"]
    font_table = zipfile.ZipFile(word.REFERENCE_DOCX).read("word/fontTable.xml").decode()
    for name, english in (("游明朝", "Yu Mincho"), ("游ゴシック", "Yu Gothic")):
        assert re.search(rf'w:name="{name}".*?<w:altName w:val="{english}"', font_table, re.S)


# ---------------------------------------------------------------- the sample report's file


@pytest.mark.slow
def test_the_index_page_links_the_word_file_beside_it(docx_report, docx_file):
    soup = BeautifulSoup((docx_report / "index.html").read_text("utf-8"), "html.parser")
    links = {a["href"]: a.get_text() for a in soup.select(".kawaeval-downloads a")}
    assert links[docx_file.name] == "報告書（Word、意見照会用）"


@pytest.mark.slow
def test_chapters_are_headings_under_the_reports_title(document, docx_report, built_assessment):
    assert _paragraphs(document, "Title") == [wording.report_title(built_assessment)]
    pages = _pages(docx_report)
    chapter_headings = [soup.find("h1").get_text() for name, soup in pages[1:]]
    assert _paragraphs(document, "Heading1") == chapter_headings
    sections = [h.get_text() for _, soup in pages for h in soup.find_all("h2")]
    # the provenance's heading moves from the index to the end
    moved = [h for h in sections if h != "作成情報"] + ["作成情報"]
    assert _paragraphs(document, "Heading2") == moved
    assert _paragraphs(document, "Heading3") == [
        h.get_text() for _, soup in pages for h in soup.find_all("h3")
    ]
    assert str(document.core_properties.language) == "ja"
    assert document.core_properties.author == built_assessment.plan.city


@pytest.mark.slow
def test_every_table_repeats_its_header_row_and_holds_the_published_figures(document, published):
    assert len(document.tables) >= 30
    for table in document.tables:
        first = table.rows[0]._tr
        assert first.find(f"{W}trPr/{W}tblHeader") is not None, table.rows[0].cells[0].text
        assert all(r._tr.find(f"{W}trPr/{W}tblHeader") is None for r in table.rows[1:])
    cells = {_flat(c.text) for t in document.tables for r in t.rows for c in r.cells}
    fy = published["program_distribution_fy2021"]
    for key in ("exceeded", "on_target", "below"):
        assert f"{fy['counts'][key]}件" in cells and f"{fy['shares_pct_1dp'][key]}%" in cells
    for goal in published["goal_grades"]:
        assert _flat(f"{goal['status']} {goal['status_ja']}") in cells
        assert _flat(f"{goal['direction']} {goal['direction_ja']}") in cells
    ids = {c for c in cells if re.fullmatch(r"\d-\d-\d\d", c)}
    assert len(ids) == published["structure"]["initiatives_total"]  # the appendix


@pytest.mark.slow
def test_every_chart_is_an_image_with_its_alt_text_as_description(document, docx_report):
    alts = [img["alt"] for _, soup in _pages(docx_report) for img in soup.find_all("img")]
    assert len(alts) >= 5
    described = [shape._inline.docPr.get("descr") for shape in document.inline_shapes]
    assert described == alts
    assert all(d.strip() for d in described)


def _text(element) -> str:
    return "".join(t.text or "" for t in element.iter(f"{W}t"))


@pytest.mark.slow
def test_links_within_the_report_go_to_bookmarks_in_the_file(document, docx_report):
    body = document.element.body
    bookmarks = {b.get(qn("w:name")): b for b in body.iter(f"{W}bookmarkStart")}
    links = list(body.iter(f"{W}hyperlink"))
    anchors = [link.get(qn("w:anchor")) for link in links if link.get(qn("w:anchor"))]
    assert len(anchors) >= 8 + 9  # the table of contents and every direction's count
    assert set(anchors) <= set(bookmarks)
    # links that leave the file are web links only: no data file, no folder of this PC
    rels = document.part.rels.values()
    external = [r.target_ref for r in rels if r.is_external]
    assert all(t.startswith(("http://", "https://")) for t in external), external
    # the table of contents: each entry's bookmark is at its chapter's heading
    chapters = building.chapters_for(load_plan())
    headings = [soup.find("h1").get_text() for _, soup in _pages(docx_report)[1:]]
    order = [p for p in body.iter() if p.tag in (f"{W}p", f"{W}bookmarkStart")]
    for link, chapter, h1 in zip(links, chapters, headings, strict=False):
        assert _text(link) == chapter.title
        target = bookmarks[link.get(qn("w:anchor"))]
        after = order[order.index(target) :]
        heading = next(p for p in after if p.tag == f"{W}p" and _style(p) == "Heading1")
        assert _text(heading) == h1


def _style(paragraph) -> str | None:
    style = paragraph.find(f"{W}pPr/{W}pStyle")
    return None if style is None else style.get(qn("w:val"))


@pytest.mark.slow
def test_provenance_is_at_the_end_of_the_word_file(document):
    headings = [(p.style.style_id, p.text) for p in document.paragraphs if p.style.style_id]
    index = next(i for i, (_, text) in enumerate(headings) if text == "作成情報")
    rest = "".join(p.text for p in document.paragraphs[index:])
    assert "SHA-256" in rest
    assert "SHA-256" not in "".join(p.text for p in document.paragraphs[:index])


@pytest.mark.slow
def test_word_file_is_byte_identical_under_source_date_epoch(docx_file, editions_rebuilt):
    again = editions_rebuilt / docx_file.name
    assert again.read_bytes() == docx_file.read_bytes()
    core = zipfile.ZipFile(docx_file).read("docProps/core.xml").decode()
    assert '<dcterms:created xsi:type="dcterms:W3CDTF">2023-11-14T22:13:20Z' in core


def test_without_source_date_epoch_no_clock_time_goes_into_the_file(tmp_path):
    """pandoc dates core.xml and every zip entry with the current time unless told: told the
    fixed date tables.xlsx carries."""
    pytest.importorskip("pypandoc")
    html = (
        '<html lang="ja"><head><title>題</title></head><body><h1>章</h1><p>本文</p></body></html>'
    )
    with source_date_epoch(None):
        path = word.render_docx(html, tmp_path / "t.docx", "題")
    archive = zipfile.ZipFile(path)
    # what pandoc writes carries the fixed date; what it copies from the reference, its own
    dates = {i.filename: i.date_time for i in archive.infolist()}
    assert dates["word/document.xml"] == (2000, 1, 1, 0, 0, 0)
    assert set(dates.values()) <= {(2000, 1, 1, 0, 0, 0), (1980, 1, 1, 0, 0, 0)}
    core = archive.read("docProps/core.xml").decode()
    assert re.findall(r"W3CDTF\">([^<]*)<", core) == ["2000-01-01T00:00:00Z"] * 2
    assert [p.name for p in tmp_path.iterdir()] == ["t.docx"]  # no part file left


def test_a_failing_pandoc_leaves_no_word_file(tmp_path, monkeypatch):
    monkeypatch.setattr(word, "pandoc_path", lambda: "false")  # exits 1, writes nothing
    with pytest.raises(word.DocxRenderError, match="could not make the Word file") as caught:
        word.render_docx("<p>x</p>", tmp_path / "t.docx", "題")
    assert caught.value.exit_code == 1
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- opened in LibreOffice


@pytest.fixture(scope="module")
def writer_pdf(docx_file, tmp_path_factory) -> Path:
    """The Word file as LibreOffice Writer lays it out, exported to PDF (its own profile, so
    tests running at once do not share one)."""
    soffice = require_system_tool("soffice", "libreoffice-writer-nogui")
    out = tmp_path_factory.mktemp("writer")
    profile = out / "profile"
    done = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(docx_file),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    path = out / docx_file.with_suffix(".pdf").name
    assert done.returncode == 0 and path.is_file(), done.stdout + done.stderr
    return path


def _pdf_pages(path: Path) -> list[str]:
    require_system_tool("pdftotext", "poppler-utils")
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    )
    return done.stdout.split("\f")[:-1]


@pytest.mark.slow
def test_libreoffice_lays_out_every_chapter_on_numbered_a4_pages(writer_pdf, docx_report):
    info = subprocess.run(["pdfinfo", str(writer_pdf)], capture_output=True, text=True).stdout
    assert re.search(r"Page size:\s+595\.\d* x 841\.\d* pts \(A4\)", info), info
    pages = _pdf_pages(writer_pdf)
    chapters = building.chapters_for(load_plan())
    # every chapter starts a page (見出し 1), and the appendix needs several
    assert len(chapters) + 4 <= len(pages) <= 40, len(pages)
    for number, text in enumerate(pages, start=1):
        assert f"{number}/{len(pages)}" in _flat(text), number  # the footer's page number
    starts = [_flat(p)[:60] for p in pages]
    for _, soup in _pages(docx_report)[1:]:
        heading = _flat(soup.find("h1").get_text())
        assert any(s.startswith(heading[:40]) for s in starts), heading


@pytest.mark.slow
def test_libreoffice_shows_the_published_figures(writer_pdf, published):
    text = _flat("".join(_pdf_pages(writer_pdf)))
    fy = published["program_distribution_fy2021"]
    for key in ("exceeded", "on_target", "below"):
        label = published["achievement_categories_ja"][key]
        assert _flat(f"{label}：{fy['counts'][key]}件({fy['shares_pct_1dp'][key]}%)") in text
    for goal in published["structure"]["goals"]:
        assert _flat(goal["name_ja"]) in text
        for direction in goal["directions"]:
            assert _flat(direction["name_ja"]) in text
    for result in published["main_results"]:
        assert _flat(result["initiative_ja"]) in text


@pytest.mark.slow
def test_libreoffice_pages_as_pictures(writer_pdf, tmp_path):
    """Renders the first pages as PNG for a person to look at (and checks they are not blank)."""
    require_system_tool("pdftoppm", "poppler-utils")
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "3", str(writer_pdf), tmp_path / "p"],
        check=True,
    )
    from PIL import Image

    pictures = sorted(tmp_path.glob("p-*.png"))
    assert len(pictures) == 3
    for picture in pictures:
        print(f"page picture: {picture}")
        with Image.open(picture) as image:
            darkest, _ = image.convert("L").getextrema()
            assert darkest < 100  # text on the page, not a blank one
