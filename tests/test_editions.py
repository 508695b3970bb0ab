"""The registry of editions (kawaeval.report.editions): which options ask for which files."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import EDITIONS_EPOCH, require_system_tool, source_date_epoch

from kawaeval.build.building import Chapter, build_reports
from kawaeval.exceptions import DocxRenderError, DocxUnavailableError, PdfUnavailableError
from kawaeval.paths import SAMPLE_RAW_DIR
from kawaeval.report import editions


def test_every_edition_has_an_option_a_name_and_a_link_text(assessment):
    assert editions.OPTIONS == ("pdf", "docx")
    assert [(e.key, e.option) for e in editions.EDITIONS] == [
        ("summary", None),
        ("pdf", "pdf"),
        ("summary_pdf", "pdf"),
        ("docx", "docx"),
    ]
    summary = ("概要版（HTML）", "summary.html")
    assert editions.downloads(assessment, ["docx", "pdf"]) == [
        summary,
        ("報告書（PDF、印刷用）", "川崎市国際施策推進プラン_第２期実行プログラム_FY2021.pdf"),
        ("概要版（PDF、印刷用）", "川崎市国際施策推進プラン_第２期実行プログラム_FY2021_概要.pdf"),
        ("報告書（Word、意見照会用）", "川崎市国際施策推進プラン_第２期実行プログラム_FY2021.docx"),
    ]
    assert editions.downloads(assessment, []) == [summary]


@pytest.mark.parametrize(
    ("requested", "previous", "expected"),
    [
        ({}, [], []),
        ({"pdf": True}, [], ["pdf"]),
        ({"pdf": None, "docx": None}, ["pdf"], ["pdf"]),  # not said: as the report had it
        ({"docx": True}, ["pdf"], ["pdf", "docx"]),  # asked for one more: both
        ({"pdf": False}, ["pdf", "docx"], ["docx"]),  # --no-pdf drops it, keeps the other
        ({"pdf": False, "docx": False}, ["pdf", "docx"], []),
        ({}, ["summary", "pdf"], ["pdf"]),  # an option no edition has any more is dropped
    ],
)
def test_options_stick_until_a_build_says_no(requested, previous, expected):
    assert editions.resolve_options(requested, previous) == expected


def test_an_edition_without_an_option_is_written_by_every_build(monkeypatch):
    always = editions.Edition("page", "概要", None, lambda a: "page.html", lambda *a: None)
    monkeypatch.setattr(editions, "EDITIONS", (always, *editions.EDITIONS))
    assert [e.key for e in editions.editions_for([])] == ["page", "summary"]
    assert [e.key for e in editions.editions_for(["docx"])] == ["page", "summary", "docx"]


def test_only_the_editions_asked_for_are_checked(monkeypatch):
    def missing():
        raise DocxUnavailableError("ImportError: no pypandoc")

    monkeypatch.setattr(
        editions,
        "EDITIONS",
        tuple(
            editions.Edition(**{**e.__dict__, "check_available": missing}) if e.key == "docx" else e
            for e in editions.EDITIONS
        ),
    )
    editions.check_available([])  # nothing asked for: nothing needed
    with pytest.raises(DocxUnavailableError) as caught:
        editions.check_available(["docx"])
    assert caught.value.exit_code == 2
    assert "pip install 'kawaeval[docx]'" in str(caught.value)


def test_unavailable_editions_say_what_to_install():
    for error, extra in ((PdfUnavailableError, "pdf"), (DocxUnavailableError, "docx")):
        message = str(error("ImportError: x"))
        assert f"pip install 'kawaeval[{extra}]'" in message and "make install" in message


# ---------------------------------------------------------------- editions stick


FIXTURES = Path(__file__).parent / "fixtures" / "report"
PDF_NAME = "川崎市国際施策推進プラン_第２期実行プログラム_FY2021.pdf"
DOCX_NAME = "川崎市国際施策推進プラン_第２期実行プログラム_FY2021.docx"
SUMMARY_PDF_NAME = "川崎市国際施策推進プラン_第２期実行プログラム_FY2021_概要.pdf"


def _files(report: Path) -> dict[str, bytes]:
    return {
        p.relative_to(report).as_posix(): p.read_bytes() for p in report.rglob("*") if p.is_file()
    }


@pytest.fixture
def build(tmp_path):
    """Build FY2021 of the sample records into tmp_path/out with one quick chapter:
    ``build(**options) -> (status, console)``."""
    pytest.importorskip("weasyprint")
    pytest.importorskip("pypandoc")
    chapter = Chapter("00_interpreter", FIXTURES / "interpreter_chapter.ipynb", "interpreter")
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE_RAW_DIR, raw)

    def run(**options) -> tuple[str, str]:
        console = io.StringIO()
        with source_date_epoch(EDITIONS_EPOCH):
            (result,) = build_reports(
                [2021],
                raw_dir=raw,
                out_dir=tmp_path / "out",
                chapters=[chapter],
                progress_stream=console,
                **options,
            )
        return result.status, console.getvalue()

    run.raw = raw
    run.report = tmp_path / "out" / "FY2021"
    return run


def _pdf_text(path: Path) -> str:
    tool = require_system_tool("pdftotext", "poppler-utils")
    done = subprocess.run([tool, "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True)
    return re.sub(r"\s+", "", done.stdout)


def _editions(report: Path) -> list[str]:
    return sorted(p.name for p in report.iterdir() if p.suffix in (".pdf", ".docx"))


@pytest.mark.slow
def test_editions_stick_until_a_build_says_no(build):
    report = build.report
    status, console = build(pdf=True, docx=True)
    assert status == "built"
    assert _editions(report) == [DOCX_NAME, PDF_NAME, SUMMARY_PDF_NAME]
    # the console names every file a reader opens
    for name in ("index.html", "tables.xlsx", "summary.html", PDF_NAME, SUMMARY_PDF_NAME):
        assert str(report / name) in console, name
    assert str(report / DOCX_NAME) in console
    soup = BeautifulSoup((report / "index.html").read_text("utf-8"), "html.parser")
    links = [a["href"] for a in soup.select(".kawaeval-downloads a")]
    assert links[:4] == ["summary.html", PDF_NAME, SUMMARY_PDF_NAME, DOCX_NAME]

    # a plain build of the same inputs: up to date, the editions kept as they are
    before = _files(report)
    status, console = build()
    assert status == "up to date" and "editions kept: --pdf, --docx" in console
    assert _files(report) == before

    # the inputs change but not the assessment (a blank line at the end of a file): chapters
    # reused, editions made again
    with (build.raw / "取組_港湾局.csv").open("ab") as records:
        records.write(b"\r\n")
    status, console = build()
    assert status == "reused"
    assert _editions(report) == [DOCX_NAME, PDF_NAME, SUMMARY_PDF_NAME]
    assert str(report / PDF_NAME) in console and str(report / DOCX_NAME) in console
    assert str(report / SUMMARY_PDF_NAME) in console

    # what the report says changes (its notice): built again, the editions say it too
    (build.raw / "notice.txt").write_text("差し替え版のお知らせ（テスト）", encoding="utf-8")
    status, console = build()
    assert status == "built"
    document = zipfile.ZipFile(report / DOCX_NAME).read("word/document.xml").decode()
    assert "差し替え版のお知らせ（テスト）" in document
    assert "差し替え版のお知らせ（テスト）" in _pdf_text(report / PDF_NAME)
    assert "差し替え版のお知らせ（テスト）" in _pdf_text(report / SUMMARY_PDF_NAME)
    assert "差し替え版のお知らせ（テスト）" in (report / "summary.html").read_text("utf-8")

    # --no-pdf drops both PDFs and keeps the Word file and the summary page; the console
    # says what went
    status, console = build(pdf=False)
    assert _editions(report) == [DOCX_NAME]
    assert f"removed {report / PDF_NAME} (--no-pdf)" in console
    assert f"removed {report / SUMMARY_PDF_NAME} (--no-pdf)" in console
    assert (report / "summary.html").is_file()
    soup = BeautifulSoup((report / "index.html").read_text("utf-8"), "html.parser")
    links = {a["href"] for a in soup.select(".kawaeval-downloads a")}
    assert {DOCX_NAME, "summary.html"} <= links and PDF_NAME not in links
    assert SUMMARY_PDF_NAME not in links
    assert build()[0] == "up to date" and _editions(report) == [DOCX_NAME]
    build(docx=False)
    assert _editions(report) == []
    assert build()[0] == "up to date" and _editions(report) == []


@pytest.mark.slow
def test_a_failing_edition_leaves_the_previous_report_whole(build, monkeypatch):
    from kawaeval.report import docx as word

    build(pdf=True, docx=True)
    before = _files(build.report)
    monkeypatch.setattr(word, "pandoc_path", lambda: "false")  # pandoc fails, writes nothing
    with pytest.raises(DocxRenderError, match="could not make the Word file") as caught:
        build(force=True)
    assert caught.value.exit_code == 1
    assert _files(build.report) == before
    out = build.report.parent
    assert sorted(p.name for p in out.iterdir() if p.suffix != ".lock") == ["FY2021"]


@pytest.mark.slow
def test_a_kept_edition_whose_tool_is_missing_says_how_to_stop_it(build, monkeypatch):
    build(docx=True)
    before = _files(build.report)
    with (build.raw / "取組_港湾局.csv").open("ab") as records:  # stale now
        records.write(b"\r\n")
    monkeypatch.setitem(sys.modules, "pypandoc", None)
    with pytest.raises(DocxUnavailableError) as caught:
        build()
    message = str(caught.value)
    assert "pip install 'kawaeval[docx]'" in message and "--no-docx stops making it" in message
    assert caught.value.exit_code == 2
    assert _files(build.report) == before
    status, _ = build(docx=False)  # says no: builds without it
    assert status == "reused" and _editions(build.report) == []


def test_the_cli_passes_no_pdf_and_no_docx(monkeypatch):
    from kawaeval import cli
    from kawaeval.build import building

    seen = []
    monkeypatch.setattr(building, "build_reports", lambda **kw: seen.append(kw) or [])
    for args, expected in (
        ([], (None, None)),
        (["--pdf"], (True, None)),
        (["--no-pdf", "--docx"], (False, True)),
        (["--no-docx"], (None, False)),
    ):
        assert cli.main(["build", "--fiscal-year", "2021", *args]) == 0
        assert (seen[-1]["pdf"], seen[-1]["docx"]) == expected, args


def test_a_stamp_says_which_editions_its_report_has():
    from kawaeval.build.editions import stamp_editions

    assert stamp_editions(None) == [] and stamp_editions({}) == []
    assert stamp_editions({"editions": ["docx"]}) == ["docx"]
    assert stamp_editions({"pdf": True}) == ["pdf"]  # a stamp from before editions stuck
    assert stamp_editions({"pdf": False}) == []
