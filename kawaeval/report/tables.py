"""Every table of the report as a typed pandas DataFrame, built from the assessment.

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
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from kawaeval.common.text import era_year
from kawaeval.evaluation.model import (
    Assessment,
    Counts,
    GoalResult,
    PeriodResult,
    Shares,
    YearResult,
)
from kawaeval.exceptions import UsageError
from kawaeval.plan import ACHIEVEMENTS, EVALUATED
from kawaeval.report.chapters import REGISTRY
from kawaeval.report.wording import (
    ACHIEVED_WORDS,
    NO_REASON,
    goal_label,
    grade_source,
    grade_source_short,
    grade_text,
    grades_source,
)

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


def _frame(rows: Sequence[dict], columns: Sequence[str], dtypes: dict[str, str]) -> pd.DataFrame:
    """A frame with exactly these columns and types; ``attrs["shares"]`` names share columns."""
    frame = pd.DataFrame(list(rows), columns=list(columns))
    for column, dtype in dtypes.items():
        frame[column] = frame[column].astype(dtype)
    for column in columns:
        if column not in dtypes:
            frame[column] = frame[column].astype("object")
    frame.attrs["shares"] = [c for c in columns if c.endswith(SHARE_SUFFIX)]
    return frame


def _achievement_columns(assessment: Assessment) -> tuple[list[str], dict[str, str]]:
    """Count and share columns of the three evaluated achievements, with their types."""
    names = labels(assessment)
    columns, dtypes = [], {}
    for key in EVALUATED:
        columns += [count_column(names[key]), share_column(names[key])]
        dtypes[count_column(names[key])] = "int64"
        dtypes[share_column(names[key])] = "float64"
    return columns, dtypes


def _achievement_cells(assessment: Assessment, counts: Counts, shares: Shares) -> dict:
    names = labels(assessment)
    cells = {}
    for key in EVALUATED:
        cells[count_column(names[key])] = counts[key]
        cells[share_column(names[key])] = _share(shares[key])
    return cells


def _share(value: float | None) -> float:
    return float("nan") if value is None else float(value)


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
    return _frame(rows, columns, {"取組数": "int64", "基本目標の取組数": "int64"})


# ---------------------------------------------------------------- chapter 2: all initiatives


def distribution(assessment: Assessment, counts: Counts, shares: Shares) -> pd.DataFrame:
    """Counts and shares of one distribution; not-evaluated only when there are some; a total."""
    names = labels(assessment)
    rows = [
        {"達成度": names[k], "件数": counts[k], "割合" + SHARE_SUFFIX: _share(shares[k])}
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
    return _frame(
        rows, ["達成度", "件数", "割合" + SHARE_SUFFIX], {"件数": "int64", "割合（%）": "float64"}
    )


def program_distribution(assessment: Assessment) -> pd.DataFrame:
    """All initiatives' distribution in the evaluated year."""
    program = assessment.program
    return distribution(assessment, program.counts, program.shares_pct)


def trend(assessment: Assessment, rows: Sequence[YearResult]) -> pd.DataFrame:
    """Counts and shares year by year (``program_by_year`` or one goal's ``by_year`` rows)."""
    achievement_columns, dtypes = _achievement_columns(assessment)
    body = [
        {
            "年度": era_year(r.fiscal_year),
            "取組数": r.counts.total,
            **_achievement_cells(assessment, r.counts, r.shares_pct),
            ACHIEVED_SHARE: _share(r.achieved_share_pct),
        }
        for r in rows
    ]
    columns = ["年度", "取組数", *achievement_columns, ACHIEVED_SHARE]
    return _frame(body, columns, {"取組数": "int64", **dtypes, ACHIEVED_SHARE: "float64"})


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
    return _frame(rows, DATA_QUALITY_COLUMNS, {"行（Excel）": "Int64"})


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
    return _frame(rows, ["基本目標", "取組の方向性", "取組名", "実績"], {"取組の方向性": "int64"})


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
    return _frame(rows, GRADES_COLUMNS, {})


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
            ACHIEVED_SHARE: _share(d.achieved_share_pct),
            "提案（評価ルール）": grade_text(d.progress, "suggested"),
            "最終評価": grade_text(d.progress),
            "根拠": grade_source_short(d.progress),
            "判断の理由": d.progress.reason or "",
        }
        for g in assessment.goals
        for d in g.directions
    ]
    return _frame(rows, DIRECTION_VERDICT_COLUMNS, {"取組数": "int64", ACHIEVED_SHARE: "float64"})


