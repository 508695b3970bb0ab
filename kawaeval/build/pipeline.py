"""One fiscal year's report, step by step, from the cleaned records to the published folder.

:class:`YearPipeline` is where a step of a year's build goes. Its steps, in order:

1. :meth:`~YearPipeline.start`: take the year's lock (waiting for another build of the same
   year), check again that the report is stale, then into a staging folder: the data files,
   the assessment and the change record (what it compares with: :mod:`kawaeval.build.history`);
   reuse the published chapters when the assessment and the code are unchanged, else hand the
   scheduler the year's tasks, for its threads:
2. each chapter (:meth:`~YearPipeline._run_chapter`): execute it, normalise the notebook and
   export its page, or keep a failed notebook aside; and beside the chapters, what needs the
   assessment but no chapter (:meth:`~YearPipeline._beside_chapters`: ``tables.xlsx``). The
   year's last task to end finishes it:
3. :meth:`~YearPipeline.finish`: the change page, the index page, the editions (the PDF), the
   stamp; then the replaced report's data is kept in the history (when it differs) and the
   atomic swap publishes the report.

A new step is a method called from ``start`` (what the chapters need), listed in
``_beside_chapters`` (what needs the assessment only), or called from ``finish`` (what is made
from the chapters), writing into ``self.staging``: nothing reaches the published folder unless
every step succeeded. Everything heavy (pandas, the assessment, the workbook, nbformat)
is imported here; :mod:`kawaeval.build.building` imports the scheduler, and so this module,
only when a year is stale.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from papermill.exceptions import PapermillExecutionError

from kawaeval.build import editions, history
from kawaeval.build.exporting import export_html, read_executed
from kawaeval.build.options import BuildOptions
from kawaeval.build.progress import Progress
from kawaeval.build.publishing import (
    acquire,
    clear_debris,
    keep_failed,
    new_staging,
    publish,
    year_lock,
)
from kawaeval.build.stamps import (
    STAMP_FILE,
    chapters_current,
    provenance,
    read_stamp,
    up_to_date,
    with_assessment,
)
from kawaeval.common.files import file_sha256, write_json, write_text, writing_into
from kawaeval.evaluation.assessing import assess, check_records
from kawaeval.evaluation.model import Assessment
from kawaeval.exceptions import ChapterExecutionError
from kawaeval.records.cleaning import clean_records
from kawaeval.records.committee import find_sheets
from kawaeval.records.outputs import CleanResult, write_outputs
from kawaeval.records.supplements import FILE_STEMS, NOTICE_FILE, SUFFIXES, load_supplements
from kawaeval.report.change_tables import change_tables
from kawaeval.report.changes import index_section, write_change_record
from kawaeval.report.chapters import Chapter
from kawaeval.report.combined import HTML_ONLY
from kawaeval.report.pages import index_page, page_nav
from kawaeval.report.workbook import WORKBOOK_FILE, write_tables_workbook

ASSESSMENT_FILE = "assessment.json"
# The files beside the pages, linked from the index page: (what, relative link).
DOWNLOADS = (
    ("報告書の表（Excel、tables.xlsx）", "tables.xlsx"),
    ("取組の記録（Excel用CSV、data/achievements.csv）", "data/achievements.csv"),
    ("評価結果（JSON、data/assessment.json）", "data/assessment.json"),
)
# Listed when the report has a change record; the HTML report's only (not in an edition).
CHANGES_DOWNLOAD = ("変更の記録（Excel用CSV、data/changes.csv）", "data/changes.csv", HTML_ONLY)

# Runs a chapter: (notebook, executed notebook, parameters, working folder), as
# kawaeval.build.kernels.KernelPool.execute does.
Execute = Callable[[Path, Path, dict, Path], None]


def read_records(options: BuildOptions, fiscal_years: Sequence[int]) -> CleanResult:
    """The records every stale year is assessed from, cleaned once and checked for each year.

    Raises
    ------
    InputFileError, PlanDefinitionError, RejectedRowsError, ManifestMismatchError, NoRecordsError
        If the records cannot be cleaned, or a year has no rating at all.
    """
    records = clean_records(options.raw_dir, out_dir=None, allow_rejects=options.allow_rejects)
    for year in fiscal_years:
        check_records(records.tidy, year, options.raw_dir)
    return records


def input_files(raw_dir: Path, manifest: dict) -> list[dict]:
    """Every input the report reads, with its SHA-256 (shown on the index page).

    The records come from the cleaning manifest; the optional judgements, highlights,
    indicators and notice files, and the committee's returned sheets, are found the way
    kawaeval.records.supplements finds them.
    """
    files = [{"file": f["file"], "sha256": f["sha256"]} for f in manifest["files"]]
    names = [
        f"{stem}{suffix}" for stems in FILE_STEMS.values() for stem in stems for suffix in SUFFIXES
    ]
    for name in [*names, NOTICE_FILE]:
        path = raw_dir / name
        if path.is_file():
            files.append({"file": path.name, "sha256": file_sha256(path)})
    files += [{"file": p.name, "sha256": file_sha256(p)} for p in find_sheets(raw_dir)]
    return sorted(files, key=lambda f: f["file"])


class Stop:
    """Set once, when the build is interrupted; shared by the scheduler and every year.

    A year is published while holding ``lock``: an interruption comes either before a
    report's swap (which then does not happen) or after it.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.requested = False

    def request(self) -> None:
        with self.lock:
            self.requested = True


