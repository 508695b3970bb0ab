"""What a report was made from: its build stamp, the keys that decide a rebuild, its provenance.

A year's ``build-stamp.json`` holds the SHA-256 of the raw files, the plan, the notebooks,
the package and the installed distributions, the build's parameters and, once assessed, the
assessment's SHA-256. :func:`quick_stamp` reads file bytes only: deciding that a report is up
to date imports neither pandas nor nbformat (a test checks). :func:`provenance` is what the
index page shows of it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from kawaeval.build.editions import STAMP_KEY
from kawaeval.common.files import file_sha256, source_date
from kawaeval.paths import NOTEBOOKS_DIR, PACKAGE_DIR, project_home
from kawaeval.plan import plan_path
from kawaeval.report.chapters import Chapter
from kawaeval.version import __version__, git_commit

STAMP_FILE = "build-stamp.json"
# Stamp keys that say what the chapters were made from; "inputs" (the raw files) is not one of
# them: a changed file whose year's assessment is unchanged leaves that year's chapters as is.
CHAPTER_KEYS = (
    "package_version",
    "git_commit",
    "plan",
    "notebooks",
    "chapters",
    "package_sha256",
    "environment_sha256",
    "parameters",
    "source_date_epoch",
    "assessment_sha256",
)
# What the quick check compares: everything but the assessment, which needs the records read.
# "since" is the data digest of the report ``--since`` named (build.history), or None.
QUICK_KEYS = (*(k for k in CHAPTER_KEYS if k != "assessment_sha256"), "inputs", STAMP_KEY, "since")


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


def display_path(path: Path) -> str:
    """A path as a report shows it: relative to the project when inside it (a bundled chapter
    as ``notebooks/<name>``, wherever kawaeval is installed), else its name only.

    Reports are mailed: they must not reveal where the records sat on someone's PC, and the
    same inputs in two folders must give the same bytes.
    """
    resolved = path.resolve()
    for root, prefix in ((project_home().resolve(), ""), (NOTEBOOKS_DIR.resolve(), "notebooks/")):
        if resolved != root and resolved.is_relative_to(root):
            return prefix + resolved.relative_to(root).as_posix()
    return resolved.name


def quick_stamp(raw_dir: Path, chapters: Sequence[Chapter], parameters: dict) -> dict:
    """What every year's report depends on, from file bytes alone; no year yet."""
    plan = plan_path(raw_dir)
    return {
        "package_version": __version__,
        "git_commit": git_commit(),
        "plan": {"file": plan.name, "sha256": file_sha256(plan)},
        "inputs": raw_files(raw_dir),
        "notebooks": {c.name: file_sha256(c.notebook) for c in chapters},
        "chapters": [{"name": c.name, "title": c.title, **c.parameters} for c in chapters],
        "package_sha256": package_sha256(),
        "environment_sha256": environment_sha256(),
        "parameters": parameters,
        "source_date_epoch": os.environ.get("SOURCE_DATE_EPOCH") or None,
    }


def year_stamp(
    common: dict, fiscal_year: int, parameters: dict, editions: list[str], since: str | None = None
) -> dict:
    """One year's stamp before its assessment: :func:`quick_stamp` with the year's parameters,
    the edition options its report is built with (:mod:`kawaeval.build.editions`) and the data
    digest of the report its change record was asked to compare with."""
    return {
        **common,
        "parameters": {"fiscal_year": fiscal_year, **parameters},
        STAMP_KEY: list(editions),
        "since": since,
    }


def with_assessment(stamp: dict, assessment_file: Path) -> dict:
    """The stamp once the year is assessed: what decides whether its chapters can be reused."""
    return {**stamp, "assessment_sha256": file_sha256(assessment_file)}


def matches(old: dict | None, new: dict, keys: Sequence[str]) -> bool:
    """True when a published stamp ``old`` has every one of ``keys`` as ``new`` has it."""
    return old is not None and all(k in old and old[k] == new[k] for k in keys)


def up_to_date(report_dir: Path, stamp: dict) -> bool:
    """True when the published report was made from what ``stamp`` describes (no assessment)."""
    return report_dir.is_dir() and matches(read_stamp(report_dir), stamp, QUICK_KEYS)


def chapters_current(report_dir: Path, stamp: dict) -> bool:
    """True when the published chapters were made from the same assessment, code and plan."""
    return matches(read_stamp(report_dir), stamp, CHAPTER_KEYS)


def provenance(stamp: dict, manifest: dict, inputs: list[dict]) -> dict:
    """What the index page shows of how a report was made (kawaeval.report.presenting).

    ``manifest`` is the cleaning manifest (its plan); ``inputs`` every file the report read,
    each ``{"file", "sha256"}``.
    """
    return {
        "package_version": stamp["package_version"],
        "git_commit": stamp["git_commit"],
        "source_date": source_date(),
        "parameters": stamp["parameters"],
        "plan": (manifest["plan"]["file"], manifest["plan"]["sha256"]),
        "inputs": [(f["file"], f["sha256"]) for f in inputs],
    }
