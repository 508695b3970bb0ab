"""The frames of each chapter's tables, built from the assessment: the plan, all initiatives
(with the rows let through with --allow-rejects), the highlights, the overall evaluation and
one goal's chapter. Which of them the report shows, and under what title, is
:mod:`kawaeval.report.tables`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from kawaeval.common.text import era_year
from kawaeval.evaluation.model import Assessment, Counts, PeriodResult, Shares, YearResult
from kawaeval.plan import EVALUATED
from kawaeval.report.frames import (
    ACHIEVED_SHARE,
    COUNT_SUFFIX,
    SHARE_SUFFIX,
    TOTAL_LABEL,
    count_column,
    evaluated_cells,
    evaluated_columns,
    goal_block,
    labels,
    share_value,
    typed_frame,
)
from kawaeval.report.wording import (
    ACHIEVED_WORDS,
    NO_REASON,
    goal_label,
    grade_source,
    grade_source_short,
    grade_text,
    grades_source,
)

# ---------------------------------------------------------------- chapter 1: the plan


def plan_structure(assessment: Assessment) -> pd.DataFrame:
    """Goals, policies and directions with the number of initiatives of each (取組体系)."""
    counts = {g.goal: g.initiatives for g in assessment.goals}
    by_direction = {
        (g.goal, d.direction): d.initiatives for g in assessment.goals for d in g.directions
    }
    rows = [
        {
            "基本目標": goal_label(goal.goal),
            "名称": goal.name,
            "取組方針": goal.policy,
            "取組の方向性": f"{d.direction} {d.name}",
            "取組数": by_direction.get((goal.goal, d.direction), 0),
            "基本目標の取組数": counts.get(goal.goal, 0),
        }
        for goal in assessment.plan.goals
        for d in goal.directions
    ]
    columns = ["基本目標", "名称", "取組方針", "取組の方向性", "取組数", "基本目標の取組数"]
    return typed_frame(rows, columns, {"取組数": "int64", "基本目標の取組数": "int64"})


# ---------------------------------------------------------------- chapter 2: all initiatives


def distribution(assessment: Assessment, counts: Counts, shares: Shares) -> pd.DataFrame:
    """Counts and shares of one distribution; not-evaluated only when there are some; a total."""
    names = labels(assessment)
    rows = [
        {"達成度": names[k], "件数": counts[k], "割合" + SHARE_SUFFIX: share_value(shares[k])}
        for k in EVALUATED
    ]
    if counts.not_evaluated:
        rows.append(
            {
                "達成度": names.not_evaluated,
                "件数": counts.not_evaluated,
                "割合" + SHARE_SUFFIX: float("nan"),
            }
        )
    rows.append({"達成度": TOTAL_LABEL, "件数": counts.total, "割合" + SHARE_SUFFIX: float("nan")})
    return typed_frame(
        rows, ["達成度", "件数", "割合" + SHARE_SUFFIX], {"件数": "int64", "割合（%）": "float64"}
    )


def program_distribution(assessment: Assessment) -> pd.DataFrame:
    """All initiatives' distribution in the evaluated year."""
    program = assessment.program
    return distribution(assessment, program.counts, program.shares_pct)


def trend(assessment: Assessment, rows: Sequence[YearResult]) -> pd.DataFrame:
    """Counts and shares year by year (``program_by_year`` or one goal's ``by_year`` rows)."""
    achievement_columns, dtypes = evaluated_columns(assessment)
    body = [
        {
            "年度": era_year(r.fiscal_year),
            "取組数": r.counts.total,
            **evaluated_cells(assessment, r.counts, r.shares_pct),
            ACHIEVED_SHARE: share_value(r.achieved_share_pct),
        }
        for r in rows
    ]
    columns = ["年度", "取組数", *achievement_columns, ACHIEVED_SHARE]
    return typed_frame(body, columns, {"取組数": "int64", **dtypes, ACHIEVED_SHARE: "float64"})


def program_trend(assessment: Assessment) -> pd.DataFrame:
    """All initiatives' distribution in every program year up to the evaluated one."""
    return trend(assessment, assessment.program_by_year)


DATA_QUALITY_COLUMNS = ["ファイル", "行（Excel）", "列", "値", "理由", "取組番号", "取組名"]


def data_quality(assessment: Assessment) -> pd.DataFrame:
    """The rejected rows with file, Excel row, column, value, reason and their initiative."""
    rows = [
        {
            "ファイル": r.file,
            "行（Excel）": r.row,
            "列": r.column or "",
            "値": "" if r.value is None else r.value,
            "理由": r.reason,
            "取組番号": r.initiative_id or "",
            "取組名": r.name or "",
        }
        for r in assessment.data_quality.rejected
    ]
    return typed_frame(rows, DATA_QUALITY_COLUMNS, {"行（Excel）": "Int64"})


# ---------------------------------------------------------------- chapter 3: highlights


