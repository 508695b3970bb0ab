"""``kawaeval build --pdf``: one PDF of the whole report, checked with poppler's tools."""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import edition_pages, require_system_tool, run_cli

from kawaeval.build import building
from kawaeval.build.building import Chapter, build_reports
from kawaeval.evaluation.model import Assessment
from kawaeval.exceptions import PdfRenderError
from kawaeval.plan import load_plan
from kawaeval.report import pdf, wording

FIXTURES = Path(__file__).parent / "fixtures" / "report"
# one xdist worker builds the editions (conftest's session fixtures) for test_pdf and test_docx
pytestmark = pytest.mark.xdist_group("editions")


@pytest.fixture(scope="module")
def pdf_report(editions_report) -> Path:
    """The sample FY2021 report built once with --pdf (and --docx) under SOURCE_DATE_EPOCH."""
    return editions_report


@pytest.fixture(scope="module")
def built_assessment(pdf_report) -> Assessment:
    return Assessment.from_json((pdf_report / "data" / "assessment.json").read_bytes())


@pytest.fixture(scope="module")
def pdf_file(pdf_report, built_assessment) -> Path:
    path = pdf_report / pdf.pdf_name(built_assessment)
    assert path.is_file(), sorted(p.name for p in pdf_report.iterdir())
    return path


@pytest.mark.slow
def test_the_index_page_links_the_pdf_beside_it(pdf_report, pdf_file):
    soup = BeautifulSoup((pdf_report / "index.html").read_text("utf-8"), "html.parser")
    links = {a["href"] for a in soup.select(".kawaeval-downloads a")}
    assert pdf_file.name in links
    assert {"tables.xlsx", "data/achievements.csv"} <= links
    assert all((pdf_report / href).is_file() for href in links)


def _tool(command: str, *args: str) -> str:
    require_system_tool(command, "poppler-utils")
    done = subprocess.run([command, *args], capture_output=True, text=True, check=True)
    return done.stdout


def _flat(text: str) -> str:
    """Text without any white space: table cells and line ends split text in a PDF."""
    return re.sub(r"\s+", "", text)


def _outline(path: Path) -> list[tuple[str, int, list]]:
    """The PDF's bookmarks as (title, page, children), read from ``pdftohtml -xml``."""
    xml = _tool("pdftohtml", "-xml", "-i", "-stdout", "-q", str(path))
    outline = ET.fromstring(xml.encode()).find("outline")
    assert outline is not None, "the PDF has no outline"

    def items(node) -> list:
        found = []
        for child in node:
            if child.tag == "item":
                found.append((child.text, int(child.get("page")), []))
            elif child.tag == "outline":
                found[-1][2].extend(items(child))
        return found

    return items(outline)


def _pages_text(path: Path) -> list[str]:
    return _tool("pdftotext", "-enc", "UTF-8", str(path), "-").split("\f")[:-1]


# ---------------------------------------------------------------- no PDF library


def test_pdf_without_weasyprint_is_usage_error_with_install_hint(monkeypatch, tmp_path):
    def refuse(*args, **kwargs):
        raise AssertionError("must not be reached: the check comes before any cleaning")

    monkeypatch.setattr("kawaeval.build.pipeline.clean_records", refuse)
    monkeypatch.setattr("kawaeval.build.kernels.KernelPool.execute", refuse)
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import weasyprint -> ImportError
    code, err = run_cli(["build", "--fiscal-year", "2021", "--out", str(tmp_path), "--pdf"])
    assert code == 2
    assert "pip install 'kawaeval[pdf]'" in err
    assert "Pango" in err
    assert list(tmp_path.iterdir()) == []


