"""The built report as a reader sees it: Debian's Chromium, headless, driven by playwright.

Playwright is pointed at the system browser (``executable_path``), so nothing is downloaded;
without Chromium the tests skip on a laptop and fail under ``.ci/run``.

Every page of the sample report, the hostile-text report and the other plan's report is also
an accessibility gate (docs/accessibility.md): axe-core, from the axe-playwright-python
package (its axe.min.js, never fetched), finds no violation under WCAG 2.0 / 2.1 A and AA and
axe's best practices, and our own checks find what axe passes but a reader misses.
"""

import csv
import io
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import REPO

from kawaeval.build.building import build_reports, chapters_for
from kawaeval.paths import SAMPLE_RAW_DIR
from kawaeval.plan import load_plan

# one xdist worker builds the reports (session fixtures) and starts Chromium once
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

ESCAPING_RAW = Path(__file__).parent / "fixtures" / "report" / "raw_escaping"
HOSTILE_YEAR = 2020
OTHER_PLAN_RAW = REPO / "docs" / "examples" / "midori-machi"
OTHER_PLAN_YEAR = 2024

# axe-core's rule tags the gate runs (JIS X 8341-3:2016 AA is WCAG 2.0 AA; 2.1 and axe's
# best practices are more).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
# What nbconvert writes as alt when a notebook's image has none: not a description.
NBCONVERT_PLACEHOLDER = "No description has been provided for this image"

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


# ---------------------------------------------------------------- the browser (conftest.py)


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
def other_plan_report(tmp_path_factory) -> Path:
    """The other plan's report (docs/examples/midori-machi): other words, other goals."""
    out = tmp_path_factory.mktemp("browser_other_plan")
    (result,) = build_reports(
        [OTHER_PLAN_YEAR], raw_dir=OTHER_PLAN_RAW, out_dir=out, progress_stream=io.StringIO()
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


# What a screen reader or a keyboard user needs that axe does not check, or checks more
# leniently: every image with a meaningful alt, the page's language, every data table with a
# caption and header cells that say what they head.
ACCESSIBILITY = r"""(placeholder) => {
    const found = [];
    const lang = document.documentElement.getAttribute('lang');
    if (lang !== 'ja') found.push(`page language is ${JSON.stringify(lang)}, not "ja"`);
    const generic = /^(image|img|picture|chart|graph|figure|画像|図|グラフ|写真)$/i;
    for (const img of document.querySelectorAll('img, [role="img"]')) {
        const alt = (img.getAttribute('alt') ?? img.getAttribute('aria-label') ?? '').trim();
        const src = (img.getAttribute('src') || '').slice(0, 40);
        const fileName = /\.(png|jpe?g|gif|svg)$/i.test(alt);
        if (!alt || alt === placeholder || generic.test(alt) || fileName)
            found.push(`image without a meaningful alt: ${JSON.stringify(alt)} (${src})`);
    }
    for (const table of document.querySelectorAll('table')) {
        if (['presentation', 'none'].includes(table.getAttribute('role'))) continue;
        const caption = table.querySelector(':scope > caption');
        const name = caption ? caption.textContent.trim() : '';
        if (!name) found.push(`table without a caption: ${table.outerHTML.slice(0, 80)}`);
        for (const th of table.querySelectorAll('th')) {
            if (!['col', 'row', 'colgroup', 'rowgroup'].includes(th.getAttribute('scope')))
                found.push(`header cell without scope in "${name}": ${th.outerHTML.slice(0, 80)}`);
        }
    }
    return found;
}"""
# The element that has the keyboard focus, as a reader sees it.
FOCUSED = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    return {
        html: el.outerHTML.slice(0, 80), rel: el.getAttribute('rel'), href: el.href || null,
        nav: Array.from(document.querySelectorAll('a[rel=prev], a[rel=next]')).indexOf(el),
        outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 1,
        shadow: style.boxShadow !== 'none',
    };
}"""
# How many elements could take the focus (an upper bound on the Tab presses needed).
FOCUSABLE = """() => document.querySelectorAll(
    'a[href], summary, button, input, select, textarea, [tabindex]'
).length"""


def _axe_violations(tab: Visit) -> list[str]:
    """axe-core's violations on the page the tab shows, one line per element."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    results = Axe().run(tab.page, options=options)
    return [
        f"axe {rule['id']} ({rule['impact']}): {rule['help']}: {node['target']}"
        for rule in results.response["violations"]
        for node in rule["nodes"]
    ]


def _keyboard(tab: Visit) -> tuple[list[str], list[dict]]:
    """Tab through the page: (problems, what took the focus in order). Every focused element
    shows an outline, and the previous / next links are among them."""
    problems, focused = [], []
    tab.page.evaluate("() => { document.activeElement && document.activeElement.blur(); }")
    for _ in range(tab.page.evaluate(FOCUSABLE)):
        tab.page.keyboard.press("Tab")
        element = tab.page.evaluate(FOCUSED)
        if element is None:  # past the last one
            break
        focused.append(element)
        if not (element["outline"] or element["shadow"]):
            problems.append(f"no visible focus outline on {element['html']}")
    reached = {f["nav"] for f in focused}
    for index, (rel, href) in enumerate(
        tab.page.eval_on_selector_all(
            "a[rel=prev], a[rel=next]", "links => links.map(a => [a.getAttribute('rel'), a.href])"
        )
    ):
        if index not in reached:
            problems.append(f"the {rel} link to {href} cannot be reached with the Tab key")
    return problems, focused


