"""Fixtures shared by the tests: a project folder of their own, the hand-written assessment, the
published figures; and the rules that keep the suite fast and safe on every core.

- Every test session (each pytest-xdist worker has its own) runs in a project folder of its
  own (``KAWAEVAL_HOME``, its ``data/raw/`` a copy of the sample), so that nothing a test
  builds with the defaults lands in the checkout's ``reports/`` or ``data/processed/``.
- A test that starts a kernel, LibreOffice or Chromium (in its setup or its body) fails unless
  it is marked ``slow``: ``make test-fast`` runs the rest.
- The longest tests run first, then the other slow ones, so that on several cores no long test
  starts last.
"""

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kawaeval.evaluation.model import Assessment
from kawaeval.paths import HOME_VARIABLE, SAMPLE_RAW_DIR

REPO = Path(__file__).resolve().parents[1]
"""The checkout the tests run from (its pyproject.toml, scripts, Makefile, .venv)."""
FIXTURES = Path(__file__).parent / "fixtures"
# CI and developers have the project's shared/ folder beside the checkout.
SHARED_PUBLISHED = REPO.parent / "shared" / "reference" / "published_figures.json"


@pytest.fixture(scope="session", autouse=True)
def project_home(tmp_path_factory) -> Path:
    """The project folder every test works in: ``KAWAEVAL_HOME``, ``data/raw/`` the sample."""
    home = tmp_path_factory.mktemp("home")
    shutil.copytree(SAMPLE_RAW_DIR, home / "data" / "raw")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(HOME_VARIABLE, str(home))
        yield home


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


# ---------------------------------------------------------------- what makes a test slow

# Processes that make a test slow: a Jupyter kernel (cold, or the warm pool's zygote), a build
# run as a command (its kernels), JupyterLab, LibreOffice, Chromium (playwright's driver).
HEAVY = re.compile(
    r"ipykernel_launcher|kawaeval\.build\.zygote|kawaeval\S*\s(\S+\s)*build\b"
    r"|jupyter\S*\s+lab\b|jupyterlab|soffice|libreoffice|chromium|playwright"
)
_started: list[str] = []
_execute_child = subprocess.Popen._execute_child


def _watch(self, args, *rest, **kwargs):
    """Every process the test process starts passes here (subprocess, asyncio, playwright)."""
    command = args if isinstance(args, str | bytes) else " ".join(map(str, args))
    if HEAVY.search(str(command)):
        _started.append(str(command))
    return _execute_child(self, args, *rest, **kwargs)


subprocess.Popen._execute_child = _watch


def _check_slow(item: pytest.Item, phase: str) -> None:
    started, _started[:] = list(_started), []
    if started and item.get_closest_marker("slow") is None:
        shown = started[0] if len(started[0]) < 160 else started[0][:160] + "..."
        pytest.fail(
            f"this test starts a kernel, LibreOffice, Chromium or a build ({phase}: {shown}):"
            " mark it @pytest.mark.slow (tests/conftest.py)",
            pytrace=False,
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    _started.clear()
    result = yield
    _check_slow(item, "setup")
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    _started.clear()
    result = yield
    _check_slow(item, "call")
    return result


# The longest (minutes each): they start first, each on a core of its own, while the other
# cores take the rest. `make test` keeps this order (--dist loadgroup --no-loadscope-reorder).
LONGEST = ("tests/test_wheel.py", "tests/test_size.py")


def pytest_collection_modifyitems(config, items):
    """The longest tests first, then the other slow ones, then the rest, each in file order
    (the same order on every xdist worker)."""

    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::")[0]
        if path in LONGEST and item.get_closest_marker("slow") is not None:
            return LONGEST.index(path)
        return len(LONGEST) + (item.get_closest_marker("slow") is None)

    items.sort(key=rank)


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
