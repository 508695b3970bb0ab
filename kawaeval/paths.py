"""Every default path, rooted at this file so that notebooks, the CLI and tests agree."""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent

DATA_DIR = PROJECT_ROOT / "data"
RAW_DIR = DATA_DIR / "raw"
PROCESSED_DIR = DATA_DIR / "processed"
REPORTS_DIR = PROJECT_ROOT / "reports"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"

BUNDLED_DATA_DIR = PACKAGE_DIR / "data"
BUNDLED_PLAN = BUNDLED_DATA_DIR / "plan.toml"
TEMPLATES_DIR = PACKAGE_DIR / "report" / "templates"

PLAN_FILE_NAME = "plan.toml"
