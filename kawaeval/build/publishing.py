"""Staging folders, locks and the atomic swap that publishes a finished report.

A report folder ``OUT/FY2021/`` is only ever replaced whole: a build writes into a staging
folder ``OUT/.FY2021.tmp-*`` while holding the year's lock ``OUT/.FY2021.lock``, then renames.
Any ``.FY2021.tmp-*`` or ``.FY2021.old-*`` found while that lock is free belongs to a build that
is no longer running, and is removed. Nothing here imports pandas, nbformat or matplotlib: the
up-to-date check takes the years' locks too. What a report was made from is
:mod:`kawaeval.build.stamps`.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from filelock import FileLock, Timeout

DEBRIS = re.compile(r"^\.FY(\d{4})\.(tmp|old)-")


# ---------------------------------------------------------------- locks and debris


def lock_path(out_dir: Path, fiscal_year: int) -> Path:
    """The lock a build holds while it writes the report of ``fiscal_year`` into ``out_dir``."""
    return out_dir / f".FY{fiscal_year}.lock"


def year_lock(out_dir: Path, fiscal_year: int):
    """A (not yet acquired) inter-process lock on one year's report in ``out_dir``.

    Not thread-local: the build takes it in its main thread and the pool thread that
    publishes the year releases it.
    """
    return FileLock(lock_path(out_dir, fiscal_year), is_singleton=False, thread_local=False)


def acquire(lock, waiting: Callable[[], None], cancelled: Callable[[], bool] | None = None):
    """Take ``lock``; if another build holds it, call ``waiting`` once and wait for it."""
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
