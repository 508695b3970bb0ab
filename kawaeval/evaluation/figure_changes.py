"""The figures of two assessments that moved: counts and shares per year, goal, direction and
period, the external cause, the grading rule's inputs, reference indicators, rejected rows.
"""

from __future__ import annotations

from collections.abc import Iterator

from kawaeval.evaluation.comparison import FigureChange
from kawaeval.evaluation.model import Assessment, Counts, GoalResult, Shares
from kawaeval.plan import ACHIEVEMENTS as ACHIEVEMENT_FIELDS
from kawaeval.plan import EVALUATED as SHARE_FIELDS

FigureKey = tuple[str, int | None, int | None, str | None, int | None, str]
"""(scope, goal, direction, subject, fiscal year, field); the year is None between years."""


def _distribution(counts: Counts, shares: Shares) -> Iterator[tuple[str, object]]:
    for key in ACHIEVEMENT_FIELDS:
        yield f"counts.{key}", counts[key]
    for key in SHARE_FIELDS:
        yield f"shares_pct.{key}", shares[key]


def _year_figures(block, with_total: bool = True) -> Iterator[tuple[str, object]]:
    if with_total:
        yield "initiatives", block.initiatives
    yield from _distribution(block.counts, block.shares_pct)
    if hasattr(block, "achieved_share_pct"):
        yield "achieved_share_pct", block.achieved_share_pct


def _goal_extra(goal: GoalResult) -> Iterator[tuple[str, object]]:
    cause = goal.external_cause  # its ``below`` is the goal's own count, listed once
    yield "external_cause.with_external_cause", cause.with_external_cause
    yield "external_cause.share_pct", cause.share_pct
    yield "rule_inputs.min_year_achieved_share_pct", goal.rule_inputs.min_year_achieved_share_pct
    yield "rule_inputs.adjusted_share_pct", goal.rule_inputs.adjusted_share_pct


INDICATOR_FIELDS = ("baseline", "target", "actual", "achievement_rate_pct", "achieved")


def figures(assessment: Assessment, across: bool = False) -> dict[FigureKey, object]:
    """Every figure of an assessment by key, in report order.

    With ``across``, only the evaluated year's figures, keyed without their year (so that two
    evaluated years line up), and no periods.
    """
    year = None if across else assessment.fiscal_year
    found: dict[FigureKey, object] = {}

    def put(scope, goal, direction, subject, fiscal_year, pairs) -> None:
        for name, value in pairs:
            found.setdefault((scope, goal, direction, subject, fiscal_year, name), value)

    # the evaluated year first, then the earlier years in order: what a reviewer reads first
    def first(rows):
        return sorted(rows, key=lambda r: (r.fiscal_year != assessment.fiscal_year, r.fiscal_year))

    if across:
        put("program", None, None, None, None, _year_figures(assessment.program))
    else:
        for row in first(assessment.program_by_year):
            put("program", None, None, None, row.fiscal_year, _year_figures(row))
    cause = assessment.external_cause
    put(
        "program",
        None,
        None,
        None,
        year,
        [
            ("external_cause.with_external_cause", cause.with_external_cause),
            ("external_cause.share_pct", cause.share_pct),
        ],
    )
    # periods add up several years (延べ件数): comparable within one year's reports only
    periods = not across
    for period in assessment.program_periods if periods else ():
        put("period", None, None, period.name, None, _year_figures(period, with_total=False))
    for goal in assessment.goals:
        if across:
            put("goal", goal.goal, None, None, None, _year_figures(goal))
        else:
            for row in first(assessment.goal_by_year(goal.goal)):
                put("goal", goal.goal, None, None, row.fiscal_year, _year_figures(row))
        put("goal", goal.goal, None, None, year, _goal_extra(goal))
        for direction in goal.directions:
            put("direction", goal.goal, direction.direction, None, year, _year_figures(direction))
            for row in () if across else first(direction.by_year):
                put(
                    "direction",
                    goal.goal,
                    direction.direction,
                    None,
                    row.fiscal_year,
                    _year_figures(row),
                )
        for period in goal.periods if periods else ():
            put("period", goal.goal, None, period.name, None, _year_figures(period, False))
        for indicator in goal.indicators:
            pairs = [(name, indicator[name]) for name in INDICATOR_FIELDS]
            put("indicator", goal.goal, None, indicator.name, year, pairs)
    put(
        "data_quality",
        None,
        None,
        None,
        None,
        [("rejected_rows", assessment.data_quality.rejected_rows)],
    )
    return found


def _same_value(old: object, new: object) -> bool:
    if isinstance(old, bool) or isinstance(new, bool):
        return old is new
    return old == new


def figure_changes(old: Assessment, new: Assessment, across: bool) -> list[FigureChange]:
    before, after = figures(old, across), figures(new, across)
    keys = list(after) + [k for k in before if k not in after]
    changes = []
    for key in keys:
        was, now = before.get(key), after.get(key)
        if key in before and key in after and _same_value(was, now):
            continue
        if was is None and now is None:
            continue
        scope, goal, direction, subject, fiscal_year, name = key
        old_year = fiscal_year if fiscal_year is not None or not across else old.fiscal_year
        new_year = fiscal_year if fiscal_year is not None or not across else new.fiscal_year
        if scope in ("period", "data_quality"):
            old_year = new_year = None
        changes.append(
            FigureChange(scope, goal, direction, subject, name, old_year, new_year, was, now)
        )
    return changes