def below_target_causes(assessment: Assessment) -> pd.DataFrame:
    """Per goal: below-target results and how many of them had the external cause."""
    below = labels(assessment).below
    cause = "うち" + assessment.external_cause.label + COUNT_SUFFIX
    rows = [
        {
            "基本目標": goal_label(g.goal),
            count_column(below): g.external_cause.below,
            cause: g.external_cause.with_external_cause,
            "割合" + SHARE_SUFFIX: _share(g.external_cause.share_pct),
        }
        for g in assessment.goals
    ]
    columns = ["基本目標", count_column(below), cause, "割合" + SHARE_SUFFIX]
    return _frame(
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
        {"区分": name, **{period_column(p): _share(p.achieved_share_pct) for p in blocks}}
        for name, blocks in groups
    ]
    return _frame(rows, columns, {c: "float64" for c in columns[1:]})


# ---------------------------------------------------------------- chapter 5: one goal


def goal_trend(assessment: Assessment, goal: int) -> pd.DataFrame:
    """One goal's counts and shares in every program year up to the evaluated one."""
    goal_block(assessment, goal)
    return trend(assessment, assessment.goal_by_year(goal))


def direction_distribution(assessment: Assessment, goal: int) -> pd.DataFrame:
    """The evaluated year's counts and shares per direction of one goal."""
    block = goal_block(assessment, goal)
    achievement_columns, dtypes = _achievement_columns(assessment)
    rows = [
        {
            "方向性": d.direction,
            "取組の方向性": d.name,
            "取組数": d.initiatives,
            **_achievement_cells(assessment, d.counts, d.shares_pct),
        }
        for d in block.directions
    ]
    columns = ["方向性", "取組の方向性", "取組数", *achievement_columns]
    return _frame(rows, columns, {"方向性": "int64", "取組数": "int64", **dtypes})


def direction_trend(assessment: Assessment, goal: int) -> pd.DataFrame:
    """Each direction of one goal in every program year up to the evaluated one."""
    block = goal_block(assessment, goal)
    achievement_columns, dtypes = _achievement_columns(assessment)
    rows = [
        {
            "方向性": d.direction,
            "取組の方向性": d.name,
            "年度": era_year(r.fiscal_year),
            "取組数": r.counts.total,
            **_achievement_cells(assessment, r.counts, r.shares_pct),
            ACHIEVED_SHARE: _share(r.achieved_share_pct),
        }
        for d in block.directions
        for r in d.by_year
    ]
    columns = ["方向性", "取組の方向性", "年度", "取組数", *achievement_columns, ACHIEVED_SHARE]
    return _frame(
        rows,
        columns,
        {"方向性": "int64", "取組数": "int64", **dtypes, ACHIEVED_SHARE: "float64"},
    )


def goal_periods(assessment: Assessment, goal: int) -> pd.DataFrame:
    """The period comparison (e.g. before / after COVID-19) of one goal, in 延べ件数."""
    block = goal_block(assessment, goal)
    achievement_columns, dtypes = _achievement_columns(assessment)
    rows = [
        {
            "期間": p.name,
            "年度": "・".join(era_year(y) for y in p.fiscal_years),
            **_achievement_cells(assessment, p.counts, p.shares_pct),
            ACHIEVED_SHARE: _share(p.achieved_share_pct),
        }
        for p in block.periods
    ]
    columns = ["期間", "年度", *achievement_columns, ACHIEVED_SHARE]
    return _frame(rows, columns, {**dtypes, ACHIEVED_SHARE: "float64"})


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
    return _frame(rows, BELOW_TARGET_COLUMNS, {"方向性": "int64"})


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
            "達成率" + SHARE_SUFFIX: _share(i.achievement_rate_pct),
            "達成": ACHIEVED_WORDS[i.achieved],
        }
        for i in block.indicators
    ]
    numbers = dict.fromkeys(INDICATOR_VALUES, "Float64")
    return _frame(rows, INDICATOR_COLUMNS, {**numbers, "達成率" + SHARE_SUFFIX: "float64"})


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
    return _frame(rows, GOAL_GRADES_COLUMNS, {})


