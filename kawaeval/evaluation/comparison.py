"""What a comparison of two reports holds: each report's data (:class:`Snapshot`), the kinds
of change (an initiative's, a figure's, a grade's, any other part's) and the
:class:`Comparison` of them all that :func:`kawaeval.evaluation.comparing.compare` returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from kawaeval.evaluation.model import Assessment

Movement = Literal[
    "fell_below", "recovered", "moved_up", "moved_down", "newly_evaluated", "no_longer_evaluated"
]
MOVEMENTS: tuple[str, ...] = (
    "fell_below",
    "recovered",
    "moved_up",
    "moved_down",
    "newly_evaluated",
    "no_longer_evaluated",
)


@dataclass(frozen=True)
class Snapshot:
    """One report's data: its tidy records and its assessment."""

    tidy: pd.DataFrame
    assessment: Assessment


@dataclass(frozen=True)
class InitiativeChange:
    """An initiative added, removed, with one field changed, or whose achievement moved.

    ``change`` is ``added``, ``removed``, ``changed`` (``field`` says which; for an
    achievement ``old_year`` = ``new_year`` is its fiscal year) or, between two evaluated
    years, one of :data:`MOVEMENTS` (``old_year`` and ``new_year`` are those years).
    ``name``, ``goal``, ``direction`` and ``bureau`` are the initiative's as it now is (as it
    was, when removed); ``source_file`` and ``source_row`` say where it now comes from.
    """

    change: str
    initiative_id: str
    name: str | None
    goal: int | None
    direction: int | None
    bureau: str | None
    field: str | None = None
    old: object = None
    new: object = None
    old_year: int | None = None
    new_year: int | None = None
    source_file: str | None = None
    source_row: int | None = None
    achievements: tuple[tuple[int, str | None], ...] = ()
    """For an added or removed initiative: (fiscal year, achievement) of each year covered."""


@dataclass(frozen=True)
class FigureChange:
    """A figure of the assessment that moved.

    ``scope`` is ``program``, ``goal``, ``direction``, ``period``, ``indicator`` or
    ``data_quality``; ``subject`` names the period or indicator; ``field`` is the
    assessment's key (``initiatives``, ``counts.below``, ``shares_pct.below``,
    ``achieved_share_pct``, ``external_cause.below``, ``rule_inputs.adjusted_share_pct``,
    an indicator's ``actual``...).
    """

    scope: str
    goal: int | None
    direction: int | None
    subject: str | None
    field: str
    old_year: int | None
    new_year: int | None
    old: object
    new: object

    @property
    def difference(self) -> float | int | None:
        """new − old when both are numbers (shares to one decimal), else None."""
        numbers = (int, float)
        if isinstance(self.old, bool) or isinstance(self.new, bool):
            return None
        if isinstance(self.old, numbers) and isinstance(self.new, numbers):
            if isinstance(self.old, int) and isinstance(self.new, int):
                return self.new - self.old
            return round(self.new - self.old, 1)
        return None


@dataclass(frozen=True)
class GradeChange:
    """A grade, its source or reason, or the overall statement that moved.

    ``scope`` is ``goal``, ``direction`` (a direction's verdict, where the assessment has one)
    or ``program``; ``subject`` is the decision's name (``progress``, ``outlook``) or
    ``statement``; ``field`` is ``suggested``, ``final``, ``source``, ``reason`` (or
    ``statement``). ``old`` / ``new`` are the grade codes (or texts); ``old_label`` /
    ``new_label`` the plan's words for a grade.
    """

    scope: str
    goal: int | None
    subject: str
    field: str
    old: str | None
    new: str | None
    direction: int | None = None
    old_label: str | None = None
    new_label: str | None = None
    old_assumption: bool = False
    new_assumption: bool = False


@dataclass(frozen=True)
class OtherChange:
    """Another part of the assessment that changed: a text of the report (``part`` = ``text``:
    ``field`` is its place, e.g. ``achievement_text``, or ``<place>.source`` when only who
    wrote it changed), a main result added or removed, the notice, a name in the plan, the
    grading rule's wording; or, ``part`` = ``assessment``, any other key of the assessment."""

    part: str
    goal: int | None
    field: str
    old: str | None
    new: str | None
    direction: int | None = None


@dataclass(frozen=True)
class Comparison:
    """Everything that differs from an older report (``old_year``) to a newer one."""

    old_year: int
    new_year: int
    initiatives: tuple[InitiativeChange, ...] = ()
    figures: tuple[FigureChange, ...] = ()
    grades: tuple[GradeChange, ...] = ()
    others: tuple[OtherChange, ...] = ()

    @property
    def across_years(self) -> bool:
        """True when the two reports evaluate different fiscal years."""
        return self.old_year != self.new_year

    @property
    def empty(self) -> bool:
        """True when nothing differs."""
        return not (self.initiatives or self.figures or self.grades or self.others)

    def summary(self) -> dict[str, int]:
        """How many changes of each kind: added, removed, changed (fields), moved
        (achievements between two years), figures, grades, texts, others."""
        kinds = [c.change for c in self.initiatives]
        return {
            "added": kinds.count("added"),
            "removed": kinds.count("removed"),
            "changed": kinds.count("changed"),
            "moved": sum(kinds.count(m) for m in MOVEMENTS),
            "figures": len(self.figures),
            "grades": len(self.grades),
            "texts": sum(c.part == "text" for c in self.others),
            "others": sum(c.part != "text" for c in self.others),
        }