def highlights(assessment: Assessment, goal: int | None = None) -> pd.DataFrame:
    """Main results (主な実績) of every goal, or of one goal."""
    blocks = assessment.goals if goal is None else [goal_block(assessment, goal)]
    rows = [
        {
            "基本目標": goal_label(g.goal),
            "取組の方向性": h.direction,
            "取組名": h.initiative,
            "実績": h.result,
        }
        for g in blocks
        for h in g.highlights
    ]
    return typed_frame(
        rows, ["基本目標", "取組の方向性", "取組名", "実績"], {"取組の方向性": "int64"}
    )


# ---------------------------------------------------------------- chapter 4: overall


GRADES_COLUMNS = ["基本目標", "名称", "達成状況", "今後の方向性（取組構成の妥当性）", "評価の根拠"]


def grades(assessment: Assessment) -> pd.DataFrame:
    """Each goal's final progress and outlook grade, with how it was reached."""
    rows = [
        {
            "基本目標": goal_label(g.goal),
            "名称": g.name,
            "達成状況": grade_text(g.progress),
            "今後の方向性（取組構成の妥当性）": grade_text(g.outlook),
            "評価の根拠": grades_source(g.progress, g.outlook),
        }
        for g in assessment.goals
    ]
    return typed_frame(rows, GRADES_COLUMNS, {})


DIRECTION_VERDICT_COLUMNS = [
    "基本目標",
    "取組の方向性",
    "取組数",
    ACHIEVED_SHARE,
    "提案（評価ルール）",
    "最終評価",
    "根拠",
    "判断の理由",
]


def direction_verdicts(assessment: Assessment) -> pd.DataFrame:
    """Every direction's verdict in the evaluated year (一定の進捗があった...), suggested and
    final, with its achieved share and how the verdict was reached."""
    rows = [
        {
            "基本目標": goal_label(g.goal),
            "取組の方向性": f"{d.direction} {d.name}",
            "取組数": d.initiatives,
            ACHIEVED_SHARE: share_value(d.achieved_share_pct),
            "提案（評価ルール）": grade_text(d.progress, "suggested"),
            "最終評価": grade_text(d.progress),
            "根拠": grade_source_short(d.progress),
            "判断の理由": d.progress.reason or "",
        }
        for g in assessment.goals
        for d in g.directions
    ]
    return typed_frame(
        rows, DIRECTION_VERDICT_COLUMNS, {"取組数": "int64", ACHIEVED_SHARE: "float64"}
    )


def below_target_causes(assessment: Assessment) -> pd.DataFrame:
    """Per goal: below-target results and how many of them had the external cause."""
    below = labels(assessment).below
    cause = "うち" + assessment.external_cause.label + COUNT_SUFFIX
    rows = [
        {
            "基本目標": goal_label(g.goal),
            count_column(below): g.external_cause.below,
            cause: g.external_cause.with_external_cause,
            "割合" + SHARE_SUFFIX: share_value(g.external_cause.share_pct),
        }
        for g in assessment.goals
    ]
    columns = ["基本目標", count_column(below), cause, "割合" + SHARE_SUFFIX]
    return typed_frame(
        rows,
        columns,
        {count_column(below): "int64", cause: "int64", "割合" + SHARE_SUFFIX: "float64"},
    )


def period_column(period: PeriodResult) -> str:
    """A period's column label: its name and years, e.g. ``影響前（平成30(2018)年度・…）（%）``."""
    years = "・".join(era_year(y) for y in period.fiscal_years)
    return f"{period.name}（{years}）{SHARE_SUFFIX}"


def period_overview(assessment: Assessment) -> pd.DataFrame:
    """The achieved share per period, for all initiatives and each goal (延べ件数)."""
    periods = assessment.program_periods
    columns = ["区分", *(period_column(p) for p in periods)]
    groups = [("全取組", periods)]
    groups += [(goal_label(g.goal), g.periods) for g in assessment.goals]
    rows = [
        {"区分": name, **{period_column(p): share_value(p.achieved_share_pct) for p in blocks}}
        for name, blocks in groups
    ]
    return typed_frame(rows, columns, {c: "float64" for c in columns[1:]})


# ---------------------------------------------------------------- chapter 5: one goal


def goal_trend(assessment: Assessment, goal: int) -> pd.DataFrame:
    """One goal's counts and shares in every program year up to the evaluated one."""
    goal_block(assessment, goal)
    return trend(assessment, assessment.goal_by_year(goal))


def direction_distribution(assessment: Assessment, goal: int) -> pd.DataFrame:
    """The evaluated year's counts and shares per direction of one goal."""
    block = goal_block(assessment, goal)
    achievement_columns, dtypes = evaluated_columns(assessment)
    rows = [
        {
            "方向性": d.direction,
            "取組の方向性": d.name,
            "取組数": d.initiatives,
            **evaluated_cells(assessment, d.counts, d.shares_pct),
        }
        for d in block.directions
    ]
    columns = ["方向性", "取組の方向性", "取組数", *achievement_columns]
    return typed_frame(rows, columns, {"方向性": "int64", "取組数": "int64", **dtypes})


