"""The analyst's API: the tidy records, an assessment and any report table, each in one call.

Meant for JupyterLab (``from kawaeval import load_records, assess, table``); the defaults are
the CLI's: the project's raw folder ``data/raw/`` (the project is ``$KAWAEVAL_HOME``, else the
current folder; or ``plan.toml`` and records in ``raw_dir``), and
rejected rows stop the run unless ``allow_rejects`` is true.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kawaeval.evaluation.model import Assessment
from kawaeval.paths import default_raw_dir


def _raw(raw_dir: Path | str | None) -> Path:
    return Path(raw_dir) if raw_dir is not None else default_raw_dir()


def load_records(raw_dir: Path | str | None = None, allow_rejects: bool = False) -> pd.DataFrame:
    """The tidy table: one row per initiative and fiscal year (columns: docs/data-dictionary.md).

    Raises
    ------
    InputFileError, PlanDefinitionError, RejectedRowsError
        As ``kawaeval clean`` does, naming the file, row and column to fix.
    """
    from kawaeval.records.cleaning import clean_records

    return clean_records(_raw(raw_dir), out_dir=None, allow_rejects=allow_rejects).tidy


def assess(
    fiscal_year: int, raw_dir: Path | str | None = None, allow_rejects: bool = False
) -> Assessment:
    """The assessment of ``fiscal_year``: what ``kawaeval assess --json`` prints, typed.

    It reads like that JSON (``assessment["goals"][0]["counts"]["below"]``) and by attribute
    (``assessment.goals[0].counts.below``); ``assessment.to_dict()`` gives the plain dict.

    Raises
    ------
    UnknownFiscalYearError
        If the year is not a program year of the plan.
    NoRecordsError, InputFileError, RejectedRowsError
        If the records hold nothing for the year or cannot be cleaned.
    """
    from kawaeval.evaluation.assessing import assess_records

    return assess_records(_raw(raw_dir), fiscal_year, allow_rejects=allow_rejects)


def table(
    key: str,
    fiscal_year: int,
    goal: int | None = None,
    raw_dir: Path | str | None = None,
    allow_rejects: bool = False,
) -> pd.DataFrame:
    """One table of the report as a DataFrame (e.g. ``table("goal_trend", 2021, goal=2)``).

    ``key`` is a table's English id (``kawaeval.report.tables.report_tables`` lists them); ``goal``
    picks the goal for the goal chapters' tables.

    Raises
    ------
    KeyError, UsageError
        As ``kawaeval.report.tables.report_table`` does for an unknown key or goal.
    """
    from kawaeval.report.tables import report_table

    return report_table(assess(fiscal_year, raw_dir, allow_rejects), key, goal)
