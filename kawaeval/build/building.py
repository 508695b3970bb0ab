"""``kawaeval build``: the orchestration of one build, from records to published reports.

One report folder per fiscal year (``OUT/FY2021/``): ``index.html`` and one self-contained HTML
page per chapter, the executed notebooks, the cleaned data with its manifest and the
assessment, and a build stamp. Every chapter of every year runs in one pool of ``jobs``
kernels; a year is exported and published as soon as its own chapters are done.

Whether a report is up to date is decided from its stamp alone (raw files' SHA-256, plan,
notebooks, package, environment), without importing pandas or nbformat. When the inputs
changed but a year's assessment did not, its chapters are reused from the published report.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kawaeval.build.exporting import display_path
from kawaeval.build.publishing import (
    STAMP_FILE,
    acquire,
    clear_debris,
    clear_stale_debris,
    environment_sha256,
    git_commit,
    keep_failed,
    new_staging,
    package_sha256,
    publish,
    raw_files,
    read_stamp,
    year_lock,
)
from kawaeval.common.files import file_sha256, source_date, write_json, write_text
from kawaeval.exceptions import BuildInterruptedError, ChapterExecutionError, UsageError
from kawaeval.paths import RAW_DIR, REPORTS_DIR
from kawaeval.plan import load_plan, plan_path
from kawaeval.report.chapters import Chapter, chapters_for, check_parameters
from kawaeval.version import __version__

if TYPE_CHECKING:
    from kawaeval.evaluation.model import Assessment
    from kawaeval.records.cleaning import CleanResult

__all__ = ["BuildResult", "Chapter", "Interrupt", "build_reports", "chapters_for", "default_jobs"]

ASSESSMENT_FILE = "assessment.json"
# The files beside the pages, linked from the index page: (what, relative link).
DOWNLOADS = (
    ("報告書の表（Excel、tables.xlsx）", "tables.xlsx"),
    ("取組の記録（Excel用CSV、data/achievements.csv）", "data/achievements.csv"),
    ("評価結果（JSON、data/assessment.json）", "data/assessment.json"),
)
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
QUICK_KEYS = (*(k for k in CHAPTER_KEYS if k != "assessment_sha256"), "inputs", "pdf")


@dataclass(frozen=True)
class BuildResult:
    """What happened to one fiscal year and where its report is.

    ``status`` is ``built`` (chapters executed), ``reused`` (inputs changed but not this
    year's assessment: chapters kept, data and index rewritten) or ``up to date``.
    """

    fiscal_year: int
    status: str
    report_dir: Path


class Interrupt(BaseException):
    """Raised in the main thread by the CLI's SIGINT/SIGTERM handler to stop a build."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(signum)


def default_jobs() -> int:
    """The CPUs this process may use (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class _Progress:
    """Chapters done / total: a tqdm bar on a terminal, one plain line per chapter otherwise."""

    def __init__(self, total: int, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.lock = threading.Lock()
        self.done = 0
        self.total = total
        self.bar = None
        if total and hasattr(self.stream, "isatty") and self.stream.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc="kawaeval build", unit="章", file=self.stream)

    def chapter_done(self, fiscal_year: int, chapter: Chapter) -> None:
        with self.lock:
            self.done += 1
            if self.bar is not None:
                self.bar.set_postfix_str(f"FY{fiscal_year} {chapter.name}")
                self.bar.update(1)
            else:
                print(
                    f"FY{fiscal_year}: [{self.done}/{self.total}] {chapter.title} ({chapter.name})",
                    file=self.stream,
                    flush=True,
                )

    def skip(self, chapters: int) -> None:
        with self.lock:
            self.done += chapters
            if self.bar is not None:
                self.bar.update(chapters)

    def message(self, text: str) -> None:
        with self.lock:
            if self.bar is not None:
                self.bar.write(text, file=self.stream)
            else:
                print(text, file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def input_files(raw_dir: Path, manifest: dict) -> list[dict]:
    """Every input the report reads, with its SHA-256 (shown on the index page).

    The records come from the cleaning manifest; the optional judgements, highlights,
    indicators and notice files are found the way kawaeval.records.supplements finds them.
    """
    from kawaeval.records.supplements import FILE_STEMS, NOTICE_FILE, SUFFIXES

    files = [{"file": f["file"], "sha256": f["sha256"]} for f in manifest["files"]]
    names = [
        f"{stem}{suffix}" for stems in FILE_STEMS.values() for stem in stems for suffix in SUFFIXES
    ]
    for name in [*names, NOTICE_FILE]:
        path = raw_dir / name
        if path.is_file():
            files.append({"file": path.name, "sha256": file_sha256(path)})
    return sorted(files, key=lambda f: f["file"])


def quick_stamp(raw_dir: Path, chapters: Sequence[Chapter], parameters: dict) -> dict:
    """What a report depends on, from file bytes alone (no pandas, no nbformat); no year yet."""
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


def _same(old: dict | None, new: dict, keys: Sequence[str]) -> bool:
    return old is not None and all(k in old and old[k] == new[k] for k in keys)


@dataclass
class _Year:
    """One fiscal year's build in progress."""

    fiscal_year: int
    final: Path
    stamp: dict
    lock: object
    staging: Path | None = None
    records: CleanResult | None = None
    assessment: Assessment | None = None
    executed: dict = field(default_factory=dict)  # chapter name -> normalised notebook
    remaining: int = 0
    error: BaseException | None = None
    done: Future = field(default_factory=Future)


class _Build:
    """One ``kawaeval build`` run: quick checks, then every stale chapter in one pool."""

    def __init__(
        self,
        years: list[int],
        raw_dir: Path,
        out_dir: Path,
        chapters: Sequence[Chapter],
        jobs: int,
        force: bool,
        allow_rejects: bool,
        progress: _Progress,
        warm_kernels: bool,
        pdf: bool = False,
    ):
        self.years = years
        self.raw_dir = raw_dir
        self.out_dir = out_dir
        self.chapters = list(chapters)
        self.jobs = jobs
        self.force = force
        self.allow_rejects = allow_rejects
        self.progress = progress
        self.warm_kernels = warm_kernels
        self.pdf = pdf
        self.parameters = {"raw_dir": display_path(raw_dir), "allow_rejects": allow_rejects}
        self.state = threading.Lock()  # guards ``interrupted`` against a publish under way
        self.interrupted = False
        self.active: dict[int, _Year] = {}
        self.results: dict[int, BuildResult] = {}

    # ------------------------------------------------------------ the two paths

    def run(self) -> list[BuildResult]:
        clear_stale_debris(self.out_dir)
        try:
            stale = []
            common = quick_stamp(self.raw_dir, self.chapters, self.parameters)
            for year in self.years:
                stamp = {
                    **common,
                    "parameters": {"fiscal_year": year, **self.parameters},
                    "pdf": self.pdf,
                }
                if not self.force and self._up_to_date(year, stamp):
                    continue
                stale.append((year, stamp))
            if stale:
                self._build(stale)
        except (Interrupt, KeyboardInterrupt) as exc:
            signum = exc.signum if isinstance(exc, Interrupt) else signal.SIGINT
            raise self._interrupted(signum) from None
        return [self.results[year] for year in self.years]

    def _up_to_date(self, year: int, stamp: dict) -> bool:
        final = self.out_dir / f"FY{year}"
        if not (final.is_dir() and _same(read_stamp(final), stamp, QUICK_KEYS)):
            return False
        self.progress.skip(len(self.chapters))
        self.progress.message(f"FY{year}: up to date ({final}; --force rebuilds it)")
        self.results[year] = BuildResult(year, "up to date", final)
        return True

    def _build(self, stale: list[tuple[int, dict]]) -> None:
        from kawaeval.build.engine import KernelPool
        from kawaeval.evaluation.assessing import check_records
        from kawaeval.records.cleaning import clean_records

        size = max(1, min(self.jobs, len(stale) * len(self.chapters)))
        # Entered first: the warm kernels' imports run while the records are cleaned.
        self.pool = KernelPool(size, warm=self.warm_kernels).__enter__()
        try:
            records = clean_records(self.raw_dir, out_dir=None, allow_rejects=self.allow_rejects)
            for year, _ in stale:
                check_records(records.tidy, year, self.raw_dir)
        except BaseException:
            self.pool.shutdown()
            raise
        self.executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="kawaeval-chapter")
        self.futures: list[Future] = []
        try:
            for year, stamp in stale:
                self._start_year(year, stamp, records)
            wait([y.done for y in list(self.active.values())])
        except (Interrupt, KeyboardInterrupt):
            with self.state:
                self.interrupted = True
            raise
        finally:
            if not self.interrupted:
                self.executor.shutdown(wait=True)
                self.pool.shutdown()
        errors = [y.error for y in self.active.values() if y.error is not None]
        if errors:
            raise errors[0]

    # ------------------------------------------------------------ one year

    def _start_year(self, year: int, stamp: dict, records: CleanResult) -> None:
        """Lock the year, write its data and assessment, then reuse or queue its chapters."""
        final = self.out_dir / f"FY{year}"
        lock = year_lock(self.out_dir, year)
        state = _Year(year, final, stamp, lock, records=records)
        self.active[year] = state
        try:
            self._prepare_year(state)
        except Exception:
            self._end_year(state)
            raise

    def _prepare_year(self, state: _Year) -> None:
        from kawaeval.evaluation.assessing import assess
        from kawaeval.records.cleaning import write_outputs
        from kawaeval.records.supplements import load_supplements
        from kawaeval.report.workbook import WORKBOOK_FILE, write_tables_workbook

        year, lock, records = state.fiscal_year, state.lock, state.records
        self.out_dir.mkdir(parents=True, exist_ok=True)
        acquire(
            lock,
            lambda: self.progress.message(
                f"FY{year}: waiting for another build of FY{year} in {self.out_dir} to finish"
                f" (lock {lock.lock_file})"
            ),
        )
        clear_debris(self.out_dir, year)
        if not self.force and self._up_to_date(year, state.stamp):  # the other build made it
            self._end_year(state)
            return

        state.staging = new_staging(self.out_dir, year)
        write_outputs(records, state.staging / "data")
        supplements = load_supplements(self.raw_dir, records.plan)
        state.assessment = assess(records.tidy, records.plan, year, supplements, records.rejected)
        write_json(state.staging / "data" / ASSESSMENT_FILE, state.assessment.to_dict())
        write_tables_workbook(state.assessment, state.staging / WORKBOOK_FILE)
        state.stamp = {
            **state.stamp,
            "assessment_sha256": file_sha256(state.staging / "data" / ASSESSMENT_FILE),
        }
        (state.staging / "notebooks").mkdir()
        if not self.force and self._reuse_chapters(state):
            self.progress.skip(len(self.chapters))
            self._finish_year(state, "reused")
            return
        if not self.chapters:  # data, tables and index only (tests, the analyst's API)
            self._finish_year(state, "built")
            return
        state.remaining = len(self.chapters)
        for chapter in self.chapters:
            self.futures.append(self.executor.submit(self._run_chapter, state, chapter))

    def _reuse_chapters(self, state: _Year) -> bool:
        """Copy the published chapters when they were made from the same assessment and code."""
        if not _same(read_stamp(state.final), state.stamp, CHAPTER_KEYS):
            return False
        names = [f"notebooks/{c.name}.ipynb" for c in self.chapters]
        names += [f"{c.name}.html" for c in self.chapters]
        if not all((state.final / name).is_file() for name in names):
            return False
        for name in names:
            shutil.copyfile(state.final / name, state.staging / name)
        return True

    def _run_chapter(self, state: _Year, chapter: Chapter) -> None:
        """Execute one chapter (in a pool thread); the year's last chapter finishes the year."""
        from papermill.exceptions import PapermillExecutionError

        from kawaeval.build.exporting import read_executed

        relative = f"notebooks/{chapter.name}.ipynb"
        output = state.staging / relative
        try:
            if state.error is None and not self.interrupted:
                parameters = {
                    "allow_rejects": self.allow_rejects,
                    "fiscal_year": state.fiscal_year,
                    # Chapters run in notebooks/ and read the assessment by a relative path,
                    # so the executed notebooks name no temporary or machine-specific folder.
                    "assessment_json": f"../data/{ASSESSMENT_FILE}",
                    **chapter.parameters,
                }
                self.pool.execute(chapter.notebook, output, parameters, output.parent)
                state.executed[chapter.name] = read_executed(output, chapter, relative)
                self.progress.chapter_done(state.fiscal_year, chapter)
        except PapermillExecutionError as exc:
            with self.state:
                if not self.interrupted and state.error is None:
                    kept = keep_failed(self.out_dir, state.fiscal_year, chapter.name, output)
                    state.error = ChapterExecutionError(
                        f"{chapter.title} ({chapter.notebook.name})",
                        kept,
                        exc.cell_index,
                        exc.ename,
                        exc.evalue,
                    )
        except Exception as exc:  # a dead kernel after an interruption, a full disk...
            if state.error is None and not self.interrupted:
                state.error = exc
        with self.state:
            state.remaining -= 1
            last = state.remaining == 0
        if not last or self.interrupted:
            return
        if state.error is not None:
            self._end_year(state)
            return
        try:
            self._finish_year(state, "built")
        except Exception as exc:
            state.error = exc
            self._end_year(state)

    def _finish_year(self, state: _Year, status: str) -> None:
        """Export the pages, write the index and stamp, publish, release the year."""
        from kawaeval.build.exporting import export_html
        from kawaeval.report.presenting import index_page, page_nav

        staging, year = state.staging, state.fiscal_year
        pages = [(c.title, f"{c.name}.html") for c in self.chapters]
        if status == "built":
            for i, chapter in enumerate(self.chapters):
                nav = page_nav(
                    pages[i - 1] if i else None, pages[i + 1] if i + 1 < len(pages) else None
                )
                html = export_html(state.executed[chapter.name], chapter.title, nav)
                write_text(staging / f"{chapter.name}.html", html)
        manifest = state.records.manifest
        provenance = {
            "package_version": __version__,
            "git_commit": state.stamp["git_commit"],
            "source_date": source_date(),
            "parameters": {"fiscal_year": year, **self.parameters},
            "plan": (manifest["plan"]["file"], manifest["plan"]["sha256"]),
            "inputs": [(f["file"], f["sha256"]) for f in input_files(self.raw_dir, manifest)],
        }
        downloads = DOWNLOADS
        if self.pdf:
            from kawaeval.report.pdf import pdf_name

            downloads = (("報告書（PDF、印刷用）", pdf_name(state.assessment)), *DOWNLOADS)
        write_text(
            staging / "index.html", index_page(state.assessment, pages, provenance, downloads)
        )
        if self.pdf:  # into the staging folder: a failed PDF leaves the previous report whole
            from kawaeval.report.pdf import write_report_pdf

            write_report_pdf(staging, pages, state.assessment)
        write_json(staging / STAMP_FILE, state.stamp)
        with self.state:
            if self.interrupted:
                return
            publish(staging, state.final)
            state.staging = None
        if status == "reused":
            self.progress.message(
                f"FY{year}: chapters reused (this year's assessment did not change);"
                " data and index updated"
            )
        self.progress.message(f"FY{year}: report written to {state.final / 'index.html'}")
        self.results[year] = BuildResult(year, status, state.final)
        self._end_year(state)

    def _end_year(self, state: _Year) -> None:
        """Remove what is left of the staging folder and release the year's lock."""
        if state.staging is not None:
            shutil.rmtree(state.staging, ignore_errors=True)
            state.staging = None
        if state.lock.is_locked:
            state.lock.release()
        if not state.done.done():
            state.done.set_result(None)

    # ------------------------------------------------------------ interruption

    def _interrupted(self, signum: int) -> BuildInterruptedError:
        """Stop kernels and threads, remove staging folders; what was being built is named."""
        with self.state:
            self.interrupted = True
        # the chapters' kernels are about to die on purpose: that is not news for the user
        logging.getLogger("papermill").setLevel(logging.CRITICAL + 1)
        pool = getattr(self, "pool", None)
        executor = getattr(self, "executor", None)
        if pool is not None:
            pool.shutdown()
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
            # running chapters end within about a second of their kernel's death
            wait(getattr(self, "futures", []), timeout=30)
            if pool is not None:
                pool.shutdown()  # a kernel started in the meantime
        unfinished = [y for y in self.years if y not in self.results]
        for state in self.active.values():
            if state.staging is not None:
                shutil.rmtree(state.staging, ignore_errors=True)
                state.staging = None
            if state.lock.is_locked:
                state.lock.release()
        return BuildInterruptedError(signal.Signals(signum).name, unfinished)


