"""Each year's history of replaced reports, and the change record a build adds to a report.

When a build publishes a report whose records or assessment differ from the published one,
the replaced report's data is kept first: ``tidy.parquet``, ``assessment.json`` and
``build-stamp.json`` (small) go to ``OUT/.history/FY2021/<n>-<digest>/``, ``n`` counting up
from 1 and ``digest`` the first 12 hex digits of :func:`data_digest`. A rebuild with the same
records and assessment (``--force``, ``--pdf``) adds no entry.

A report with a predecessor carries a change record (:mod:`kawaeval.report.changes`) against
the previous *different* report: the published one when it differs, else the newest entry of
the history that differs, so a forced rebuild of the same inputs shows the same record.
``build --since REF`` compares with an entry or any report folder instead. A report that
cannot be read (made by an older kawaeval) gives a record that says so. A report is named by
its build stamp and its data digest, never by the time of day.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kawaeval.build.stamps import STAMP_FILE, read_stamp
from kawaeval.common.files import file_sha256
from kawaeval.exceptions import (
    AssessmentFileError,
    NotAReportError,
    SinceNotFoundError,
    UnreadableReportError,
)

HISTORY_DIR = ".history"
ASSESSMENT_FILE = "assessment.json"
TIDY_FILE = "tidy.parquet"
KEPT_FILES = (TIDY_FILE, ASSESSMENT_FILE, STAMP_FILE)
"""What an entry keeps of a replaced report (in the report: ``data/`` for the first two)."""
SHORT_DIGEST = 12
ENTRY = re.compile(r"^(\d+)-([0-9a-f]+)$")


@dataclass(frozen=True)
class Entry:
    """One replaced report kept in a year's history: ``OUT/.history/FY2021/3-1a2b3c4d5e6f``."""

    number: int
    digest: str
    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def label(self) -> str:
        """How a change record names it: 履歴 3（3-1a2b3c4d5e6f）."""
        return entry_label(self.number, self.name)


def entry_label(number: int, name: str) -> str:
    return f"履歴 {number}（{name}）"


def history_dir(out_dir: Path, fiscal_year: int) -> Path:
    """Where the replaced reports of one year are kept."""
    return Path(out_dir) / HISTORY_DIR / f"FY{fiscal_year}"


def entries(out_dir: Path, fiscal_year: int) -> list[Entry]:
    """The year's history, oldest first (folders not named ``<n>-<digest>`` are ignored)."""
    folder = history_dir(out_dir, fiscal_year)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = ENTRY.match(path.name)
        if match and path.is_dir():
            found.append(Entry(int(match.group(1)), match.group(2), path))
    return sorted(found, key=lambda e: e.number)


# ---------------------------------------------------------------- one report's data


@dataclass
class ReportData:
    """One report's data, as a report folder or a history entry holds it.

    ``snapshot`` is its records and assessment (:class:`kawaeval.evaluation.comparison.Snapshot`),
    loaded on first use; ``problem`` says why they cannot be read, when they cannot.
    """

    path: Path
    label: str
    files: dict[str, Path]
    stamp: dict | None
    digest: str
    _snapshot: object = None
    _problem: str | None = None
    _loaded: bool = False
    comparisons: dict = field(default_factory=dict)

    @property
    def snapshot(self):
        self._load()
        return self._snapshot

    @property
    def problem(self) -> str | None:
        self._load()
        return self._problem

    @property
    def fiscal_year(self) -> int | None:
        if self.snapshot is not None:
            return self.snapshot.assessment.fiscal_year
        year = ((self.stamp or {}).get("parameters") or {}).get("fiscal_year")
        return year if isinstance(year, int) else None

    @property
    def final(self) -> bool | None:
        return None if self.snapshot is None else self.snapshot.assessment.is_final

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        self._snapshot, self._problem = _read_snapshot(self.files)

    def ref(self):
        """How a change record names this report."""
        from kawaeval.report.change_record import ReportRef

        return ReportRef(self.label, self.stamp, self.fiscal_year, self.final)


def _layout(folder: Path) -> dict[str, Path]:
    """The data files of a report folder (``data/…``) or of a history entry (side by side)."""
    inside = folder / "data"
    if inside.is_dir():
        return {
            TIDY_FILE: inside / TIDY_FILE,
            ASSESSMENT_FILE: inside / ASSESSMENT_FILE,
            STAMP_FILE: folder / STAMP_FILE,
        }
    return {name: folder / name for name in KEPT_FILES}


