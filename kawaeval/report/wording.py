"""How the report words what it shows: counts with shares, percentages, grades and where they
came from, a goal's name, the report's title, as the city writes them."""

from __future__ import annotations

import math

from kawaeval.common.text import era_year
from kawaeval.evaluation.model import Assessment, GradeDecision

ASSUMPTION_MARK = "※"
ASSUMPTION_NOTE = (
    "※ 市の公表資料に記載のない区分名です（計画定義ファイル plan.toml の仮の名称。"
    "評価担当課で確認してください）。"
)
NO_GRADE = "－（評価した取組がありません）"
NO_REASON = "（理由の記載なし）"


def count_share(count: int | None, share: float | None) -> str:
    """``1件(0.9%)``, a count with its share as the city writes it; ``－`` for no count."""
    if count is None:
        return "－"
    if share is None:
        return f"{count}件"
    return f"{count}件({share:.1f}%)"


def pct(share: float | None) -> str:
    """A share as ``80.7%``; ``－`` when there is none (None, or NaN in a frame)."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "－"
    return f"{share:.1f}%"


ACHIEVED_WORDS = {True: "達成", False: "未達成", None: "－"}
"""Whether a reference indicator reached its target, in words."""


def number(value: object) -> str:
    """A value as the report prints it: ``3,540``, ``22.5``; ``－`` when there is none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "－"
    try:
        as_float = float(value)
    except (TypeError, ValueError):
        return "－"  # pandas' NA
    if as_float.is_integer():
        return f"{int(as_float):,}"
    return f"{as_float:,}"


def evaluation_label(assessment: Assessment) -> str:
    """最終評価 for the last program year, 中間評価 for the others."""
    return "最終評価" if assessment.is_final else "中間評価"


def report_title(assessment: Assessment) -> str:
    """The report's title (index page, PDF): plan, program, year and evaluation kind."""
    plan = assessment.plan
    year = era_year(assessment.fiscal_year)
    return f"{plan.name} {plan.program} 評価 {year}（{evaluation_label(assessment)}）"


def goal_label(goal: int) -> str:
    """``基本目標2``, as the tables name a goal."""
    return f"基本目標{goal}"


def grade_text(grade: GradeDecision, which: str = "final") -> str:
    """A grade as the report prints it (``which``: final or suggested); a label the city has
    not published is marked ※."""
    if which == "final":
        code, label, assumed = grade.final, grade.final_label, grade.final_assumption
    else:
        code, label, assumed = grade.suggested, grade.suggested_label, grade.suggested_assumption
    if code is None:
        return NO_GRADE
    return f"{code} {label}{ASSUMPTION_MARK if assumed else ''}"


def grade_source(grade: GradeDecision) -> str:
    """Where a final grade came from: the rule, or the committee (changed or not)."""
    if grade.source == "committee":
        if grade.differs:
            return f"評価委員会の判断（提案評価 {grade_text(grade, 'suggested')} から変更）"
        return "評価委員会の判断（提案評価と同じ）"
    return "評価ルールによる提案評価"


def grade_source_short(grade: GradeDecision) -> str:
    """Where a final grade came from, short, for a table that shows the suggestion beside it:
    提案のまま, 評価委員会（提案と同じ）, 評価委員会（提案から変更）."""
    if grade.source == "committee":
        return "評価委員会（提案から変更）" if grade.differs else "評価委員会（提案と同じ）"
    return "提案のまま"


def grades_source(progress: GradeDecision, outlook: GradeDecision) -> str:
    """The source of a goal's two grades, said once when it is the same."""
    first, second = grade_source(progress), grade_source(outlook)
    return first if first == second else f"達成状況：{first}／今後の方向性：{second}"