def build_reports(
    fiscal_years: Sequence[int],
    raw_dir: Path = RAW_DIR,
    out_dir: Path = REPORTS_DIR,
    jobs: int | None = None,
    force: bool = False,
    allow_rejects: bool = False,
    goals: Sequence[int] | None = None,
    chapters: Sequence[Chapter] | None = None,
    progress_stream=None,
    warm_kernels: bool = True,
    pdf: bool = False,
) -> list[BuildResult]:
    """Build (or find up to date) the report of each fiscal year, ``jobs`` chapters at once.

    Parameters are checked before anything is read. ``jobs`` defaults to every CPU this
    process may use; ``goals`` limits the goal chapters (default: every goal of the plan);
    ``chapters`` replaces the chapter list altogether (tests use it); ``warm_kernels`` is
    passed to :class:`kawaeval.build.engine.KernelPool`; ``pdf`` also writes each report as one
    PDF (:mod:`kawaeval.report.pdf`).

    Raises
    ------
    UsageError
        If a fiscal year or goal is not the plan's, or ``jobs`` is below 1.
    InputFileError, PlanDefinitionError, RejectedRowsError, ManifestMismatchError, NoRecordsError
        If the records cannot be cleaned (no kernel has started).
    ChapterExecutionError
        If a chapter fails (the other years still finish; the first failure is raised).
    PdfUnavailableError
        If ``pdf`` and WeasyPrint is not installed (checked before anything is read).
    PdfRenderError
        If ``pdf`` and a PDF cannot be made; that year's previous report is left as it was.
    BuildInterruptedError
        If :class:`Interrupt` (or KeyboardInterrupt) reached the build: kernels are stopped,
        staging folders removed, the reports not yet published left as they were.
    """
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise UsageError("--jobs must be 1 or more")
    plan = load_plan(raw_dir)
    years = list(dict.fromkeys(fiscal_years))
    check_parameters(plan, years, goals)
    source_date()
    if pdf:
        from kawaeval.report.pdf import check_available

        check_available()
    if chapters is None:
        chapters = chapters_for(plan, goals)
    progress = _Progress(len(years) * len(chapters), progress_stream)
    try:
        return _Build(
            years,
            raw_dir,
            out_dir,
            chapters,
            jobs,
            force,
            allow_rejects,
            progress,
            warm_kernels,
            pdf,
        ).run()
    finally:
        progress.close()
