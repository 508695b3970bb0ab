"""A project folder outside the repository: ``kawaeval init`` and ``kawaeval lab``.

A project is a folder with ``data/raw/`` (the records and, optionally, their ``plan.toml``);
commands run in it, or with ``KAWAEVAL_HOME`` set to it, read ``data/raw/`` and write
``data/processed/`` and ``reports/`` there. ``init`` starts one from the sample records and the
bundled plan; ``lab`` copies the chapter notebooks into its ``notebooks/`` for JupyterLab.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from kawaeval.exceptions import ProjectExistsError
from kawaeval.paths import (
    BUNDLED_PLAN,
    HOME_VARIABLE,
    NOTEBOOKS_DIR,
    PLAN_FILE_NAME,
    SAMPLE_RAW_DIR,
)

RAW = Path("data") / "raw"
NOTEBOOKS = "notebooks"


def _package_files(folder: Path, suffix: str = "") -> list[Path]:
    """The files of a package-data folder, without hidden files, Excel's locks or caches."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith((".", "~$", "__")) and p.name.endswith(suffix)
    )


def init_project(folder: Path) -> list[Path]:
    """Make a new project in ``folder``: the sample records and a ``plan.toml`` to edit in
    ``data/raw/``; returns the files written. All or nothing: a failed copy leaves no folder.

    Raises
    ------
    ProjectExistsError
        If ``folder`` exists and is not empty (nothing is overwritten).
    """
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ProjectExistsError(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.init-", dir=folder.parent))
    try:
        raw = staging / RAW
        raw.mkdir(parents=True)
        for source in _package_files(SAMPLE_RAW_DIR):
            shutil.copyfile(source, raw / source.name)
        if not (raw / PLAN_FILE_NAME).exists():
            shutil.copyfile(BUNDLED_PLAN, raw / PLAN_FILE_NAME)
        staging.chmod(0o755)  # mkdtemp makes it private
        if folder.exists():
            folder.rmdir()  # empty, checked above
        os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return sorted(p for p in (folder / RAW).iterdir())


@dataclass(frozen=True)
class Lab:
    """What ``kawaeval lab`` starts: JupyterLab on the project's notebooks, its records found."""

    notebooks: Path
    copied: list[Path]
    kept: list[Path]
    argv: list[str]
    env: dict[str, str]


def prepare_lab(folder: Path, python: str, jupyter_args: list[str]) -> Lab:
    """Copy the chapters (and ``explore.ipynb``) into ``folder/notebooks/`` and say how to
    start JupyterLab there with ``python``; notebooks already there are kept as they are.

    The kernels start in ``notebooks/``, so JupyterLab gets ``KAWAEVAL_HOME`` = ``folder``:
    a notebook's ``raw_dir = None`` then means ``folder/data/raw/``.
    """
    folder = Path(folder).resolve()
    notebooks = folder / NOTEBOOKS
    notebooks.mkdir(parents=True, exist_ok=True)
    copied, kept = [], []
    for source in _package_files(NOTEBOOKS_DIR, ".ipynb"):
        target = notebooks / source.name
        if target.exists():
            kept.append(target)
        else:
            shutil.copyfile(source, target)
            copied.append(target)
    argv = [python, "-m", "jupyterlab", f"--ServerApp.root_dir={notebooks}", *jupyter_args]
    return Lab(notebooks, copied, kept, argv, {**os.environ, HOME_VARIABLE: str(folder)})
