"""The built report as a reader sees it: Debian's Chromium, headless, driven by playwright.

Playwright is pointed at the system browser (``executable_path``), so nothing is downloaded;
without Chromium the tests skip on a laptop and fail under ``.ci/run``.
"""

import csv
import io
import os
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import require_system_tool

from kawaeval.build.building import build_reports, chapters_for
from kawaeval.paths import SAMPLE_RAW_DIR
from kawaeval.plan import load_plan

# one xdist worker builds the reports (session fixtures) and starts Chromium once
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

ESCAPING_RAW = Path(__file__).parent / "fixtures" / "report" / "raw_escaping"
HOSTILE_YEAR = 2020

# Record text written to do harm if a page ever rendered it as markup, ran it, or followed it.
HOSTILE_NAMES = {
    "1-2-90": "<img src=x onerror=alert(1)>",
    "1-2-91": "<script>alert(2)</script>",
    "1-2-92": "javascript:alert(3)",
    "1-2-93": "[リンク](javascript:alert(4))",
    "1-2-94": '=HYPERLINK("http://example.com/?leak","詳細")',
    "1-2-95": '"><svg onload=alert(5)>',
}
HOSTILE_REASON = "<iframe src=javascript:alert(6)></iframe> 新型コロナウイルス感染症の影響"


IMAGES = """() => Array.from(document.images, img => ({
    src: img.src.slice(0, 60), complete: img.complete, width: img.naturalWidth
}))"""
# Anything in the DOM that could run or leave the page: event-handler attributes, script
# elements, javascript: or remote URLs.
ACTIVE = """() => {
    const found = [];
    for (const el of document.querySelectorAll('*')) {
        if (['SCRIPT', 'IFRAME'].includes(el.tagName)) found.push(el.outerHTML.slice(0, 80));
        for (const attr of el.attributes) {
            const value = attr.value.trim().toLowerCase();
            if (attr.name.startsWith('on') || value.startsWith('javascript:')
                || /^(https?:)?\\/\\//.test(value) && ['href', 'src'].includes(attr.name))
                found.push(`<${el.tagName.toLowerCase()} ${attr.name}="${attr.value}">`);
        }
    }
    return found;
}"""


# ---------------------------------------------------------------- the browser


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, through playwright (no browser download)."""
    executable = require_system_tool("chromium", "chromium")
    from playwright.sync_api import sync_playwright

    # Chromium's sandbox refuses to run as root (CI runs as root); /dev/shm is small in
    # containers.
    args = ["--disable-dev-shm-usage"] + (["--no-sandbox"] if os.geteuid() == 0 else [])
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True, args=args)
        yield chromium
        chromium.close()


class Visit:
    """One browser tab on a report folder, recording what a reader's browser would do."""

    def __init__(self, browser, report: Path):
        self.report = report.resolve()
        # offline: a request that tries to leave is recorded, and goes nowhere
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.console_errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on(
            "console",
            lambda msg: self.console_errors.append(msg.text) if msg.type == "error" else None,
        )
        self.page.on("pageerror", lambda exc: self.console_errors.append(str(exc)))
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def open(self, name: str) -> None:
        self.page.goto((self.report / name).as_uri(), wait_until="load")

    def current_file(self) -> Path:
        return Path(unquote(urlsplit(self.page.url).path))

    def outside_requests(self) -> list[str]:
        """Requests for anything but a file in the report folder or inline data."""
        outside = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme == "data":
                continue
            if parts.scheme == "file" and Path(unquote(parts.path)).is_relative_to(self.report):
                continue
            outside.append(url)
        return outside

    def broken_images(self) -> list[dict]:
        return [img for img in self.page.evaluate(IMAGES) if not img["width"]]

    def screenshot(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
        return path

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser):
    opened = []

    def open_visit(report: Path) -> Visit:
        opened.append(Visit(browser, report))
        return opened[-1]

    yield open_visit
    for each in opened:
        each.close()


# ---------------------------------------------------------------- the reports


