"""The registry of the report's tables: every table by its key, its title, its chapter and when
it is shown (the one show/hide rule), each a typed pandas DataFrame built from the assessment.

The HTML report (:mod:`kawaeval.report.presenting`), the workbook and an analyst's notebook all read
these frames, so they cannot disagree. Counts are integers, shares are floats in percent
(their column labels end with :data:`SHARE_SUFFIX`, and ``frame.attrs["shares"]`` lists them),
column labels are the Japanese ones the report shows. :func:`report_tables` lists every table
in report order; :func:`report_table` gives one by its key:

- chapter 1: ``plan_structure``; chapter 2: ``program_distribution``, ``program_trend``,
  ``data_quality`` (rows let through with --allow-rejects); chapter 3: ``highlights``;
  chapter 4: ``grades``, ``direction_verdicts``, ``below_target_causes``, ``period_overview``;
- each goal chapter (``goal=`` required): ``goal_trend``, ``goal_periods``,
  ``direction_distribution``, ``direction_trend``, ``below_target``, ``indicators``,
  ``goal_grades``.

A table whose data is absent (no highlights, indicators, periods...) is left out of
:func:`report_tables`, as the report leaves it out; :func:`report_table` gives it empty.

The frames are built in :mod:`~kawaeval.report.chapter_tables` (the chapters') and
:mod:`~kawaeval.report.appendix_frame` (the appendix's); what a table is, in
:mod:`~kawaeval.report.frames`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from kawaeval.common.text import era_year
from kawaeval.evaluation.model import Assessment
from kawaeval.exceptions import UsageError
from kawaeval.report.appendix_frame import initiatives
from kawaeval.report.chapter_tables import (
    below_target,
    below_target_causes,
    data_quality,
    direction_distribution,
    direction_trend,
    direction_verdicts,
    goal_grades,
    goal_periods,
    goal_trend,
    grades,
    highlights,
    indicators,
    period_overview,
    plan_structure,
    program_distribution,
    program_trend,
)
from kawaeval.report.chapters import REGISTRY
from kawaeval.report.frames import ReportTable, goal_block, labels
from kawaeval.report.wording import goal_label


@dataclass(frozen=True)
class _Spec:
    key: str
    build: Callable[..., pd.DataFrame]
    title: Callable[..., str]
    per_goal: bool = False
    shown: Callable[..., bool] = lambda assessment, *goal: True


def _periods_shown(assessment: Assessment, *goal: int) -> bool:
    periods = goal_block(assessment, goal[0]).periods if goal else assessment.program_periods
    return len(periods) >= 2


def _year(assessment: Assessment) -> str:
    return era_year(assessment.fiscal_year)


def external_cause_used(assessment: Assessment) -> bool:
    """Whether the plan names an external cause at all (keywords in its grading rule)."""
    return bool(assessment.grading_rule.thresholds.external_cause_keywords)


def _cause_shown(assessment: Assessment) -> bool:
    return bool(assessment.external_cause.below) and external_cause_used(assessment)


_SPECS = (
    _Spec(
        "plan_structure",
        plan_structure,
        lambda a: f"取組体系（取組数 合計 {a.program.initiatives}件）",
    ),
    _Spec(
        "program_distribution",
        program_distribution,
        lambda a: f"{_year(a)}の各取組の達成度",
    ),
    _Spec("program_trend", program_trend, lambda a: "年度別の達成度（全取組）"),
    _Spec(
        "data_quality",
        data_quality,
        lambda a: "データ品質：受け付けなかった行",
        shown=lambda a: bool(a.data_quality.rejected),
    ),
    _Spec(
        "highlights",
        highlights,
        lambda a, g=None: "主な実績" if g is None else f"{goal_label(g)}の主な実績",
        shown=lambda a: any(g.highlights for g in a.goals),
    ),
    _Spec("grades", grades, lambda a: "基本目標ごとの達成状況と今後の方向性"),
    _Spec(
        "direction_verdicts",
        direction_verdicts,
        lambda a: f"取組の方向性ごとの進捗（{_year(a)}）",
    ),
    _Spec(
        "below_target_causes",
        below_target_causes,
        lambda a: f"{_year(a)}の{labels(a).below}取組の理由",
        shown=lambda a: _cause_shown(a),
    ),
    _Spec(
        "period_overview",
        period_overview,
        lambda a: (
            f"期間ごとの「{labels(a).exceeded}」と「{labels(a).on_target}」を"
            "合わせた割合（延べ件数）"
        ),
        shown=_periods_shown,
    ),
    _Spec(
        "goal_trend",
        goal_trend,
        lambda a, g: f"{goal_label(g)}の年度別の達成度",
        per_goal=True,
    ),
    _Spec(
        "direction_distribution",
        direction_distribution,
        lambda a, g: f"{goal_label(g)}の取組の方向性別の達成度（{_year(a)}）",
        per_goal=True,
    ),
    _Spec(
        "direction_trend",
        direction_trend,
        lambda a, g: f"{goal_label(g)}の取組の方向性別・年度別の達成度",
        per_goal=True,
    ),
    _Spec(
        "goal_periods",
        goal_periods,
        lambda a, g: f"{goal_label(g)}の期間ごとの達成度（延べ件数）",
        per_goal=True,
        shown=_periods_shown,
    ),
    _Spec(
        "below_target",
        below_target,
        lambda a, g: f"{goal_label(g)}の{_year(a)}に{labels(a).below}取組",
        per_goal=True,
        shown=lambda a, g: bool(goal_block(a, g).below_target),
    ),
    _Spec(
        "indicators",
        indicators,
        lambda a, g: f"{goal_label(g)}の参考指標（{_year(a)}）",
        per_goal=True,
        shown=lambda a, g: bool(goal_block(a, g).indicators),
    ),
    _Spec(
        "goal_grades",
        goal_grades,
        lambda a, g: f"{goal_label(g)}の達成状況と今後の方向性",
        per_goal=True,
    ),
)


_SPECS += (
    _Spec(
        "initiatives",
        initiatives,
        lambda a: f"付録 取組一覧（{_year(a)}まで）",
        shown=lambda a, *goal: bool(a.initiatives),
    ),
)
TABLE_KEYS = tuple(s.key for s in _SPECS)


def table_title(assessment: Assessment, key: str, goal: int | None = None) -> str:
    """The Japanese title the report gives a table (sheet titles derive from it)."""
    spec = _spec(key)
    if spec.per_goal or goal is not None:
        return spec.title(assessment, goal)
    return spec.title(assessment)


def report_tables(assessment: Assessment) -> list[ReportTable]:
    """Every table the report shows, in report order: the chapters of the registry
    (:data:`kawaeval.report.chapters.REGISTRY`), each chapter's tables in its order."""
    tables = []
    for chapter in REGISTRY:
        for goal in [g.goal for g in assessment.goals] if chapter.per_goal else [None]:
            page = chapter.page_name(goal)
            for key in chapter.tables:
                if is_shown(assessment, key, goal):
                    spec = _spec(key)
                    args = (assessment,) if goal is None else (assessment, goal)
                    tables.append(
                        ReportTable(key, spec.title(*args), page, spec.build(*args), goal)
                    )
    return tables