# ---------------------------------------------------------------- the registry


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


def achievement_column(fiscal_year: int) -> str:
    """The frame's column holding one program year's achievement key."""
    return f"achievement_{fiscal_year}"


def years_so_far(assessment: Assessment) -> list[int]:
    """The program years up to the evaluated one."""
    return assessment.years_so_far()


def shown_id(initiative_id: str, former_ids: list[str]) -> str:
    """An initiative's id as the appendix shows it: a renumbered one with its earlier ids,
    ``1-1-05（旧 1-2-03）``, so that both years' records can be found."""
    if not former_ids:
        return initiative_id
    return f"{initiative_id}（旧 {'、'.join(former_ids)}）"


def initiatives_frame(assessment: Assessment) -> pd.DataFrame:
    """One row per initiative, in plan order (goal, direction, id): its names, bureau, reason
    and one ``achievement_<year>`` column per program year up to the evaluated one (missing
    where the records have no result for that year); ``shown_id`` is the id with the earlier
    ids of a renumbered initiative (``former_ids``, joined)."""
    goals = {g.goal: g for g in assessment.plan.goals}
    years = years_so_far(assessment)
    rows = []
    for entry in assessment.initiatives:
        goal = goals[entry.goal]
        directions = {d.direction: d.name for d in goal.directions}
        rows.append(
            {
                "goal": entry.goal,
                "goal_name": goal.name,
                "direction": entry.direction,
                "direction_name": directions[entry.direction],
                "initiative_id": entry.initiative_id,
                "shown_id": shown_id(entry.initiative_id, entry.former_ids),
                "former_ids": "、".join(entry.former_ids) or None,
                "name": entry.name,
                "bureau": entry.bureau,
                **{achievement_column(y): entry.achievements.get(str(y)) for y in years},
                "reason": entry.reason,
            }
        )
    columns = [
        "goal",
        "goal_name",
        "direction",
        "direction_name",
        "initiative_id",
        "shown_id",
        "former_ids",
        "name",
        "bureau",
        *(achievement_column(y) for y in years),
        "reason",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    for column in ("goal", "direction"):
        frame[column] = frame[column].astype("int64")
    for y in years:
        frame[achievement_column(y)] = pd.Categorical(
            frame[achievement_column(y)], categories=ACHIEVEMENTS
        )
    order = {
        (g, d.direction): i for i, (g, goal) in enumerate(goals.items()) for d in goal.directions
    }
    position = [order[(g, d)] for g, d in zip(frame["goal"], frame["direction"], strict=True)]
    frame = frame.assign(_order=position).sort_values(["_order", "initiative_id"], kind="stable")
    return frame.drop(columns="_order").reset_index(drop=True)


def _blank_if_missing(value: object) -> object:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def initiatives(assessment: Assessment) -> pd.DataFrame:
    """付録 取組一覧: every initiative in plan order, with its result in each program year up to
    the evaluated one (the label; blank where the records have none) and its reason."""
    names = assessment.labels
    years = years_so_far(assessment)
    year_columns = [era_year(y) for y in years]
    rows = [
        {
            "基本目標": r["goal"],
            "取組の方向性": r["direction"],
            "取組番号": r["shown_id"],
            "取組名": r["name"],
            "所管": _blank_if_missing(r["bureau"]),
            **{
                column: names.get(r[achievement_column(y)], "")
                for column, y in zip(year_columns, years, strict=True)
            },
            "主な理由": _blank_if_missing(r["reason"]),
        }
        for r in initiatives_frame(assessment).to_dict("records")
    ]
    columns = ["基本目標", "取組の方向性", "取組番号", "取組名", "所管", *year_columns, "主な理由"]
    return _frame(rows, columns, {"基本目標": "int64", "取組の方向性": "int64"})


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