@pytest.fixture(scope="session")
def sample_report(tmp_path_factory) -> Path:
    """The FY2021 report built once from the bundled sample records."""
    out = tmp_path_factory.mktemp("browser_sample")
    (result,) = build_reports(
        [2021], raw_dir=SAMPLE_RAW_DIR, out_dir=out, progress_stream=io.StringIO()
    )
    return result.report_dir


@pytest.fixture(scope="session")
def hostile_report(tmp_path_factory) -> Path:
    """A FY2020 report from records whose names and reasons are markup, script and formulas."""
    raw = tmp_path_factory.mktemp("browser_hostile_raw") / "raw"
    shutil.copytree(ESCAPING_RAW, raw)
    with (raw / "initiatives.csv").open("a", encoding="utf-8", newline="") as f:
        rows = csv.writer(f, lineterminator="\n")
        for initiative_id, name in HOSTILE_NAMES.items():
            # below target in the evaluated year, so the goal chapter lists name and reason
            rows.writerow([initiative_id, 1, 2, name, "総務企画局", HOSTILE_REASON, 3, 3, 4])
    out = tmp_path_factory.mktemp("browser_hostile")
    (result,) = build_reports(
        [HOSTILE_YEAR],
        raw_dir=raw,
        out_dir=out,
        allow_rejects=True,  # raw_escaping has a row under a goal the plan does not have
        progress_stream=io.StringIO(),
    )
    return result.report_dir


def _check_page(tab: Visit) -> list[str]:
    """What is wrong with the page the tab shows, as readable lines (empty when nothing)."""
    name = tab.current_file().name
    problems = [f"{name}: image does not decode: {img}" for img in tab.broken_images()]
    problems += [f"{name}: console error: {text}" for text in tab.console_errors]
    problems += [f"{name}: request leaves the report folder: {u}" for u in tab.outside_requests()]
    problems += [f"{name}: dialog opened: {text}" for text in tab.dialogs]
    problems += [f"{name}: active markup: {html}" for html in tab.page.evaluate(ACTIVE)]
    for href in tab.page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
        parts = urlsplit(href)
        target = Path(unquote(parts.path))
        if parts.scheme != "file" or not target.is_relative_to(tab.report):
            problems.append(f"{name}: link out of the report: {href}")
        elif not target.is_file():
            problems.append(f"{name}: link to a missing file: {href}")
    return problems


def _report_page(tab: Visit, href: str) -> str | None:
    """The report-relative name of an HTML page a link points to (None when it is not one)."""
    parts = urlsplit(href)
    target = Path(unquote(parts.path))
    if parts.scheme != "file" or target.suffix != ".html" or not target.is_file():
        return None
    if not target.is_relative_to(tab.report):
        return None
    return target.relative_to(tab.report).as_posix()


def _read_through(tab: Visit) -> dict[str, dict]:
    """Open index.html and follow every link to another page of the report, as a reader
    would; each page's title, headings, text, links and the problems found on it, by name."""
    pages: dict[str, dict] = {}
    queue = ["index.html"]
    while queue:
        name = queue.pop(0)
        if name in pages:
            continue
        tab.requests.clear()
        tab.console_errors.clear()
        tab.open(name)
        links = tab.page.eval_on_selector_all(
            "a[href]", "links => links.map(a => [a.textContent.trim(), a.href])"
        )
        pages[name] = {
            "title": tab.page.title(),
            "h1": tab.page.locator("h1").all_inner_texts(),
            "h2": tab.page.locator("h2").all_inner_texts(),
            "text": tab.page.locator("body").inner_text(),
            "images": len(tab.page.evaluate(IMAGES)),
            "ids": set(tab.page.eval_on_selector_all("[id]", "els => els.map(e => e.id)")),
            "links": links,
            "problems": _check_page(tab),
        }
        queue += [page for _, href in links if (page := _report_page(tab, href))]
    # a link to a part of a page (#...) finds it there
    for name, page in pages.items():
        for _, href in page["links"]:
            target, fragment = _report_page(tab, href), unquote(urlsplit(href).fragment)
            if target and fragment and fragment not in pages[target]["ids"]:
                page["problems"].append(f"{name}: link to a missing anchor: {href}")
    return pages


