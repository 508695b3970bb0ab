"""Fixtures shared by the report tests: the hand-written assessment and the published figures."""

import contextlib
import io
import json
import os
from pathlib import Path

import pytest

from kawaeval.evaluation.model import Assessment
from kawaeval.paths import PROJECT_ROOT

FIXTURES = Path(__file__).parent / "fixtures"
# CI and developers have the project's shared/ folder beside the checkout.
SHARED_PUBLISHED = PROJECT_ROOT.parent / "shared" / "reference" / "published_figures.json"


@pytest.fixture
def assessment() -> Assessment:
    """A fresh copy of the hand-written FY2021 assessment (tests may change it)."""
    path = FIXTURES / "report" / "assessment_fy2021.json"
    return Assessment.from_json(path.read_bytes(), path)


@pytest.fixture(scope="session")
def published() -> dict:
    """Every figure the city published; the shared reference when present, else the copy."""
    path = SHARED_PUBLISHED if SHARED_PUBLISHED.is_file() else FIXTURES / "published_figures.json"
    return json.loads(path.read_text(encoding="utf-8"))


REQUIRE_SYSTEM_TOOLS = "KAWAEVAL_REQUIRE_SYSTEM_TOOLS"
"""Set to 1 by .ci/run, which installs Debian's packages: a missing tool then fails the test."""


def require_system_tool(command: str, debian_package: str) -> str:
    """The path of a system command a test needs; skip (fail under CI) when it is missing."""
    import os
    import shutil

    path = shutil.which(command)
    if path is not None:
        return path
    message = (
        f"{command} is not installed; install it with: sudo apt-get install {debian_package}"
        " (Debian/Ubuntu)"
    )
    if os.environ.get(REQUIRE_SYSTEM_TOOLS) == "1":
        pytest.fail(f"{message}. {REQUIRE_SYSTEM_TOOLS}=1 (set by .ci/run) makes this a failure.")
    pytest.skip(message)


# ---------------------------------------------------------------- the editions


EDITIONS_EPOCH = "1700000000"  # 2023-11-14T22:13:20Z
"""SOURCE_DATE_EPOCH of the sample report built with its editions (tests/test_pdf, test_docx)."""


@contextlib.contextmanager
def source_date_epoch(value: str | None):
    """SOURCE_DATE_EPOCH set to ``value`` (unset for None) for the duration."""
    before = os.environ.get("SOURCE_DATE_EPOCH")
    if value is None:
        os.environ.pop("SOURCE_DATE_EPOCH", None)
    else:
        os.environ["SOURCE_DATE_EPOCH"] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


def run_cli(args: list[str]) -> tuple[int, str]:
    """``kawaeval ARGS`` in this process: (exit code, what it wrote to stderr)."""
    from kawaeval import cli

    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = cli.main(args)
    return code, err.getvalue()


def build_editions(out: Path) -> Path:
    """The sample FY2021 report built with ``--pdf --docx`` under SOURCE_DATE_EPOCH."""
    with source_date_epoch(EDITIONS_EPOCH):
        code, err = run_cli(
            ["build", "--fiscal-year", "2021", "--out", str(out), "--pdf", "--docx"]
        )
    assert code == 0, err
    return out / "FY2021"


@pytest.fixture(scope="session")
def editions_report(tmp_path_factory) -> Path:
    """The sample FY2021 report with its PDF and Word editions, built once."""
    pytest.importorskip("weasyprint")
    pytest.importorskip("pypandoc")
    return build_editions(tmp_path_factory.mktemp("editions"))


@pytest.fixture(scope="session")
def editions_rebuilt(editions_report, tmp_path_factory) -> Path:
    """The same report built again in another folder (for byte identity)."""
    return build_editions(tmp_path_factory.mktemp("editions-again"))


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, through playwright (no browser download); one for the
    session, shared by every test file (playwright's sync API runs one at a time)."""
    import os

    executable = require_system_tool("chromium", "chromium")
    from playwright.sync_api import sync_playwright

    # Chromium's sandbox refuses to run as root (CI runs as root); /dev/shm is small in
    # containers.
    args = ["--disable-dev-shm-usage"] + (["--no-sandbox"] if os.geteuid() == 0 else [])
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True, args=args)
        yield chromium
        chromium.close()


def edition_pages(report: Path) -> list[tuple]:
    """The report's pages as an edition (PDF, Word) is made from them: index first, then the
    chapters, without what only the HTML report shows (report.combined.HTML_ONLY)."""
    from bs4 import BeautifulSoup

    from kawaeval.build.building import chapters_for
    from kawaeval.plan import load_plan
    from kawaeval.report.combined import HTML_ONLY

    names = ["index.html", *(f"{c.name}.html" for c in chapters_for(load_plan()))]
    pages = []
    for name in names:
        soup = BeautifulSoup((report / name).read_text("utf-8"), "html.parser")
        for element in soup.find_all(class_=HTML_ONLY):
            element.decompose()
        pages.append((name, soup))
    return pages
