"""What every report table is: a :class:`ReportTable` (key, title, chapter, frame), its column
labels (an achievement's count ends with :data:`COUNT_SUFFIX`, its share with
:data:`SHARE_SUFFIX`) and a typed frame (counts integers, shares floats in percent,
``frame.attrs["shares"]`` naming the share columns).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from kawaeval.evaluation.model import Assessment, Counts, GoalResult, Shares
from kawaeval.plan import EVALUATED

COUNT_SUFFIX = "（件）"
SHARE_SUFFIX = "（%）"
ACHIEVED_SHARE = "達成割合" + SHARE_SUFFIX
TOTAL_LABEL = "取組数"


@dataclass(frozen=True)
class ReportTable:
    """One table of the report: its key, Japanese title, chapter and data."""

    key: str
    title: str
    chapter: str
    frame: pd.DataFrame
    goal: int | None = None


def labels(assessment: Assessment):
    """The plan's achievement labels (exceeded, on_target, below, not_evaluated)."""
    return assessment.labels


def count_column(label: str) -> str:
    """The column label of an achievement's count, e.g. ``ほぼ目標どおり（件）``."""
    return label + COUNT_SUFFIX


def share_column(label: str) -> str:
    """The column label of an achievement's share, e.g. ``ほぼ目標どおり（%）``."""
    return label + SHARE_SUFFIX


def goal_block(assessment: Assessment, goal: int) -> GoalResult:
    """The assessment of one goal (:meth:`Assessment.goal`).

    Raises
    ------
    UsageError
        If the plan has no such goal; the message names the goals it has.
    """
    return assessment.goal(goal)


def typed_frame(
    rows: Sequence[dict], columns: Sequence[str], dtypes: dict[str, str]
) -> pd.DataFrame:
    """A frame with exactly these columns and types; ``attrs["shares"]`` names share columns."""
    frame = pd.DataFrame(list(rows), columns=list(columns))
    for column, dtype in dtypes.items():
        frame[column] = frame[column].astype(dtype)
    for column in columns:
        if column not in dtypes:
            frame[column] = frame[column].astype("object")
    frame.attrs["shares"] = [c for c in columns if c.endswith(SHARE_SUFFIX)]
    return frame


def evaluated_columns(assessment: Assessment) -> tuple[list[str], dict[str, str]]:
    """Count and share columns of the three evaluated achievements, with their types."""
    names = labels(assessment)
    columns, dtypes = [], {}
    for key in EVALUATED:
        columns += [count_column(names[key]), share_column(names[key])]
        dtypes[count_column(names[key])] = "int64"
        dtypes[share_column(names[key])] = "float64"
    return columns, dtypes


def evaluated_cells(assessment: Assessment, counts: Counts, shares: Shares) -> dict:
    names = labels(assessment)
    cells = {}
    for key in EVALUATED:
        cells[count_column(names[key])] = counts[key]
        cells[share_column(names[key])] = share_value(shares[key])
    return cells


def share_value(value: float | None) -> float:
    return float("nan") if value is None else float(value)
