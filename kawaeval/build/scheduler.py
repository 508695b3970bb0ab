"""The stale years of one build, side by side: one kernel pool and one set of threads for all.

The scheduler starts the kernel pool first (its warm kernels import while the records are
cleaned), cleans the records once, then starts each year's :class:`YearPipeline`; every
chapter of every year goes to the same threads, ``jobs`` at once, and a year is published as
soon as its own chapters are done. What a year's build does is the pipeline's; the scheduler
only runs it, and stops everything when the build is interrupted.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait

from kawaeval.build.kernels import KernelPool
from kawaeval.build.options import BuildOptions
from kawaeval.build.pipeline import Stop, YearPipeline, read_records
from kawaeval.build.progress import Progress
from kawaeval.build.zygote import Zygote
from kawaeval.exceptions import Interrupt

SIGNAL_CHECK_SECONDS = 0.1  # how soon Ctrl-C or SIGTERM stops a build, whichever thread got it


class Scheduler:
    """Builds the stale years of one build: ``stale`` is ``(fiscal_year, quick stamp)`` pairs;
    ``zygote``, one started early for the kernel pool (kawaeval.build.zygote.start_early)."""

    def __init__(
        self,
        options: BuildOptions,
        stale: Sequence[tuple[int, dict]],
        progress: Progress,
        zygote: Zygote | None = None,
    ):
        self.options = options
        self.stale = list(stale)
        self.progress = progress
        size = max(1, min(options.jobs, len(self.stale) * len(options.chapters)))
        self.pool = KernelPool(size, warm=options.warm_kernels, zygote=zygote)
        self.threads = ThreadPoolExecutor(max_workers=size, thread_name_prefix="kawaeval-chapter")
        self.futures: list[Future] = []
        self.stop = Stop()
        self.years: dict[int, YearPipeline] = {}

    def run(self) -> dict[int, str]:
        """Build every stale year; each year's status (``built``, ``reused``, ``up to date``).

        Raises
        ------
        KawaevalError
            The first year's failure (a chapter, the records), once the other years are done.
        Interrupt, KeyboardInterrupt
            Once kernels and threads are stopped and the staging folders removed.
        """
        try:
            self._run()
        except (Interrupt, KeyboardInterrupt):
            self.interrupt()
            raise
        errors = [y.error for y in self.years.values() if y.error is not None]
        if errors:
            raise errors[0]
        return self.finished()

    def finished(self) -> dict[int, str]:
        """The years published (or found up to date) so far, with their status."""
        return {year: y.status for year, y in self.years.items() if y.status is not None}

    def _run(self) -> None:
        self.pool.__enter__()  # first: the warm kernels' imports run while the records are read
        try:
            records = read_records(self.options, [year for year, _ in self.stale])
        except BaseException:
            self.pool.shutdown()
            raise
        try:
            for year, stamp in self.stale:
                pipeline = YearPipeline(
                    year, stamp, self.options, records, self.progress, self.stop
                )
                self.years[year] = pipeline
                for task in pipeline.start(self.pool.execute):
                    self.futures.append(self.threads.submit(task))
            for pipeline in list(self.years.values()):
                # In short waits: a signal caught by another thread (a kernel's, Arrow's) is
                # acted on only when this thread runs Python again, not when the year is done.
                while not pipeline.done.wait(SIGNAL_CHECK_SECONDS):
                    pass
        except (Interrupt, KeyboardInterrupt):
            self.stop.request()
            raise
        finally:
            if not self.stop.requested:
                self.threads.shutdown(wait=True)
                self.pool.shutdown()

    def interrupt(self) -> None:
        """Stop kernels and threads now, remove the staging folders, release the years."""
        self.stop.request()
        self.pool.shutdown()  # what the dying chapters log is dropped: that is not news

        self.threads.shutdown(wait=False, cancel_futures=True)
        # running chapters end within about a second of their kernel's death
        wait(self.futures, timeout=30)
        self.pool.shutdown()  # a kernel started in the meantime
        for pipeline in self.years.values():
            pipeline.abandon()