def direction_trend(assessment: Assessment, goal: int) -> pd.DataFrame:
    """Each direction of one goal in every program year up to the evaluated one."""
    block = goal_block(assessment, goal)
    achievement_columns, dtypes = evaluated_columns(assessment)
    rows = [
        {
            "方向性": d.direction,
            "取組の方向性": d.name,
            "年度": era_year(r.fiscal_year),
            "取組数": r.counts.total,
            **evaluated_cells(assessment, r.counts, r.shares_pct),
            ACHIEVED_SHARE: share_value(r.achieved_share_pct),
        }
        for d in block.directions
        for r in d.by_year
    ]
    columns = ["方向性", "取組の方向性", "年度", "取組数", *achievement_columns, ACHIEVED_SHARE]
    return typed_frame(
        rows,
        columns,
        {"方向性": "int64", "取組数": "int64", **dtypes, ACHIEVED_SHARE: "float64"},
    )


def goal_periods(assessment: Assessment, goal: int) -> pd.DataFrame:
    """The period comparison (e.g. before / after COVID-19) of one goal, in 延べ件数."""
    block = goal_block(assessment, goal)
    achievement_columns, dtypes = evaluated_columns(assessment)
    rows = [
        {
            "期間": p.name,
            "年度": "・".join(era_year(y) for y in p.fiscal_years),
            **evaluated_cells(assessment, p.counts, p.shares_pct),
            ACHIEVED_SHARE: share_value(p.achieved_share_pct),
        }
        for p in block.periods
    ]
    columns = ["期間", "年度", *achievement_columns, ACHIEVED_SHARE]
    return typed_frame(rows, columns, {**dtypes, ACHIEVED_SHARE: "float64"})


BELOW_TARGET_COLUMNS = ["取組番号", "取組名", "方向性", "所管", "主な理由", "外部要因"]


def below_target(assessment: Assessment, goal: int) -> pd.DataFrame:
    """The goal's below-target initiatives in the evaluated year, with the reasons given."""
    block = goal_block(assessment, goal)
    label = assessment.external_cause.label
    rows = [
        {
            "取組番号": r.initiative_id,
            "取組名": r.name,
            "方向性": r.direction,
            "所管": r.bureau or "",
            "主な理由": r.reason or NO_REASON,
            "外部要因": label if r.external_cause else "",
        }
        for r in block.below_target
    ]
    return typed_frame(rows, BELOW_TARGET_COLUMNS, {"方向性": "int64"})


INDICATOR_VALUES = ("基準値", "目標値", "実績値")
INDICATOR_COLUMNS = [
    "参考指標",
    "単位",
    "向き",
    *INDICATOR_VALUES,
    "達成率" + SHARE_SUFFIX,
    "達成",
]
_BETTER = {"higher": "高いほど良い", "lower": "低いほど良い"}


def indicators(assessment: Assessment, goal: int) -> pd.DataFrame:
    """The goal's reference indicators (参考指標) for the evaluated year."""
    block = goal_block(assessment, goal)
    rows = [
        {
            "参考指標": i.name + ("（例示）" if i.illustrative and "例示" not in i.name else ""),
            "単位": i.unit or "",
            "向き": _BETTER.get(i.better, i.better or ""),
            "基準値": i.baseline,
            "目標値": i.target,
            "実績値": i.actual,
            "達成率" + SHARE_SUFFIX: share_value(i.achievement_rate_pct),
            "達成": ACHIEVED_WORDS[i.achieved],
        }
        for i in block.indicators
    ]
    numbers = dict.fromkeys(INDICATOR_VALUES, "Float64")
    return typed_frame(rows, INDICATOR_COLUMNS, {**numbers, "達成率" + SHARE_SUFFIX: "float64"})


GOAL_GRADES_COLUMNS = ["項目", "提案評価（評価ルール）", "最終評価", "根拠", "評価委員会の理由"]
SAME_REASON = "（同上）"


def goal_grades(assessment: Assessment, goal: int) -> pd.DataFrame:
    """Suggested and final grades of one goal, with the committee's reason."""
    block = goal_block(assessment, goal)
    rows, shown = [], None
    for title, grade in (("達成状況", block.progress), ("今後の方向性", block.outlook)):
        reason = grade.reason or ""
        rows.append(
            {
                "項目": title,
                "提案評価（評価ルール）": grade_text(grade, "suggested"),
                "最終評価": grade_text(grade),
                "根拠": grade_source(grade),
                "評価委員会の理由": SAME_REASON if reason and reason == shown else reason,
            }
        )
        shown = reason
    return typed_frame(rows, GOAL_GRADES_COLUMNS, {})