def test_missing_pango_is_reported_like_a_missing_library(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pango(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "weasyprint", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_pango)
    with pytest.raises(pdf.PdfUnavailableError, match="libpango") as caught:
        pdf.check_available()
    assert caught.value.exit_code == 2


# ---------------------------------------------------------------- names and links


@pytest.mark.parametrize(
    ("name", "program", "expected"),
    [
        (
            "川崎市国際施策推進プラン",
            "第２期実行プログラム",
            "川崎市国際施策推進プラン_第２期実行プログラム_FY2021.pdf",
        ),
        ('a/b\\c:d*e?f"g<h>i|j', "第 2 期", "a_b_c_d_e_f_g_h_i_j_第_2_期_FY2021.pdf"),
        ("CON", "", "CON_FY2021.pdf"),
        ("  計画. ", "プログラム\t\n", "計画_プログラム_FY2021.pdf"),
    ],
)
def test_pdf_name_is_the_plan_and_year_and_safe_on_windows(assessment, name, program, expected):
    assessment.plan.update(name=name, program=program)
    assert pdf.pdf_name(assessment) == expected


def test_pages_are_joined_with_internal_links_and_separate_ids(tmp_path):
    (tmp_path / "index.html").write_text(
        '<html><body><main class="kawaeval"><h1 id="top">題</h1>'
        '<a href="01_a.html">一</a><a href="data/assessment.json">データ</a>'
        '<a href="https://www.city.kawasaki.jp/">市</a>'
        '<section class="kawaeval-provenance"><h2 id="provenance">作成情報</h2>'
        "<details><summary>版</summary><dl><dt>kawaeval</dt><dd>0.1.0</dd></dl></details>"
        "</section></main></body></html>",
        encoding="utf-8",
    )
    (tmp_path / "01_a.html").write_text(
        '<html><body><main><h2 id="top">一</h2><a href="#top">上</a>'
        '<a href="06_appendix.html#goal-1-direction-2">4件</a>'
        '<nav class="kawaeval-nav"><a href="index.html">目次</a></nav></main></body></html>',
        encoding="utf-8",
    )
    (tmp_path / "06_appendix.html").write_text(
        '<html><body><main><h3 id="goal-1-direction-2">方向性</h3></main></body></html>',
        encoding="utf-8",
    )
    pages = [("題", "index.html"), ("一", "01_a.html"), ("付録", "06_appendix.html")]
    soup = BeautifulSoup(pdf.combined_html(tmp_path, pages, "題", "足"), "html.parser")
    sections = soup.select("section.kawaeval-page")
    assert [(s["id"], s["data-title"]) for s in sections] == [
        ("index", "題"),
        ("01_a", "一"),
        ("06_appendix", "付録"),
        ("provenance", "作成情報"),  # moved from the index to the end
    ]
    assert "作成情報" not in sections[0].get_text()
    assert sections[-1].select_one("dl dd").get_text() == "0.1.0"
    ids = [tag["id"] for tag in soup.find_all(id=True)]
    assert len(ids) == len(set(ids))
    assert soup.find(id="06_appendix--goal-1-direction-2").name == "h3"
    hrefs = [a.get("href") for a in soup.find_all("a")]
    assert hrefs == [
        "#01_a",
        None,  # a data file is not part of the PDF: no link to a folder of this PC
        "https://www.city.kawasaki.jp/",
        "#01_a--top",
        "#06_appendix--goal-1-direction-2",
        "#index",
    ]
    assert str(tmp_path) not in str(soup)
    assert 'content: "足"' in soup.style.string


def test_footer_text_is_escaped_for_css():
    assert pdf._css_string('a"b\\c') == '"a\\22 b\\5c c"'


# ---------------------------------------------------------------- the sample PDF


@pytest.mark.slow
def test_every_html_page_carries_the_print_styles(pdf_report):
    """A browser prints each page on A4 with page numbers, no navigation, rows kept whole."""
    names = ["index.html", *(f"{c.name}.html" for c in building.chapters_for(load_plan()))]
    for name in names:
        soup = BeautifulSoup((pdf_report / name).read_text(encoding="utf-8"), "html.parser")
        css = _flat("".join(style.get_text() for style in soup.find_all("style")))
        for rule in (
            "size:A4portrait",
            'content:counter(page)"/"counter(pages)',
            "string-set:kawaeval-report",
            "thead{display:table-header-group;}",
            "tr,th,td,img,svg,figure",
            "nav,.kawaeval-nav",
        ):
            assert rule in css, (name, rule)


@pytest.mark.slow
def test_pdf_is_written_beside_the_html_with_the_plan_and_year_in_its_name(pdf_report):
    names = sorted(p.name for p in pdf_report.iterdir() if p.is_file())
    assert "川崎市国際施策推進プラン_第２期実行プログラム_FY2021.pdf" in names
    assert "index.html" in names and "06_appendix.html" in names
    assert not [n for n in names if n.endswith(".part")]


@pytest.mark.slow
def test_published_figures_are_searchable_text_in_the_pdf(pdf_file, published):
    text = _flat("".join(_pages_text(pdf_file)))
    fy = published["program_distribution_fy2021"]
    for key in ("exceeded", "on_target", "below"):
        count, share = fy["counts"][key], fy["shares_pct_1dp"][key]
        assert f"{published['achievement_categories_ja'][key]}：{count}件({share}%)" in text
    assert f"取組数は{published['structure']['initiatives_total']}件" in text
    for goal in published["goal_grades"]:
        assert _flat(f"{goal['status']} {goal['status_ja']}") in text
        assert _flat(f"{goal['direction']} {goal['direction_ja']}") in text
    for goal in published["structure"]["goals"]:
        heading = f"基本目標{goal['goal']} {goal['name_ja']}（取組数：{goal['initiatives']}件）"
        assert _flat(heading) in text
        for direction in goal["directions"]:
            assert _flat(direction["name_ja"]) in text
    assert _flat(published["document"]["vision_ja"]) in text
    for result in published["main_results"]:
        assert _flat(result["initiative_ja"]) in text


@pytest.mark.slow
def test_every_chapter_has_a_bookmark_on_the_page_where_it_starts(
    pdf_file, pdf_report, built_assessment
):
    chapters = building.chapters_for(load_plan())
    outline = _outline(pdf_file)
    assert [title for title, _, _ in outline] == [
        wording.report_title(built_assessment),
        *(c.title for c in chapters),
        "作成情報",  # the provenance, last
    ]
    pages = _pages_text(pdf_file)
    starts = [page for _, page, _ in outline]
    assert starts[0] == 1 and starts == sorted(set(starts))  # each on a page of its own
    names = ["index", *(c.name for c in chapters)]
    for (_, page, _), name in zip(outline, names, strict=False):
        html = (pdf_report / f"{name}.html").read_text(encoding="utf-8")
        heading = BeautifulSoup(html, "html.parser").find("h1").get_text()
        assert _flat(pages[page - 1]).startswith(_flat(heading)), (name, page)
    appendix = outline[-2][2]
    goals = built_assessment["goals"]
    assert [g for g, _, _ in appendix] == [
        f"基本目標{g['goal']} {g['name']}（{g['initiatives']}件）" for g in goals
    ]


@pytest.mark.slow
def test_every_font_is_embedded_and_is_the_bundled_japanese_font(pdf_file):
    lines = _tool("pdffonts", str(pdf_file)).splitlines()[2:]
    assert lines, "the PDF has no fonts"
    for line in lines:
        name, *_, emb, _sub, uni, _obj, _gen = line.split()
        assert (emb, uni) == ("yes", "yes"), line
        assert "IPAexGothic" in name, line


@pytest.mark.slow
def test_page_count_is_what_the_chapters_need(pdf_file, pdf_report):
    info = _tool("pdfinfo", str(pdf_file))
    pages = int(re.search(r"^Pages:\s+(\d+)$", info, re.M).group(1))
    assert "A4" in info and "595.276 x 841.89" in info
    report_pages = ["index.html", *(f"{c.name}.html" for c in building.chapters_for(load_plan()))]
    # each page of the report starts a page; a page needs at most one PDF page per chart
    # and per ten table rows beyond its first
    needed_at_most = 0
    for name in report_pages:
        soup = BeautifulSoup((pdf_report / name).read_text(encoding="utf-8"), "html.parser")
        rows = len(soup.select("table tr"))
        charts = len(soup.select("img"))
        needed_at_most += 1 + charts + math.ceil(rows / 10)
    assert len(report_pages) < pages <= needed_at_most
    texts = _pages_text(pdf_file)
    assert len(texts) == pages
    footer = "川崎市国際施策推進プラン第２期実行プログラム令和３(2021)年度最終評価"
    for number, text in enumerate(texts, start=1):
        flat = _flat(text)
        assert footer in flat, number
        assert f"{number}/{pages}" in flat, number
        assert len(flat) > len(footer) + 10, f"page {number} is blank"


@pytest.mark.slow
def test_links_stay_inside_the_pdf(pdf_file, pdf_report):
    xml = _tool("pdftohtml", "-xml", "-i", "-stdout", "-q", str(pdf_file))
    hrefs = set(re.findall(r'<a href="([^"]*)"', xml))
    assert hrefs, "the table of contents links its chapters"
    for href in hrefs:
        assert not href.startswith("file:") and str(pdf_report.parent) not in href, href


@pytest.mark.slow
def test_second_build_under_source_date_epoch_is_byte_identical(pdf_file, editions_rebuilt):
    again = editions_rebuilt / pdf_file.name
    assert hashlib.sha256(again.read_bytes()).hexdigest() == (
        hashlib.sha256(pdf_file.read_bytes()).hexdigest()
    )
    info = _tool("pdfinfo", "-isodates", str(pdf_file))
    assert re.search(r"^CreationDate:\s+2023-11-14T22:13:20", info, re.M), info


@pytest.mark.slow
def test_every_initiative_of_the_records_is_in_the_appendix(pdf_report, pdf_file):
    tidy = (pdf_report / "data" / "achievements.csv").read_text(encoding="utf-8-sig").splitlines()
    header = tidy[0].split(",")
    column = header.index("initiative_id")
    ids = {line.split(",")[column] for line in tidy[1:]}
    assert len(ids) == 109
    soup = BeautifulSoup((pdf_report / "06_appendix.html").read_text("utf-8"), "html.parser")
    listed = {th.get_text() for th in soup.select(".kawaeval-appendix tbody th[scope=row]")}
    assert listed == ids
    appendix_text = _flat("".join(_pages_text(pdf_file)[_outline(pdf_file)[-2][1] - 1 :]))
    for initiative_id in ids:
        assert initiative_id in appendix_text


@pytest.mark.slow
def test_appendix_has_an_anchor_for_every_direction(pdf_report, built_assessment):
    soup = BeautifulSoup((pdf_report / "06_appendix.html").read_text("utf-8"), "html.parser")
    for goal in built_assessment["plan"]["goals"]:
        for d in goal["directions"]:
            heading = soup.find(id=f"goal-{goal['goal']}-direction-{d['direction']}")
            assert heading is not None and d["name"] in heading.get_text()


# ---------------------------------------------------------------- tagged for screen readers


def _structure(document) -> list:
    """Every structure element of a tagged PDF, in reading order."""
    import pikepdf

    found = []

    def walk(node) -> None:
        if isinstance(node, pikepdf.Dictionary) and "/S" in node:
            found.append(node)
            kids = node.get("/K")
            for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
                walk(kid)

    for kid in document.Root.StructTreeRoot.K:
        walk(kid)
    return found


def _report_html(report: Path) -> list[BeautifulSoup]:
    return [soup for _, soup in edition_pages(report)]


@pytest.mark.slow
def test_pdf_is_tagged_with_its_language_title_and_structure(pdf_file, built_assessment):
    pikepdf = pytest.importorskip("pikepdf")
    info = _tool("pdfinfo", str(pdf_file))
    assert re.search(r"^Tagged:\s+yes$", info, re.M), info
    with pikepdf.open(pdf_file) as document:
        root = document.Root
        assert bool(root.MarkInfo.Marked) is True
        assert "/StructTreeRoot" in root
        assert str(root.Lang) == "ja"
        assert bool(root.ViewerPreferences.DisplayDocTitle) is True
        assert str(document.docinfo.Title) == wording.report_title(built_assessment)
        with document.open_metadata() as xmp:
            assert xmp["pdfuaid:part"] == "1"  # PDF/UA-1 as WeasyPrint's pdf_variant tags it
            assert xmp["dc:title"] == wording.report_title(built_assessment)
        kinds = [str(element.S) for element in _structure(document)]
    assert kinds[0] == "/Document"
    for kind in ("/H1", "/H2", "/H3", "/P", "/L", "/LI", "/Table", "/TH", "/TD", "/Link"):
        assert kind in kinds, kind


@pytest.mark.slow
def test_pdf_headings_tables_and_figures_are_those_of_the_pages(pdf_file, pdf_report):
    """Every heading, table and header cell of the HTML is one in the PDF's structure, and
    every chart is a Figure whose alt text is the chart's alt text."""
    pikepdf = pytest.importorskip("pikepdf")
    pages = _report_html(pdf_report)
    with pikepdf.open(pdf_file) as document:
        elements = _structure(document)
        figures = [str(e.get("/Alt", "")) for e in elements if e.S == "/Figure"]
        kinds = [str(e.S) for e in elements]
    for tag, kind in (("h1", "/H1"), ("h2", "/H2"), ("h3", "/H3")):
        assert kinds.count(kind) == sum(len(page.find_all(tag)) for page in pages), tag
    # a table continued on the next page is tagged there again, with its header row
    for tag, kind in (("table", "/Table"), ("th", "/TH"), ("thead", "/THead")):
        assert kinds.count(kind) >= sum(len(page.find_all(tag)) for page in pages), tag
    shown = [
        c
        for page in pages
        for c in page.find_all("caption")
        if "kawaeval-sr-only" not in c.get("class", [])
    ]
    assert kinds.count("/Caption") == len(shown)
    alts = [img["alt"] for page in pages for img in page.find_all("img")]
    assert len(alts) >= 5  # the charts of chapter 2 and of each goal
    assert figures == alts
    assert all(alt.strip() for alt in figures)


def _render(html: str, tmp_path: Path) -> Path:
    return pdf.render_pdf(html, tmp_path, tmp_path / "t.pdf")


def _pixel() -> str:
    """A one-pixel PNG as a data URI, as the chapters inline their charts."""
    import base64

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1, 1), "white").save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def test_an_image_without_alt_text_fails_the_pdf(tmp_path):
    pytest.importorskip("weasyprint")
    html = f'<html lang="ja"><body><h1>題</h1><img src="{_pixel()}"></body></html>'
    with pytest.raises(PdfRenderError, match="has no required alt description") as caught:
        _render(html, tmp_path)
    assert "data:image/png;base64,…" in str(caught.value)  # not the image's bytes
    assert caught.value.exit_code == 1
    assert list(tmp_path.iterdir()) == []  # nothing half-written
    _render(html.replace("<img ", '<img alt="一つの点" '), tmp_path)  # with alt it is made
    assert (tmp_path / "t.pdf").is_file()


