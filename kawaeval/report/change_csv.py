"""``data/changes.csv``: the change record as one long table for Excel, a first row naming
the older report, then one row per change (English column names and the assessment's codes,
as the report's other data files).
"""

from __future__ import annotations

import pandas as pd

from kawaeval.evaluation.comparison import InitiativeChange, OtherChange
from kawaeval.evaluation.model import Assessment
from kawaeval.report.change_record import ChangeRecord, naming
from kawaeval.report.change_wording import (
    CHANGE_LABELS,
    field_label,
    figure_label,
    figure_scope,
    grade_label,
    other_label,
    other_scope,
)

CSV_COLUMNS = [
    "change",
    "scope",
    "goal",
    "direction",
    "initiative_id",
    "name",
    "subject",
    "old_fiscal_year",
    "new_fiscal_year",
    "field",
    "label",
    "old",
    "new",
    "difference",
    "source_file",
    "source_row",
]
"""The columns of ``data/changes.csv`` (docs/data-dictionary.md)."""


def _csv_initiative(c: InitiativeChange, assessment: Assessment) -> dict:
    label = CHANGE_LABELS[c.change]
    if c.change == "added":
        label = "取組の追加"
    elif c.change == "removed":
        label = "取組の削除"
    elif c.change == "changed":
        label = field_label(c)
    return {
        "change": c.change,
        "scope": "initiative",
        "goal": c.goal,
        "direction": c.direction,
        "initiative_id": c.initiative_id,
        "name": c.name,
        "old_fiscal_year": c.old_year,
        "new_fiscal_year": c.new_year,
        "field": c.field,
        "label": label,
        "old": c.old,
        "new": c.new,
        "source_file": c.source_file,
        "source_row": c.source_row,
    }


def _other_csv_scope(change: OtherChange) -> str:
    if change.part != "text":
        return change.part
    if change.goal is None:
        return "program"
    return "goal" if change.direction is None else "direction"


def changes_frame(record: ChangeRecord) -> pd.DataFrame:
    """``data/changes.csv``: a first row naming the older report, then one row per change
    (English column names and the assessment's codes, as the report's other data files)."""
    assessment = record.assessment
    comparison = record.comparison
    first = {
        "change": "compared_with" if comparison is not None else "not_compared",
        "scope": "report",
        "old_fiscal_year": record.old.fiscal_year,
        "new_fiscal_year": record.new.fiscal_year,
        "label": naming(record.old) + ("" if comparison is not None else f"：{record.problem}"),
    }
    rows = [first]
    if comparison is not None:
        rows += [_csv_initiative(c, assessment) for c in comparison.initiatives]
        rows += [
            {
                "change": "figure",
                "scope": c.scope,
                "goal": c.goal,
                "direction": c.direction,
                "subject": c.subject,
                "old_fiscal_year": c.old_year,
                "new_fiscal_year": c.new_year,
                "field": c.field,
                "label": figure_label(assessment, c),
                "old": c.old,
                "new": c.new,
                "difference": c.difference,
            }
            for c in comparison.figures
        ]
        rows += [
            {
                "change": "grade",
                "scope": c.scope,
                "goal": c.goal,
                "direction": c.direction,
                "subject": c.subject,
                "old_fiscal_year": comparison.old_year,
                "new_fiscal_year": comparison.new_year,
                "field": c.field,
                "label": f"{figure_scope(c)} {grade_label(c)}",
                "old": c.old,
                "new": c.new,
            }
            for c in comparison.grades
        ]
        rows += [
            {
                "change": "text" if c.part == "text" else "other",
                "scope": _other_csv_scope(c),
                "goal": c.goal,
                "direction": c.direction,
                "field": c.field,
                "label": f"{other_scope(c)} {other_label(c)}",
                "old": c.old,
                "new": c.new,
            }
            for c in comparison.others
        ]
    frame = pd.DataFrame(rows, columns=CSV_COLUMNS, dtype=object)
    return frame.astype(object).where(frame.notna(), None)
