"""What a build shows while it runs: chapters done of all, and one line per event of a year."""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from kawaeval.report.chapters import Chapter


class Progress:
    """Chapters done / total: a tqdm bar on a terminal, one plain line per chapter otherwise.

    Safe to call from the threads that run chapters.
    """

    def __init__(self, total: int, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.lock = threading.Lock()
        self.done = 0
        self.total = total
        self.bar = None
        if total and hasattr(self.stream, "isatty") and self.stream.isatty():
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
        """Count chapters that will not run (the year is up to date, or its chapters reused)."""
        with self.lock:
            self.done += chapters
            if self.bar is not None:
                self.bar.update(chapters)

    def up_to_date(
        self, fiscal_year: int, report_dir: Path, chapters: int, editions: Sequence[str] = ()
    ) -> None:
        """A year found up to date: its chapters counted as done, and one line saying so (and
        which editions it keeps)."""
        self.skip(chapters)
        kept = f"; editions kept: {', '.join(f'--{o}' for o in editions)}" if editions else ""
        self.message(f"FY{fiscal_year}: up to date ({report_dir}; --force rebuilds it){kept}")

    def message(self, text: str) -> None:
        with self.lock:
            if self.bar is not None:
                self.bar.write(text, file=self.stream)
            else:
                print(text, file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
