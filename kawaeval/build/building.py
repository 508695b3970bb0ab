"""``kawaeval build``: each asked-for year's report, built or found up to date.

One report folder per fiscal year (``OUT/FY2021/``): ``index.html`` and one self-contained HTML
page per chapter, the executed notebooks, the cleaned data with its manifest and the
assessment, and a build stamp. Every chapter of every year runs in one pool of ``jobs``
kernels; a year is exported and published as soon as its own chapters are done.

Whether a report is up to date is decided from its stamp alone (:mod:`kawaeval.build.stamps`:
raw files' SHA-256, plan, notebooks, package, environment), without importing pandas or
nbformat. Only when a year is stale is the rest imported: :mod:`kawaeval.build.scheduler`
runs the stale years, each through a :class:`kawaeval.build.pipeline.YearPipeline` (where
the steps of a year's build are). When the inputs changed but a year's assessment did not,
its chapters are reused from the published report.
"""

from __future__ import annotations

import signal
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kawaeval.build import editions, history
from kawaeval.build.options import BuildOptions
from kawaeval.build.progress import Progress
from kawaeval.build.publishing import clear_stale_debris
from kawaeval.build.stamps import quick_stamp, read_stamp, up_to_date, year_stamp
from kawaeval.build.zygote import start_early
from kawaeval.common.cpus import usable_cpus
from kawaeval.common.files import source_date, writing_into
from kawaeval.exceptions import BuildInterruptedError, FinalCheckError, Interrupt, UsageError
from kawaeval.paths import default_raw_dir, default_reports_dir
from kawaeval.plan import load_plan
from kawaeval.report.chapters import Chapter, chapters_for, check_parameters

__all__ = ["BuildResult", "Chapter", "build_reports", "chapters_for", "default_jobs"]


@dataclass(frozen=True)
class BuildResult:
    """What happened to one fiscal year and where its report is.

    ``status`` is ``built`` (chapters executed), ``reused`` (inputs changed but not this
    year's assessment: chapters kept, data and index rewritten) or ``up to date``.
    """

    fiscal_year: int
    status: str
    report_dir: Path


def default_jobs() -> int:
    """The build's ``--jobs`` when none is given: every CPU this process may use."""
    return usable_cpus()


def check_final(raw_dir: Path, years: Sequence[int], allow_rejects: bool = False) -> None:
    """The publishing build's check: every year asked for is settled (no draft text, every
    grade and verdict decided by the committee, every changed grade with its reason).

    Raises
    ------
    FinalCheckError
        Naming each place that is not settled, with the sheet to settle it on.
    """
    from kawaeval.evaluation.assessing import assess, check_records
    from kawaeval.evaluation.finality import unsettled
    from kawaeval.records.cleaning import clean_records
    from kawaeval.records.supplements import load_supplements

    records = clean_records(raw_dir, out_dir=None, allow_rejects=allow_rejects)
    supplements = load_supplements(raw_dir, records.plan)
    places = []
    for year in years:
        check_records(records.tidy, year, raw_dir)
        assessment = assess(records.tidy, records.plan, year, supplements, records.rejected)
        places += unsettled(assessment)
    if places:
        raise FinalCheckError(places)


