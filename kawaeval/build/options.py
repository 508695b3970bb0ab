"""What one ``kawaeval build`` was asked for: shared by the up-to-date check, the scheduler and
every year's pipeline. A new option of the build (an edition, a publishing mode) is a field here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kawaeval.build.stamps import display_path
from kawaeval.report.chapters import Chapter

if TYPE_CHECKING:
    from kawaeval.build.history import ReportData


@dataclass(frozen=True)
class BuildOptions:
    """The arguments of :func:`kawaeval.build.building.build_reports`, checked."""

    raw_dir: Path
    out_dir: Path
    chapters: tuple[Chapter, ...]
    jobs: int
    force: bool = False
    allow_rejects: bool = False
    warm_kernels: bool = True
    # edition option (kawaeval.report.editions.OPTIONS) -> True (asked for), False (--no-...),
    # None (as each year's published report has it)
    editions: Mapping[str, bool | None] = field(default_factory=dict)
    since: Mapping[int, ReportData] = field(default_factory=dict)
    """Per fiscal year, the report ``--since`` names for its change record (build.history)."""

    @property
    def parameters(self) -> dict:
        """The build's parameters as a year's stamp and index page record them (no year)."""
        return {"raw_dir": display_path(self.raw_dir), "allow_rejects": self.allow_rejects}
