"""Fixtures shared by the report tests: the hand-written assessment and the published figures."""

import json
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