def build_reports(
    fiscal_years: Sequence[int],
    raw_dir: Path | None = None,
    out_dir: Path | None = None,
    jobs: int | None = None,
    force: bool = False,
    allow_rejects: bool = False,
    goals: Sequence[int] | None = None,
    chapters: Sequence[Chapter] | None = None,
    progress_stream=None,
    warm_kernels: bool = True,
    pdf: bool | None = None,
    docx: bool | None = None,
    final: bool = False,
    since: str | None = None,
) -> list[BuildResult]:
    """Build (or find up to date) the report of each fiscal year, ``jobs`` chapters at once.

    Parameters are checked before anything is read. ``jobs`` defaults to every CPU this
    process may use; ``goals`` limits the goal chapters (default: every goal of the plan);
    ``chapters`` replaces the chapter list altogether (tests use it); ``warm_kernels`` is
    passed to :class:`kawaeval.build.kernels.KernelPool`; ``pdf`` and ``docx`` also write each
    report as one PDF / Word file (:mod:`kawaeval.report.editions`): True asks for it, False
    stops making it, None (the default) keeps each year's report as its last build made it
    (:mod:`kawaeval.build.editions`); ``final`` (the publishing build) first checks that every
    year asked for is settled (:func:`check_final`), whether its report is up to date or not;
    ``since`` names the report each year's change record compares with
    (:func:`kawaeval.build.history.resolve_since`) instead of the previous different one.

    Raises
    ------
    UsageError
        If a fiscal year or goal is not the plan's, or ``jobs`` is below 1.
    SinceNotFoundError
        If ``since`` names no history entry and no report folder for a year (nothing read).
    InputFileError, PlanDefinitionError, RejectedRowsError, ManifestMismatchError, NoRecordsError
        If the records cannot be cleaned (no kernel has started).
    ChapterExecutionError
        If a chapter fails (the other years still finish; the first failure is raised).
    PdfUnavailableError, DocxUnavailableError
        If an edition is asked for (or kept from the last build) and what makes it is not
        installed (checked before any record is read).
    PdfRenderError, DocxRenderError
        If an edition cannot be made; that year's previous report is left as it was.
    FinalCheckError
        If ``final`` and a text is still a draft, a grade or verdict lacks the committee's
        decision, or a changed grade lacks its reason (nothing is built).
    BuildInterruptedError
        If :class:`Interrupt` (or KeyboardInterrupt) reached the build: kernels are stopped,
        staging folders removed, the reports not yet published left as they were.
    """
    raw_dir = Path(raw_dir) if raw_dir is not None else default_raw_dir()
    out_dir = Path(out_dir) if out_dir is not None else default_reports_dir()
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise UsageError("--jobs must be 1 or more")
    plan = load_plan(raw_dir)
    years = list(dict.fromkeys(fiscal_years))
    check_parameters(plan, years, goals)
    source_date()
    requested = {"pdf": pdf, "docx": docx}
    # WeasyPrint / pandoc looked for now: missing, they stop the build before anything is read
    editions.check_requested(requested)
    if chapters is None:
        chapters = chapters_for(plan, goals)
    if final:  # before anything is published, and even when the reports are up to date
        check_final(raw_dir, years, allow_rejects)
    baselines = {}
    if since is not None:
        baselines = {year: history.resolve_since(since, out_dir, year) for year in years}
    options = BuildOptions(
        raw_dir,
        out_dir,
        tuple(chapters),
        jobs,
        force,
        allow_rejects,
        warm_kernels,
        requested,
        since=baselines,
    )
    progress = Progress(len(years) * len(chapters), progress_stream)
    statuses: dict[int, str] = {}
    scheduler = zygote = None
    try:
        with writing_into(out_dir):  # a folder that cannot be written stops the build here
            out_dir.mkdir(parents=True, exist_ok=True)
            clear_stale_debris(out_dir)
        common = quick_stamp(raw_dir, options.chapters, options.parameters)
        stale = []
        for year in years:
            report_dir = out_dir / f"FY{year}"
            chosen = editions.year_editions(requested, read_stamp(report_dir))
            baseline = baselines.get(year)
            digest = None if baseline is None else baseline.digest
            stamp = year_stamp(common, year, options.parameters, chosen, digest)
            if not force and up_to_date(report_dir, stamp):
                progress.up_to_date(year, report_dir, len(chapters), chosen)
                statuses[year] = "up to date"
            else:
                stale.append((year, stamp))
        for year, stamp in stale:  # a kept edition whose tool is gone stops the build now
            editions.check_kept(year, stamp[editions.STAMP_KEY], requested)
        if stale:
            # First the zygote: its imports run on the other core while this process imports
            # what building a year takes (pandas, nbformat, the kernels' machinery), not at the
            # top, as the PDF's above: the up-to-date check stays instant (tests check).
            zygote = start_early(warm_kernels)
            from kawaeval.build.scheduler import Scheduler

            scheduler = Scheduler(options, stale, progress, zygote)
            zygote = None  # the kernel pool's now
            statuses.update(scheduler.run())
    except (Interrupt, KeyboardInterrupt) as exc:
        signum = exc.signum if isinstance(exc, Interrupt) else signal.SIGINT
        if scheduler is not None:
            statuses.update(scheduler.finished())
        unfinished = [year for year in years if year not in statuses]
        raise BuildInterruptedError(signal.Signals(signum).name, unfinished) from None
    finally:
        if zygote is not None:  # interrupted before the kernel pool took it over
            zygote.close()
        progress.close()
    return [BuildResult(year, statuses[year], out_dir / f"FY{year}") for year in years]
