"""Stamps, staging folders, locks and the atomic swap that publishes a finished report.

A report folder ``OUT/FY2021/`` is only ever replaced whole: a build writes into a staging
folder ``OUT/.FY2021.tmp-*`` while holding the year's lock ``OUT/.FY2021.lock``, then renames.
Any ``.FY2021.tmp-*`` or ``.FY2021.old-*`` found while that lock is free belongs to a build that
is no longer running, and is removed. Nothing here imports pandas, nbformat or matplotlib, so
deciding that a report is up to date is instant.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from kawaeval.common.files import file_sha256
from kawaeval.paths import PACKAGE_DIR, PROJECT_ROOT

STAMP_FILE = "build-stamp.json"
DEBRIS = re.compile(r"^\.FY(\d{4})\.(tmp|old)-")


def git_commit() -> str | None:
    """The commit the package was built from, or None when this is not a git checkout."""
    if not (PROJECT_ROOT / ".git").exists():
        return None
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else None


def package_sha256(package_dir: Path | None = None) -> str:
    """One digest of the package's code, data and templates, so an edited library rebuilds."""
    package_dir = package_dir or PACKAGE_DIR
    digest = hashlib.sha256()
    for path in sorted(package_dir.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package_dir).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def environment_sha256() -> str:
    """One digest of the interpreter and every installed distribution's name and version.

    importlib.metadata finds distributions by their ``*.dist-info`` / ``*.egg-info`` folders in
    the site-packages folders on ``sys.path``, whose names carry name and version; listing
    those names is what it does, without parsing every METADATA file (60 ms for 140
    distributions, against under 1 ms). The working folder is not scanned: where a command is
    started from must not change the stamp.
    """
    names = []
    for entry in sys.path:
        if Path(entry).name not in ("site-packages", "dist-packages"):
            continue
        try:
            with os.scandir(entry) as found:
                names += [e.name for e in found if e.name.endswith((".dist-info", ".egg-info"))]
        except OSError:
            continue
    digest = hashlib.sha256(sys.version.encode() + b"\0" + sys.executable.encode())
    for name in sorted(names):
        digest.update(b"\0" + name.encode())
    return digest.hexdigest()


def raw_files(raw_dir: Path) -> list[dict]:
    """Every file of the raw folder with its SHA-256 (hidden files and Excel's ``~$`` skipped).

    A superset of what cleaning reads: an unrelated file that changes makes the quick check
    fail, and the build then finds the assessment unchanged and reuses the chapters.
    """
    if not raw_dir.is_dir():
        return []
    return [
        {"file": p.name, "sha256": file_sha256(p)}
        for p in sorted(raw_dir.iterdir())
        if p.is_file() and not p.name.startswith((".", "~$"))
    ]


def read_stamp(report_dir: Path) -> dict | None:
    """The stamp of a published report, None when there is none or it cannot be read."""
    try:
        return json.loads((report_dir / STAMP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# ---------------------------------------------------------------- locks and debris


def lock_path(out_dir: Path, fiscal_year: int) -> Path:
    """The lock a build holds while it writes the report of ``fiscal_year`` into ``out_dir``."""
    return out_dir / f".FY{fiscal_year}.lock"


def year_lock(out_dir: Path, fiscal_year: int):
    """A (not yet acquired) inter-process lock on one year's report in ``out_dir``.

    Not thread-local: the build takes it in its main thread and the pool thread that
    publishes the year releases it.
    """
    from filelock import FileLock

    return FileLock(lock_path(out_dir, fiscal_year), is_singleton=False, thread_local=False)


def acquire(lock, waiting: Callable[[], None], cancelled: Callable[[], bool] | None = None):
    """Take ``lock``; if another build holds it, call ``waiting`` once and wait for it."""
    from filelock import Timeout

    try:
        lock.acquire(timeout=0)
    except Timeout:
        waiting()
        lock.acquire(timeout=-1, cancel_check=cancelled)
    return lock


def clear_debris(out_dir: Path, fiscal_year: int) -> list[Path]:
    """Remove the staging and old folders of one year (call while holding its lock)."""
    removed = []
    if not out_dir.is_dir():
        return removed
    for path in sorted(out_dir.iterdir()):
        match = DEBRIS.match(path.name)
        if match and int(match.group(1)) == fiscal_year:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def clear_stale_debris(out_dir: Path) -> list[Path]:
    """Remove debris of every year whose lock is free: builds that are no longer running."""
    from filelock import Timeout

    years = set()
    if out_dir.is_dir():
        years = {int(m.group(1)) for p in out_dir.iterdir() if (m := DEBRIS.match(p.name))}
    removed = []
    for year in sorted(years):
        lock = year_lock(out_dir, year)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            continue  # a live build owns them
        try:
            removed += clear_debris(out_dir, year)
        finally:
            lock.release()
    return removed


# ---------------------------------------------------------------- staging and the swap


def new_staging(out_dir: Path, fiscal_year: int) -> Path:
    """A fresh, readable staging folder for one year's report inside ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".FY{fiscal_year}.tmp-", dir=out_dir))
    staging.chmod(0o755)  # mkdtemp makes it private; the published report is for readers
    return staging


def keep_failed(out_dir: Path, fiscal_year: int, name: str, executed: Path) -> Path:
    """Move a failed executed notebook (papermill's error banner included) out of the build."""
    failed_dir = out_dir / f"FY{fiscal_year}.failed"
    if failed_dir.exists():
        shutil.rmtree(failed_dir)
    target = failed_dir / "notebooks" / f"{name}.ipynb"
    target.parent.mkdir(parents=True)
    if executed.exists():
        shutil.move(str(executed), target)
    return target


def publish(staging: Path, final: Path) -> None:
    """Put the finished report in place of the previous one (renames within one filesystem)."""
    old = None
    if final.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-", dir=final.parent))
        os.replace(final, old / final.name)
    os.replace(staging, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    failed = final.parent / f"{final.name}.failed"
    if failed.exists():
        shutil.rmtree(failed, ignore_errors=True)