def data_digest(files: dict[str, Path]) -> str:
    """One SHA-256 over a report's records and assessment (the files' own SHA-256): equal
    digests mean the same data; a missing file counts as such."""
    digest = hashlib.sha256()
    for name in (TIDY_FILE, ASSESSMENT_FILE):
        path = files[name]
        value = file_sha256(path) if path.is_file() else "missing"
        digest.update(f"{name}\0{value}\n".encode())
    return digest.hexdigest()


def read_report(folder: Path, label: str | None = None) -> ReportData:
    """A report folder or history entry, its data read on first use.

    Raises
    ------
    NotAReportError
        If the folder holds neither a build stamp nor an assessment.
    """
    folder = Path(folder)
    files = _layout(folder) if folder.is_dir() else {}
    if not files or not (files[STAMP_FILE].is_file() or files[ASSESSMENT_FILE].is_file()):
        raise NotAReportError(folder)
    stamp = read_stamp(folder)  # beside the data in both layouts
    stamp = stamp if isinstance(stamp, dict) else None
    return ReportData(folder, label or folder.name, files, stamp, data_digest(files))


def new_report(staging: Path, stamp: dict, tidy, assessment) -> ReportData:
    """The report a build is making (its data already in ``staging/data``), as a record names it."""
    from kawaeval.evaluation.comparison import Snapshot

    files = _layout(staging)
    data = ReportData(staging, "今回の報告書", files, stamp, data_digest(files))
    data._snapshot, data._loaded = Snapshot(tidy, assessment), True
    return data


def _read_snapshot(files: dict[str, Path]):
    """(Snapshot, None), or (None, why in Japanese) when the data cannot be read."""
    import pandas as pd

    from kawaeval.evaluation.comparison import Snapshot
    from kawaeval.evaluation.initiative_changes import TIDY_COLUMNS
    from kawaeval.evaluation.model import Assessment

    missing = [name for name in (TIDY_FILE, ASSESSMENT_FILE) if not files[name].is_file()]
    if missing:
        return None, (
            f"{'、'.join(missing)} がありません（以前の版の kawaeval で作られた報告書です）。"
        )
    path = files[ASSESSMENT_FILE]
    try:
        assessment = Assessment.from_json(path.read_bytes(), path)
    except AssessmentFileError as exc:
        return None, (
            f"{ASSESSMENT_FILE} が、この版の kawaeval の評価結果の形式ではありません"
            f"（{exc.problem}）。"
        )
    try:
        tidy = pd.read_parquet(files[TIDY_FILE])
    except Exception as exc:  # pyarrow raises several kinds for a file it cannot read
        return None, f"{TIDY_FILE} を読み込めません（{type(exc).__name__}: {exc}）。"
    absent = [c for c in TIDY_COLUMNS if c not in tidy.columns]
    if absent:
        return None, f"{TIDY_FILE} に列 {', '.join(absent)} がありません。"
    return Snapshot(tidy, assessment), None


def compared(old: ReportData, new: ReportData):
    """The comparison of two readable reports (computed once per pair)."""
    from kawaeval.evaluation.comparing import compare

    key = (old.digest, new.digest)
    if key not in new.comparisons:
        new.comparisons[key] = compare(old.snapshot, new.snapshot)
    return new.comparisons[key]


def differs(old: ReportData, new: ReportData) -> bool:
    """Whether two reports' records or assessments differ (by what a change record lists:
    a moved file or row alone is no difference); a report that cannot be read differs."""
    if old.digest == new.digest:
        return False
    if old.problem is not None or new.problem is not None:
        return True
    return not compared(old, new).empty


# ---------------------------------------------------------------- a build's change record


@dataclass(frozen=True)
class HistoryPlan:
    """What a year's build does about its history: the report its change record compares
    with (None: no record, the year's first report), how that one was chosen, and whether
    the published report is kept in the history when it is replaced."""

    baseline: ReportData | None
    basis: str
    keep: bool


def resolve_since(reference: str, out_dir: Path, fiscal_year: int) -> ReportData:
    """The report ``build --since REF`` names for one year: an entry of its history (its
    number, its name, or the start of its digest), or a report folder (a reports folder
    holding ``FY<year>`` stands for that report).

    Raises
    ------
    SinceNotFoundError
        If no entry and no report folder answers to ``reference`` (exit 2).
    """
    history = entries(out_dir, fiscal_year)
    path = Path(reference)
    if path.is_dir():
        if (path / f"FY{fiscal_year}").is_dir():
            path = path / f"FY{fiscal_year}"
        try:
            return read_report(path, display(path))
        except NotAReportError:
            pass
    text = reference.strip().lower()
    matches = []
    if text.isdigit():
        matches = [e for e in history if e.number == int(text)]
    elif text:
        matches = [e for e in history if e.name == text]
        if not matches and re.fullmatch(r"[0-9a-f]{4,}", text):
            matches = [e for e in history if e.digest.startswith(text)]
    if len(matches) == 1:
        entry = matches[0]
        return read_report(entry.path, entry.label)
    raise SinceNotFoundError(reference, fiscal_year, [e.name for e in history])