def test_a_document_without_a_language_fails_the_pdf(tmp_path):
    pytest.importorskip("weasyprint")
    with pytest.raises(PdfRenderError, match='Missing required "lang"'):
        _render("<html><body><h1>題</h1><p>本文</p></body></html>", tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_provenance_is_at_the_end_of_the_pdf_not_before_the_content(pdf_file, pdf_report):
    outline = _outline(pdf_file)
    title, page, _ = outline[-1]
    texts = _pages_text(pdf_file)
    assert title == "作成情報" and page > outline[-2][1]
    assert "SHA-256" in texts[page - 1]
    assert not [n for n, text in enumerate(texts[: page - 1], 1) if "SHA-256" in text]
    manifest = json.loads((pdf_report / "data" / "manifest.json").read_text("utf-8"))
    rest = _flat("".join(texts[page - 1 :]))
    for record in manifest["files"]:
        assert _flat(record["sha256"]) in rest, record["file"]


# ---------------------------------------------------------------- stamps and a failed PDF


def _files(report: Path) -> dict[str, bytes]:
    return {
        p.relative_to(report).as_posix(): p.read_bytes() for p in report.rglob("*") if p.is_file()
    }


@pytest.mark.slow
def test_pdf_is_part_of_the_report_and_a_failed_one_leaves_the_previous_report_whole(
    tmp_path, monkeypatch
):
    weasyprint = pytest.importorskip("weasyprint")
    chapter = Chapter("00_interpreter", FIXTURES / "interpreter_chapter.ipynb", "interpreter")
    report = tmp_path / "FY2021"

    def build(**options):
        (result,) = build_reports(
            [2021], out_dir=tmp_path, chapters=[chapter], progress_stream=io.StringIO(), **options
        )
        return result.status

    assert build() == "built"
    assert not list(report.glob("*.pdf"))
    # an HTML-only report is not up to date when the PDF is asked for (its chapters are reused)
    assert build(pdf=True) == "reused"
    assert sorted(p.name for p in report.glob("*.pdf")) == [
        "川崎市国際施策推進プラン_第２期実行プログラム_FY2021.pdf",
        "川崎市国際施策推進プラン_第２期実行プログラム_FY2021_概要.pdf",
    ]
    assert build(pdf=True) == "up to date"
    before = _files(report)

    def broken(self, *args, **kwargs):
        raise RuntimeError("layout failed")

    monkeypatch.setattr(weasyprint.HTML, "render", broken)
    with pytest.raises(PdfRenderError, match="layout failed") as caught:
        build(pdf=True, force=True)
    assert caught.value.exit_code == 1
    assert _files(report) == before
    left = sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".lock")
    assert left == ["FY2021"]  # no staging folder left