class YearPipeline:
    """One fiscal year's build, from its lock to its published report (see the module)."""

    def __init__(
        self,
        fiscal_year: int,
        stamp: dict,
        options: BuildOptions,
        records: CleanResult,
        progress: Progress,
        stop: Stop,
    ):
        self.fiscal_year = fiscal_year
        self.stamp = stamp  # the quick stamp; the assessment's digest is added once assessed
        self.options = options
        self.records = records
        self.progress = progress
        self.stop = stop
        self.chapters = list(options.chapters)
        self.final = options.out_dir / f"FY{fiscal_year}"
        self.lock = year_lock(options.out_dir, fiscal_year)
        self.staging: Path | None = None
        self.assessment: Assessment | None = None
        self.history_plan: history.HistoryPlan | None = None  # what the change record compares with
        self.changes = None  # the change record (kawaeval.report.changes), None for a first
        self.remaining = 0  # tasks (chapters, steps beside them) not yet ended
        self.counting = threading.Lock()  # guards ``remaining``
        self.error: BaseException | None = None
        self.written: list[str] = []  # what the console says once the report is published
        self.status: str | None = None  # "built", "reused" or "up to date" once finished
        self.done = threading.Event()  # finished, failed or found up to date

    # ------------------------------------------------------------ 1. before the chapters

    def start(self, execute: Execute) -> list[Callable[[], None]]:
        """Lock the year, write its data and assessment; the tasks left for the scheduler's
        threads (its chapters, run with ``execute``, and the steps beside them).

        No task means the year is finished already (found up to date once its lock was free,
        its chapters reused, or no chapters asked for).
        """
        try:
            with writing_into(self.options.out_dir):
                tasks = self._start(execute)
        except Exception:
            self.end()
            raise
        self.remaining = len(tasks)
        return tasks

    def _start(self, execute: Execute) -> list[Callable[[], None]]:
        if not self._lock_year():
            return []
        self.staging = new_staging(self.options.out_dir, self.fiscal_year)
        self._write_data()
        self._assess()
        self._plan_changes()
        (self.staging / "notebooks").mkdir()
        if not self.options.force and self._reuse_chapters():
            self.progress.skip(len(self.chapters))
            for step in self._beside_chapters():
                step()
            self.finish("reused")
            return []
        if not self.chapters:  # data, tables and index only (tests, the analyst's API)
            for step in self._beside_chapters():
                step()
            self.finish("built")
            return []
        tasks = [partial(self._run_chapter, c, execute) for c in self.chapters]
        tasks += [partial(self._run_beside, step) for step in self._beside_chapters()]
        return tasks

    def _lock_year(self) -> bool:
        """Take the year's lock; False (and the year ended) if the report is now up to date."""
        out_dir, year = self.options.out_dir, self.fiscal_year
        out_dir.mkdir(parents=True, exist_ok=True)
        acquire(
            self.lock,
            lambda: self.progress.message(
                f"FY{year}: waiting for another build of FY{year} in {out_dir} to finish"
                f" (lock {self.lock.lock_file})"
            ),
        )
        clear_debris(out_dir, year)
        if not self.options.force and up_to_date(self.final, self.stamp):  # the other build
            self.progress.up_to_date(
                year, self.final, len(self.chapters), self.stamp[editions.STAMP_KEY]
            )
            self.status = "up to date"
            self.end()
            return False
        return True

    def _write_data(self) -> None:
        write_outputs(self.records, self.staging / "data")

    def _assess(self) -> None:
        records = self.records
        supplements = load_supplements(self.options.raw_dir, records.plan)
        self.assessment = assess(
            records.tidy,
            records.plan,
            self.fiscal_year,
            supplements,
            records.rejected,
            records.manifest["warnings"],
        )
        path = self.staging / "data" / ASSESSMENT_FILE
        write_json(path, self.assessment.to_dict())
        self.stamp = with_assessment(self.stamp, path)

    def _beside_chapters(self) -> tuple[Callable[[], None], ...]:
        """The steps that need the assessment and no chapter: they run while chapters do."""
        return (self._write_workbook,)

    def _plan_changes(self) -> None:
        """Choose the report this one's change record compares with, and compare."""
        new = history.new_report(self.staging, self.stamp, self.records.tidy, self.assessment)
        since = self.options.since.get(self.fiscal_year)
        self.history_plan = history.plan_history(
            self.final, self.options.out_dir, self.fiscal_year, new, since
        )
        self.changes = history.change_record(self.history_plan, new)

    def _write_workbook(self) -> None:
        extra = [] if self.changes is None else change_tables(self.changes)
        write_tables_workbook(self.assessment, self.staging / WORKBOOK_FILE, extra)

    def _reuse_chapters(self) -> bool:
        """Copy the published chapters when they were made from the same assessment and code."""
        if not chapters_current(self.final, self.stamp):
            return False
        names = [f"notebooks/{c.name}.ipynb" for c in self.chapters]
        names += [f"{c.name}.html" for c in self.chapters]
        if not all((self.final / name).is_file() for name in names):
            return False
        for name in names:
            shutil.copyfile(self.final / name, self.staging / name)
        return True

    # ------------------------------------------------------------ 2. the chapters

    def _run_chapter(self, chapter: Chapter, execute: Execute) -> None:
        """Execute one chapter with ``execute`` and export its page (in a scheduler thread)."""
        relative = f"notebooks/{chapter.name}.ipynb"
        output = self.staging / relative
        try:
            if self.error is None and not self.stop.requested:
                execute(chapter.notebook, output, self._chapter_parameters(chapter), output.parent)
                nb = read_executed(output, chapter, relative)
                html = export_html(nb, chapter.title, self._nav(chapter))
                write_text(self.staging / chapter.page, html)
                self.progress.chapter_done(self.fiscal_year, chapter)
        except PapermillExecutionError as exc:
            with self.stop.lock:
                if not self.stop.requested and self.error is None:
                    kept = keep_failed(self.options.out_dir, self.fiscal_year, chapter.name, output)
                    self.error = ChapterExecutionError(
                        f"{chapter.title} ({chapter.notebook.name})",
                        kept,
                        exc.cell_index,
                        exc.ename,
                        exc.evalue,
                    )
        except Exception as exc:  # a dead kernel after an interruption, a full disk...
            self._failed(exc)
        self._task_ended()

    def _run_beside(self, step: Callable[[], None]) -> None:
        """Run a step beside the chapters (in a scheduler thread)."""
        try:
            if self.error is None and not self.stop.requested:
                step()
        except Exception as exc:
            self._failed(exc)
        self._task_ended()

    def _failed(self, exc: Exception) -> None:
        """Keep the year's first error; the other tasks still end, and the scheduler raises it
        once every year is done."""
        if self.error is None and not self.stop.requested:
            self.error = exc

    def _task_ended(self) -> None:
        """Count a task out; the year's last one finishes the year (or ends it, failed)."""
        with self.counting:
            self.remaining -= 1
            last = self.remaining == 0
        if not last or self.stop.requested:
            return
        if self.error is not None:
            self.end()
            return
        try:
            with writing_into(self.options.out_dir):
                self.finish("built")
        except Exception as exc:
            self.error = exc
            self.end()

    def _nav(self, chapter: Chapter) -> str:
        """The links to the previous and next pages of the report."""
        pages = self._pages()
        i = self.chapters.index(chapter)
        return page_nav(pages[i - 1] if i else None, pages[i + 1] if i + 1 < len(pages) else None)

    def _pages(self) -> list[tuple[str, str]]:
        return [(c.title, c.page) for c in self.chapters]

    def _chapter_parameters(self, chapter: Chapter) -> dict:
        return {
            "allow_rejects": self.options.allow_rejects,
            "fiscal_year": self.fiscal_year,
            # Chapters run in notebooks/ and read the assessment by a relative path, so the
            # executed notebooks name no temporary or machine-specific folder.
            "assessment_json": f"../data/{ASSESSMENT_FILE}",
            **chapter.parameters,
        }

    # ------------------------------------------------------------ 3. after the chapters

    def finish(self, status: str) -> None:
        """Write the change page, the index, the editions and the stamp; publish; release the
        year."""
        pages = self._pages()
        if self.changes is not None:
            write_change_record(self.staging, self.changes)
        self._write_index(pages)
        self._write_editions(pages)
        write_json(self.staging / STAMP_FILE, self.stamp)
        self._publish(status)

    def _write_index(self, pages: list[tuple[str, str]]) -> None:
        manifest = self.records.manifest
        shown = provenance(self.stamp, manifest, input_files(self.options.raw_dir, manifest))
        chosen = self.stamp[editions.STAMP_KEY]
        downloads = (*editions.downloads(self.assessment, chosen), *DOWNLOADS)
        if self.changes is not None:
            downloads = (*downloads, CHANGES_DOWNLOAD)
        changes = index_section(self.changes)
        headlines = editions.headlines(self.assessment, chosen)
        index = index_page(self.assessment, pages, shown, downloads, changes, headlines)
        write_text(self.staging / "index.html", index)

    def _write_editions(self, pages: list[tuple[str, str]]) -> None:
        """The report in other forms, made from its pages (into staging: a failure leaves the
        previous report whole), as the year's stamp chose them (kawaeval.build.editions)."""
        self.written = [
            f"wrote {self.final / WORKBOOK_FILE}",
            *editions.write(
                self.staging,
                self.final,
                pages,
                self.assessment,
                self.stamp[editions.STAMP_KEY],
                read_stamp(self.final),
            ),
        ]

    def _publish(self, status: str) -> None:
        with self.stop.lock:
            if self.stop.requested:  # the scheduler removes the staging folder
                return
            if self.history_plan.keep:  # the replaced report's data, before the swap
                history.keep(self.final, self.options.out_dir, self.fiscal_year)
            publish(self.staging, self.final)
            self.staging = None
            # Published: an interruption from now on finds this year done, not unchanged.
            self.status = status
        year = self.fiscal_year
        if status == "reused":
            self.progress.message(
                f"FY{year}: chapters reused (this year's assessment did not change);"
                " data and index updated"
            )
        self.progress.message(f"FY{year}: report written to {self.final / 'index.html'}")
        for line in self.written:  # every other file a reader opens, and editions dropped
            self.progress.message(f"FY{year}: {line}")
        self.end()

    # ------------------------------------------------------------ the end, whichever it is

    def end(self) -> None:
        """Remove what is left of the staging folder and release the year's lock."""
        self.abandon()
        self.done.set()

    def abandon(self) -> None:
        """What an interruption does to a year: its staging folder removed, its lock released."""
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None
        if self.lock.is_locked:
            self.lock.release()