def is_shown(assessment: Assessment, key: str, goal: int | None = None) -> bool:
    """Whether the report shows table ``key`` (of ``goal``): the one show/hide rule that the
    HTML sections, the workbook and :func:`report_tables` follow."""
    spec = _spec(key)
    return spec.shown(assessment) if goal is None else spec.shown(assessment, goal)


def report_table(assessment: Assessment, key: str, goal: int | None = None) -> pd.DataFrame:
    """One table of the report as a DataFrame, e.g. ``report_table(a, "goal_trend", goal=2)``.

    Raises
    ------
    UsageError
        If the key is unknown (the message lists the keys), a goal table is asked for
        without a goal, or the goal is not in the plan.
    """
    spec = _spec(key)
    if spec.per_goal:
        if goal is None:
            goals = ", ".join(str(g.goal) for g in assessment.goals)
            raise UsageError(
                f"表 {key!r} は基本目標ごとの表です: goal を指定してください"
                f" (goal must be one of: {goals})"
            )
        return spec.build(assessment, goal)
    if key == "highlights":
        return highlights(assessment, goal)
    if goal is not None:
        raise UsageError(f"表 {key!r} は基本目標ごとの表ではありません (give no goal)")
    return spec.build(assessment)


def _spec(key: str) -> _Spec:
    for spec in _SPECS:
        if spec.key == key:
            return spec
    raise UsageError(f"表 {key!r} はありません (key must be one of: {', '.join(TABLE_KEYS)})")