# ---------------------------------------------------------------- the sample report


def test_sample_report_reads_in_chromium(browser, sample_report, visit, tmp_path):
    tab = visit(sample_report)
    pages = _read_through(tab)

    problems = [line for page in pages.values() for line in page["problems"]]
    assert not problems, "\n".join(problems)

    # every chapter of the plan is linked from the index, under its title, and opens
    chapters = chapters_for(load_plan())
    toc = {(text, _report_page(tab, href)) for text, href in pages["index.html"]["links"]}
    for chapter in chapters:
        page = f"{chapter.name}.html"
        assert (chapter.title, page) in toc
        assert pages[page]["title"] == chapter.title
        # the Japanese heading is the chapter's title; goal chapters add their initiative count
        (h1,) = pages[page]["h1"]
        assert h1 == chapter.title or h1.startswith(f"{chapter.title}（取組数：")
        assert pages[page]["h2"], f"{page} has no section headings"
    assert pages["02_achievement.html"]["h1"] == ["第2章 全取組の達成度"]
    assert "目標を下回った取組" in pages["05_goal1.html"]["h2"]
    # the charts are there to be decoded (image checks above are not vacuous)
    assert pages["02_achievement.html"]["images"] > 0
    assert all(pages[f"{c.name}.html"]["images"] > 0 for c in chapters if "goal" in c.parameters)

    tab.open("index.html")
    index_shot = tab.screenshot(tmp_path / "screenshots" / "index.png")
    tab.open("05_goal1.html")
    goal_shot = tab.screenshot(tmp_path / "screenshots" / "05_goal1.png")
    assert index_shot.stat().st_size > 0 and goal_shot.stat().st_size > 0


def test_the_checks_catch_a_broken_page(browser, sample_report, visit, tmp_path):
    """A remote script, a broken image, a script error and dead links in a copy of the report
    are each found (so the checks above can fail)."""
    broken = tmp_path / "FY2021"
    shutil.copytree(sample_report, broken)
    page = broken / "02_achievement.html"
    html = page.read_text(encoding="utf-8")
    page.write_text(
        html.replace(
            "</main>",
            '<img src="missing.png" alt="x"><script src="http://127.0.0.1:9/x.js"></script>'
            "<script>undefinedFunction()</script>"
            '<a href="05_goal1.html#no-such-group">1件</a><a href="missing.html">付録</a></main>',
            1,
        ),
        encoding="utf-8",
    )
    problems = _read_through(visit(broken))["02_achievement.html"]["problems"]
    text = "\n".join(problems)
    assert "image does not decode" in text
    assert "request leaves the report folder: http://127.0.0.1:9/x.js" in text
    assert "console error" in text and "undefinedFunction" in text
    assert "active markup" in text
    assert re.search(r"link to a missing anchor: file://\S+/05_goal1.html#no-such-group", text)
    assert re.search(r"link to a missing file: file://\S+/missing.html", text)


# ---------------------------------------------------------------- hostile record text


def test_hostile_record_text_stays_text_in_chromium(browser, hostile_report, visit, tmp_path):
    tab = visit(hostile_report)
    pages = _read_through(tab)

    problems = [line for page in pages.values() for line in page["problems"]]
    assert not problems, "\n".join(problems)
    assert tab.dialogs == []

    # the hostile names and reason are shown to the reader exactly as written
    goal = pages["05_goal1.html"]["text"]
    for name in HOSTILE_NAMES.values():
        assert name in goal
    assert HOSTILE_REASON in goal
    assert "<script>alert(1)</script>" in goal  # from the fixture's own hostile row
    tab.open("05_goal1.html")
    tab.screenshot(tmp_path / "screenshots" / "hostile_05_goal1.png")