def display(path: Path) -> str:
    """A report folder as a change record names it (no folder of this PC beyond the project)."""
    from kawaeval.build.exporting import display_path

    return display_path(path)


def plan_history(
    final: Path, out_dir: Path, fiscal_year: int, new: ReportData, since: ReportData | None
) -> HistoryPlan:
    """Choose what the year's change record compares with, and whether to keep the published
    report (see the module)."""
    published = None
    if final.is_dir():
        try:
            published = read_report(final)
        except NotAReportError:
            published = None
    keep = published is not None and differs(published, new)
    history = entries(out_dir, fiscal_year)
    if published is not None:
        published.label = entry_label(*_entry_for(published, history))
    if since is not None:
        return HistoryPlan(since, "since", keep)
    if keep:
        return HistoryPlan(published, "previous", True)
    for entry in reversed(history):
        old = read_report(entry.path, entry.label)
        if differs(old, new):
            return HistoryPlan(old, "previous", False)
    return HistoryPlan(None, "previous", False)


def _entry_for(published: ReportData, history: Sequence[Entry]) -> tuple[int, str]:
    """The number and name the published report has, or will have, in the history."""
    short = published.digest[:SHORT_DIGEST]
    if history and history[-1].digest == short:
        return history[-1].number, history[-1].name
    number = history[-1].number + 1 if history else 1
    return number, f"{number}-{short}"


def change_record(plan: HistoryPlan, new: ReportData):
    """The change record of the report being built, or None for a year's first report."""
    from kawaeval.report.change_record import ChangeRecord

    old = plan.baseline
    if old is None:
        return None
    assessment = new.snapshot.assessment
    if old.problem is not None:
        return ChangeRecord(
            old.ref(), new.ref(), assessment, problem=_unreadable(old), basis=plan.basis
        )
    return ChangeRecord(old.ref(), new.ref(), assessment, compared(old, new), basis=plan.basis)


def _unreadable(old: ReportData) -> str:
    return (
        f"{old.problem}次に記録か評価が変わって作り直したとき、この版で作った報告書と比べた"
        "変更の記録が付きます。"
    )


def keep(final: Path, out_dir: Path, fiscal_year: int) -> Entry | None:
    """Keep the published report's data in the history before it is replaced (call while
    holding the year's lock); nothing when the newest entry already holds the same data.

    The entry is written into a temporary folder beside the others and renamed, so a
    half-written entry never shows.
    """
    folder = history_dir(out_dir, fiscal_year)
    for left in folder.glob(".*.tmp-*"):  # a build killed while keeping (the lock is ours)
        shutil.rmtree(left, ignore_errors=True)
    published = read_report(final)
    history = entries(out_dir, fiscal_year)
    number, name = _entry_for(published, history)
    if history and history[-1].name == name:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=folder))
    try:
        for kept, source in published.files.items():
            if source.is_file():
                shutil.copyfile(source, partial / kept)
        partial.chmod(0o755)
        os.replace(partial, folder / name)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return Entry(number, name.partition("-")[2], folder / name)


# ---------------------------------------------------------------- kawaeval diff


def diff_reports(old_folder: Path, new_folder: Path):
    """The change record between any two report folders or history entries.

    Raises
    ------
    NotAReportError
        If a folder is neither a report nor a history entry.
    UnreadableReportError
        If a report's data cannot be read by this kawaeval.
    """
    from kawaeval.report.change_record import ChangeRecord

    reports = []
    for folder in (old_folder, new_folder):
        data = read_report(folder, _diff_label(Path(folder)))
        if data.problem is not None:
            raise UnreadableReportError(folder, data.problem)
        reports.append(data)
    old, new = reports
    return ChangeRecord(
        old.ref(),
        new.ref(),
        new.snapshot.assessment,
        compared(old, new),
        headings=("比較元の報告書", "比較先の報告書"),
        basis="diff",
    )


def _diff_label(folder: Path) -> str:
    match = ENTRY.match(folder.name)
    if match and folder.parent.name.startswith("FY") and folder.parent.parent.name == HISTORY_DIR:
        return f"{folder.parent.name} {entry_label(int(match.group(1)), folder.name)}"
    return display(folder)