def _accessibility(tab: Visit) -> list[str]:
    """axe-core and our own checks on the page the tab shows, as readable lines."""
    name = tab.current_file().name
    problems = _axe_violations(tab)
    problems += tab.page.evaluate(ACCESSIBILITY, NBCONVERT_PLACEHOLDER)
    problems += _keyboard(tab)[0]
    return [f"{name}: {line}" for line in problems]


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
            "problems": _check_page(tab) + _accessibility(tab),
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


# ---------------------------------------------------------------- the other plan's report


def test_the_other_plans_report_reads_in_chromium(browser, other_plan_report, visit, tmp_path):
    tab = visit(other_plan_report)
    pages = _read_through(tab)

    problems = [line for page in pages.values() for line in page["problems"]]
    assert not problems, "\n".join(problems)
    chapters = chapters_for(load_plan(OTHER_PLAN_RAW))
    assert set(pages) == {"index.html", "summary.html", *(f"{c.name}.html" for c in chapters)}
    tab.open("05_goal2.html")
    tab.screenshot(tmp_path / "screenshots" / "other_plan_05_goal2.png")


# ---------------------------------------------------------------- accessibility


def test_prev_and_next_links_work_from_the_keyboard(browser, sample_report, visit):
    """Tab reaches the next chapter's link, Enter opens it; and back with the previous one."""
    tab = visit(sample_report)
    chapters = chapters_for(load_plan())
    first, second = (f"{c.name}.html" for c in chapters[:2])
    for start, rel, expected in ((first, "next", second), (second, "prev", first)):
        tab.open(start)
        problems, focused = _keyboard(tab)
        assert not problems, "\n".join(problems)
        presses = next(i for i, f in enumerate(focused, 1) if f["rel"] == rel)
        tab.open(start)
        for _ in range(presses):
            tab.page.keyboard.press("Tab")
        with tab.page.expect_navigation():
            tab.page.keyboard.press("Enter")
        assert tab.current_file().name == expected, (start, rel)


def _seed(html: str, old: str, new: str) -> str:
    assert old in html, f"the page no longer has {old!r}: update the seeded violation"
    return html.replace(old, new, 1)


# (page, what is broken in it, a line each check must report)
SEEDED = {
    "image without alt": (
        "02_achievement.html",
        lambda html: re.sub(r'<img alt="[^"]*"', "<img", html, count=1),
        ["image without a meaningful alt", "axe image-alt"],
    ),
    "nbconvert's placeholder as alt": (
        "02_achievement.html",
        lambda html: re.sub(
            r'<img alt="[^"]*"', f'<img alt="{NBCONVERT_PLACEHOLDER}"', html, count=1
        ),
        [f'image without a meaningful alt: "{NBCONVERT_PLACEHOLDER}"'],
    ),
    "page without a language": (
        "01_plan.html",
        lambda html: _seed(html, '<html lang="ja">', "<html>"),
        ['page language is null, not "ja"', "axe html-has-lang"],
    ),
    "table without a caption": (
        "04_overall.html",
        lambda html: re.sub(r"<caption>[^<]*</caption>", "", html, count=1),
        ["table without a caption"],
    ),
    "header cell without scope": (
        "04_overall.html",
        lambda html: _seed(html, ' scope="col"', ""),
        ["header cell without scope"],
    ),
    "focus outline removed": (
        "05_goal1.html",
        lambda html: _seed(
            html,
            "</head>",
            "<style>a:focus-visible, a:focus { outline: none !important; }</style></head>",
        ),
        ["no visible focus outline"],
    ),
    "next link out of the Tab order": (
        "05_goal1.html",
        lambda html: _seed(html, 'rel="next">', 'rel="next" tabindex="-1">'),
        ["the next link to", "cannot be reached with the Tab key"],
    ),
    "two navigations with one name": (
        "03_highlights.html",
        lambda html: html.replace("章の移動（ページの末尾）", "章の移動（ページの先頭）"),
        ["axe landmark-unique"],
    ),
}


@pytest.mark.parametrize("violation", list(SEEDED))
def test_each_accessibility_check_catches_its_seeded_violation(
    browser, sample_report, visit, tmp_path, violation
):
    """A copy of the sample report with one thing broken: the gate reports it on that page
    (so the zero-violation results above can fail)."""
    name, break_page, expected = SEEDED[violation]
    broken = tmp_path / "FY2021"
    shutil.copytree(sample_report, broken)
    page = broken / name
    html = page.read_text(encoding="utf-8")
    seeded = break_page(html)
    assert seeded != html, violation
    page.write_text(seeded, encoding="utf-8")
    tab = visit(broken)
    tab.open(name)
    problems = "\n".join(_accessibility(tab))
    for line in expected:
        assert line in problems, f"{violation}: {line!r} not reported in:\n{problems}"
    if violation == "nbconvert's placeholder as alt":
        assert "axe image-alt" not in problems  # axe passes it: only our check sees it
