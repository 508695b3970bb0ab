"""Where kawaeval finds its own files, and the project folder a command works in.

kawaeval's own files (the chapter notebooks, the templates, the bundled plan, the sample
records) are package data, found through ``importlib.resources``. A wheel carries all of them
inside the package (``kawaeval/notebooks/``, ``kawaeval/sample/``, mapped there from the
repository's ``notebooks/`` and ``data/raw/`` by ``pyproject.toml``); a checkout, editable
install or not, keeps those two in the repository, where they are found beside the package.

The project (``data/raw/``, ``data/processed/``, ``reports/``) is where the user works: the
command's options first (``--raw``, ``--out``), then ``$KAWAEVAL_HOME``, then the current folder.
"""

import os
from importlib.resources import files
from pathlib import Path

HOME_VARIABLE = "KAWAEVAL_HOME"
PLAN_FILE_NAME = "plan.toml"

# A folder on disk: papermill, nbconvert and WeasyPrint read these files by path.
PACKAGE_DIR = Path(str(files("kawaeval")))
# What holds the package: the repository in a checkout, site-packages when installed.
SOURCE_ROOT = PACKAGE_DIR.parent


def _package_data(installed: str, checkout: str) -> Path:
    """A folder of package data: inside the installed package, else the checkout's folder."""
    inside = PACKAGE_DIR / installed
    return inside if inside.is_dir() else SOURCE_ROOT / checkout


NOTEBOOKS_DIR = _package_data("notebooks", "notebooks")
SAMPLE_RAW_DIR = _package_data("sample", "data/raw")
BUNDLED_PLAN = PACKAGE_DIR / "data" / PLAN_FILE_NAME
TEMPLATES_DIR = PACKAGE_DIR / "report" / "templates"


def project_home() -> Path:
    """The project folder: ``$KAWAEVAL_HOME`` when set, else the current folder."""
    home = os.environ.get(HOME_VARIABLE, "")
    return Path(home).expanduser() if home else Path.cwd()


def default_raw_dir() -> Path:
    """The raw folder when none is given: ``data/raw/`` of the project."""
    return project_home() / "data" / "raw"


def default_processed_dir() -> Path:
    """Where ``kawaeval clean`` writes when no ``--out`` is given: ``data/processed/``."""
    return project_home() / "data" / "processed"


def default_reports_dir() -> Path:
    """Where ``kawaeval build`` writes when no ``--out`` is given: ``reports/``."""
    return project_home() / "reports"


_MOVED = {
    "RAW_DIR": "default_raw_dir() (the project's data/raw/) or SAMPLE_RAW_DIR (the sample)",
    "PROCESSED_DIR": "default_processed_dir()",
    "REPORTS_DIR": "default_reports_dir()",
    "DATA_DIR": "project_home() / 'data'",
    "PROJECT_ROOT": "project_home() (the user's project) or SOURCE_ROOT (what holds the package)",
}


def __getattr__(name: str):
    if name in _MOVED:
        raise AttributeError(
            f"kawaeval.paths.{name} is gone: the project folder is chosen when a command runs;"
            f" use kawaeval.paths.{_MOVED[name]}"
        )
    raise AttributeError(f"module 'kawaeval.paths' has no attribute {name!r}")
