"""What differs between two reports' data: their records (the tidy table) and their assessments.

:func:`compare` takes the records and assessment of an older and a newer report and lists:

- initiatives added or removed, and every changed field of an initiative (a year's
  achievement, name, bureau, goal, direction, reason) with the file and row it now comes from;
  a moved file or row alone is not a change;
- every figure that moved: counts and shares per year, goal, direction and period, the
  external cause, the grading rule's inputs, reference indicators, rejected rows;
- every suggested or final grade, the committee's reason and the overall statement that moved;
- the rest of the assessment that changed (main results, the notice, the plan's wording).

Two reports of one fiscal year compare the program years they cover. Reports of different
years compare their evaluated years instead: which initiatives fell below target, recovered
or moved up between the two years, and how the figures and grades of those years moved.

Nothing here knows where the reports are kept (that is the build's history).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import pandas as pd

from kawaeval.evaluation.model import (
    Assessment,
    Counts,
    GoalResult,
    GradeDecision,
    Shares,
    Text,
)

FIELDS = ("goal", "direction", "name", "bureau", "reason", "former_ids")
"""An initiative's fields besides its achievements: those of its latest year (a renumbered
initiative's rows may differ from year to year); ``former_ids`` is optional in the tidy table."""
FIELD_ORDER = (
    "initiative_id",
    "goal",
    "direction",
    "name",
    "bureau",
    "achievement",
    "reason",
    "former_ids",
)
"""The order in which a change record lists an initiative's changed fields."""
SOURCE = ("source_file", "source_row")
TIDY_COLUMNS = ("initiative_id", *FIELDS[:-1], "fiscal_year", "achievement", *SOURCE)
"""The tidy table's columns a comparison needs (docs/data-dictionary.md)."""

RANK = {"below": 1, "on_target": 2, "exceeded": 3}
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
ACHIEVEMENT_FIELDS = ("exceeded", "on_target", "below", "not_evaluated")
SHARE_FIELDS = ("exceeded", "on_target", "below")
GRADE_FIELDS = ("suggested", "final", "source", "reason")


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


def compare(old: Snapshot, new: Snapshot) -> Comparison:
    """Everything that differs from ``old`` to ``new`` (see the module).

    Between two reports of one year, something is listed whenever the assessments differ at
    all: a difference no part of the comparison names is an ``assessment`` change.
    """
    before, after = old.assessment, new.assessment
    across = before.fiscal_year != after.fiscal_year
    initiatives = _initiative_changes(old, new, across)
    figures = _figure_changes(before, after, across)
    grades = _grade_changes(before, after)
    others = _text_changes(before, after) + _other_changes(before, after)
    if not (across or initiatives or figures or grades or others) and before != after:
        others.append(OtherChange("assessment", None, "other", None, None))
    return Comparison(
        old_year=before.fiscal_year,
        new_year=after.fiscal_year,
        initiatives=tuple(initiatives),
        figures=tuple(figures),
        grades=tuple(grades),
        others=tuple(others),
    )


# ---------------------------------------------------------------- initiatives


def _plain(value: object) -> object:
    """A cell as a plain Python value (missing -> None, numpy ints -> int)."""
    if value is None or value is pd.NA:
        return None
    if not isinstance(value, str) and pd.isna(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()
    return value


@dataclass(frozen=True)
class _Initiatives:
    """One report's initiatives: fields of each (its latest year's, as plain objects, in the
    tidy table's order), its achievement per year, and where each year's row comes from."""

    fields: pd.DataFrame
    achievements: pd.DataFrame
    rows: pd.DataFrame

    @cached_property
    def _by_year(self) -> pd.DataFrame:
        return self.rows.set_index(["initiative_id", "fiscal_year"]).sort_index()

    def source(self, initiative: str, year: int | None = None) -> tuple:
        """The file and Excel row of an initiative (of one year's row, when given)."""
        if year is not None and (initiative, year) in self._by_year.index:
            row = self._by_year.loc[(initiative, year)]
            return row["source_file"], _plain(row["source_row"])
        row = self.fields.loc[initiative]
        return row["source_file"], _plain(row["source_row"])


def _per_initiative(tidy: pd.DataFrame, years: list[int]) -> _Initiatives:
    columns = [c for c in (*TIDY_COLUMNS, "former_ids") if c in tidy.columns]
    rows = tidy.loc[tidy["fiscal_year"].isin(years), columns]
    rows = rows.assign(initiative_id=rows["initiative_id"].astype(object))
    if "former_ids" not in rows.columns:  # a tidy table from before renumbered initiatives
        rows = rows.assign(former_ids=None)
    order = rows.drop_duplicates("initiative_id")["initiative_id"]
    latest = rows.sort_values("fiscal_year", kind="stable").drop_duplicates(
        "initiative_id", keep="last"
    )
    fields = latest.set_index("initiative_id").loc[order, [*FIELDS, *SOURCE]].astype(object)
    fields = fields.where(fields.notna(), None)
    achievements = (
        rows.assign(achievement=rows["achievement"].astype(object))
        .pivot(index="initiative_id", columns="fiscal_year", values="achievement")
        .reindex(index=fields.index, columns=years)
    )
    achievements = achievements.astype(object).where(achievements.notna(), None)
    return _Initiatives(fields, achievements, rows[["initiative_id", "fiscal_year", *SOURCE]])


def _renumbered(old: _Initiatives, new: _Initiatives) -> dict[str, str]:
    """Initiatives renumbered between two reports: old id -> new id (the new one names the old
    in its ``former_ids``, and the old id is gone)."""
    old_ids, new_ids = set(old.fields.index), set(new.fields.index)
    found = {}
    for initiative, former in new.fields["former_ids"].items():
        if initiative in old_ids or not former:
            continue
        for earlier in str(former).split("、"):
            if earlier in old_ids and earlier not in new_ids and earlier not in found:
                found[earlier] = initiative
                break
    return found


def _differs(old: pd.Series, new: pd.Series) -> pd.Series:
    """Which cells differ, two missing values being equal."""
    both_missing = old.isna() & new.isna()
    return ~both_missing & (old.isna() | new.isna() | (old != new))


def _order(fields: pd.DataFrame) -> dict[str, tuple]:
    return {
        i: (goal, direction, i)
        for i, goal, direction in zip(
            fields.index, fields["goal"], fields["direction"], strict=True
        )
    }


def _initiative_changes(old: Snapshot, new: Snapshot, across: bool) -> list[InitiativeChange]:
    old_years = old.assessment.years_so_far()
    new_years = new.assessment.years_so_far()
    before_all = _per_initiative(old.tidy, old_years)
    after_all = _per_initiative(new.tidy, new_years)
    renumbered = _renumbered(before_all, after_all)
    new_of = {i: renumbered.get(i, i) for i in before_all.fields.index}  # old id -> its id now
    old_of = {now: was for was, now in new_of.items()}
    new_fields = after_all.fields
    found: list[tuple[tuple, int, InitiativeChange]] = []

    def describe(initiatives: _Initiatives, i: str, year: int | None = None) -> dict:
        row = initiatives.fields.loc[i]
        source_file, source_row = initiatives.source(i, year)
        return {
            "initiative_id": i,
            "name": row["name"],
            "goal": _plain(row["goal"]),
            "direction": _plain(row["direction"]),
            "bureau": row["bureau"],
            "source_file": source_file,
            "source_row": source_row,
        }

    new_order, old_order = _order(new_fields), _order(before_all.fields)
    for i in new_fields.index:
        if i not in old_of:
            years = tuple((y, after_all.achievements.at[i, y]) for y in new_years)
            change = InitiativeChange("added", **describe(after_all, i), achievements=years)
            found.append((new_order[i], -1, change))
    for i in before_all.fields.index:
        if new_of[i] not in new_fields.index:
            years = tuple((y, before_all.achievements.at[i, y]) for y in old_years)
            change = InitiativeChange("removed", **describe(before_all, i), achievements=years)
            found.append((old_order[i], -1, change))

    common = [i for i in new_fields.index if i in old_of]
    if common:
        # the older report's rows under the ids they have now (a renumbered one's new id)
        before = before_all.fields.loc[[old_of[i] for i in common]].set_axis(common)
        after = new_fields.loc[common]
        for was, now in renumbered.items():
            change = InitiativeChange(
                "changed", **describe(after_all, now), field="initiative_id", old=was, new=now
            )
            found.append((new_order[now], 0, change))
        for rank, name in enumerate(FIELD_ORDER):
            if name in ("initiative_id", "achievement"):
                continue
            changed = _differs(before[name], after[name])
            for i in after.index[changed.to_numpy()]:
                if name == "former_ids" and i in renumbered.values():
                    continue  # said by the renumbering itself
                change = InitiativeChange(
                    "changed",
                    **describe(after_all, i),
                    field=name,
                    old=_plain(before.at[i, name]),
                    new=_plain(after.at[i, name]),
                )
                found.append((new_order[i], rank * 10_000, change))
        old_achievements = before_all.achievements.loc[[old_of[i] for i in common]].set_axis(common)
        new_achievements = after_all.achievements.loc[common]
        rank = FIELD_ORDER.index("achievement") * 10_000
        if across:
            found += _movements(old, new, old_achievements, new_achievements, after_all)
        else:
            for year in new_years:
                if year not in old_achievements.columns:
                    continue
                was, now = old_achievements[year], new_achievements[year]
                for i in now.index[_differs(was, now).to_numpy()]:
                    change = InitiativeChange(
                        "changed",
                        **describe(after_all, i, year),
                        field="achievement",
                        old=was.at[i],
                        new=now.at[i],
                        old_year=year,
                        new_year=year,
                    )
                    found.append((new_order[i], rank + year, change))
    found.sort(key=lambda item: (item[0], item[1]))
    return [change for _, _, change in found]


def movement(old: str | None, new: str | None) -> str | None:
    """How an initiative's achievement moved from one evaluated year to the next, None if not.

    Below target from on target or above is ``fell_below``; out of below target,
    ``recovered``; from on target to above, ``moved_up``; from above to on target,
    ``moved_down``; into or out of not evaluated (or no record),
    ``no_longer_evaluated`` / ``newly_evaluated``.
    """
    if old == new:
        return None
    if new not in RANK:
        return "no_longer_evaluated"
    if old not in RANK:
        return "newly_evaluated"
    if new == "below":
        return "fell_below"
    if old == "below":
        return "recovered"
    return "moved_up" if RANK[new] > RANK[old] else "moved_down"


def _movements(old, new, old_achievements, new_achievements, after: _Initiatives) -> list:
    old_year, new_year = old.assessment.fiscal_year, new.assessment.fiscal_year
    rank = FIELD_ORDER.index("achievement") * 10_000
    was, now = old_achievements[old_year], new_achievements[new_year]
    found = []
    order = _order(after.fields)
    for i in now.index[_differs(was, now).to_numpy()]:
        kind = movement(was.at[i], now.at[i])
        if kind is None:
            continue
        row = after.fields.loc[i]
        source_file, source_row = after.source(i, new_year)
        change = InitiativeChange(
            kind,
            initiative_id=i,
            name=row["name"],
            goal=_plain(row["goal"]),
            direction=_plain(row["direction"]),
            bureau=row["bureau"],
            field="achievement",
            old=was.at[i],
            new=now.at[i],
            old_year=old_year,
            new_year=new_year,
            source_file=source_file,
            source_row=source_row,
        )
        found.append((order[i], rank + MOVEMENTS.index(kind), change))
    return found


# ---------------------------------------------------------------- figures

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


def _figure_changes(old: Assessment, new: Assessment, across: bool) -> list[FigureChange]:
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


# ---------------------------------------------------------------- grades


def _decisions(record, scope: str, goal, direction) -> dict[tuple, GradeDecision]:
    """Every grade (or verdict) a record of the assessment holds, by its field's name."""
    return {
        (scope, goal, direction, name): value
        for name, value in record.items()
        if isinstance(value, GradeDecision)
    }


def _grades(assessment: Assessment) -> dict[tuple, GradeDecision]:
    """Every suggested-and-final decision of an assessment, goal by goal (each goal's, then
    its directions'), then the program's: (scope, goal, direction, subject) -> decision."""
    found = {}
    for goal in assessment.goals:
        found.update(_decisions(goal, "goal", goal.goal, None))
        for direction in goal.directions:
            found.update(_decisions(direction, "direction", goal.goal, direction.direction))
    found.update(_decisions(assessment.overall, "program", None, None))
    return found


def _grade_changes(old: Assessment, new: Assessment) -> list[GradeChange]:
    before, after = _grades(old), _grades(new)
    changes = []
    for key in [*after, *(k for k in before if k not in after)]:
        was, now = before.get(key), after.get(key)
        scope, goal, direction, subject = key
        for name in GRADE_FIELDS:
            a = None if was is None else was[name]
            b = None if now is None else now[name]
            if a == b:
                continue
            labels = {}
            if name in ("suggested", "final"):
                labels = {
                    "old_label": None if was is None else was[f"{name}_label"],
                    "new_label": None if now is None else now[f"{name}_label"],
                    "old_assumption": bool(was is not None and was[f"{name}_assumption"]),
                    "new_assumption": bool(now is not None and now[f"{name}_assumption"]),
                }
            changes.append(GradeChange(scope, goal, subject, name, a, b, direction, **labels))
    if old.overall.statement != new.overall.statement:
        statement = ("program", None, "statement", "statement")
        changes.append(GradeChange(*statement, old.overall.statement, new.overall.statement))
    return changes


# ---------------------------------------------------------------- the rest


def _highlight_text(item) -> str:
    return f"{item.initiative}：{item.result}"


def _other_changes(old: Assessment, new: Assessment) -> list[OtherChange]:
    changes = []
    before = {g.goal: g for g in old.goals}
    for goal in new.goals:
        was = (
            [_highlight_text(h) for h in before[goal.goal].highlights]
            if goal.goal in before
            else []
        )
        now = [_highlight_text(h) for h in goal.highlights]
        changes += [
            OtherChange("highlights", goal.goal, "removed", t, None) for t in was if t not in now
        ]
        changes += [
            OtherChange("highlights", goal.goal, "added", None, t) for t in now if t not in was
        ]
    if old.notice != new.notice:
        changes.append(OtherChange("notice", None, "changed", old.notice, new.notice))
    for name in ("city", "name", "program", "vision", "vision_subtitle", "vision_heading"):
        if old.plan[name] != new.plan[name]:
            changes.append(OtherChange("plan", None, name, old.plan[name], new.plan[name]))
    old_goals = {g.goal: g for g in old.plan.goals}
    for goal in new.plan.goals:
        was = old_goals.get(goal.goal)
        for name in ("name", "policy"):
            if was is not None and was[name] != goal[name]:
                changes.append(
                    OtherChange("plan", goal.goal, f"goal.{name}", was[name], goal[name])
                )
        old_directions = {} if was is None else {d.direction: d.name for d in was.directions}
        for direction in goal.directions:
            before_name = old_directions.get(direction.direction)
            if before_name is not None and before_name != direction.name:
                changes.append(
                    OtherChange(
                        "plan",
                        goal.goal,
                        f"direction.{direction.direction}",
                        before_name,
                        direction.name,
                    )
                )
    old_rule, new_rule = "\n".join(old.grading_rule.text_ja), "\n".join(new.grading_rule.text_ja)
    if old_rule != new_rule:
        changes.append(OtherChange("grading_rule", None, "text_ja", old_rule, new_rule))
    if old.plan != new.plan and not any(c.part == "plan" for c in changes):
        changes.append(OtherChange("plan", None, "other", None, None))
    if old.data_quality.rejected != new.data_quality.rejected:
        changes.append(OtherChange("data_quality", None, "rejected", None, None))
    was, now = old.data_quality.get("warnings") or [], new.data_quality.get("warnings") or []
    changes += [OtherChange("data_quality", None, "warning", w, None) for w in was if w not in now]
    changes += [OtherChange("data_quality", None, "warning", None, w) for w in now if w not in was]
    for key in Assessment.model_fields:
        if key not in COMPARED and old[key] != new[key]:
            changes.append(OtherChange("assessment", None, key, _json(old[key]), _json(new[key])))
    return changes


COMPARED = frozenset(
    {
        "fiscal_year",
        "evaluation",
        "plan",
        "program",
        "program_by_year",
        "program_periods",
        "goals",
        "by_year",
        "external_cause",
        "overall",
        "grading_rule",
        "data_quality",
        "notice",
        "initiatives",
    }
)
"""The assessment's keys the comparison reads part by part; any other key (one a later version
adds, the committee's sheets) is compared whole."""


def _json(value) -> str | None:
    import json

    if value is None:
        return None
    plain = value.model_dump(mode="json") if hasattr(value, "model_dump") else value
    if isinstance(plain, list):
        plain = [v.model_dump(mode="json") if hasattr(v, "model_dump") else v for v in plain]
    return json.dumps(plain, ensure_ascii=False, sort_keys=True)


def _texts(record, goal, direction) -> dict[tuple, Text]:
    """Every text (文) a record of the assessment holds, by its field's name."""
    return {
        (goal, direction, name): value for name, value in record.items() if isinstance(value, Text)
    }


def _all_texts(assessment: Assessment) -> dict[tuple, Text]:
    found = {}
    found.update(_texts(assessment.program, None, None))
    found.update(_texts(assessment.overall, None, None))
    for goal in assessment.goals:
        found.update(_texts(goal, goal.goal, None))
        for direction in goal.directions:
            found.update(_texts(direction, goal.goal, direction.direction))
    return found


def _text_changes(old: Assessment, new: Assessment) -> list[OtherChange]:
    """The report's texts that changed (what it shows), or only who wrote them."""
    before, after = _all_texts(old), _all_texts(new)
    changes = []
    for key in [*after, *(k for k in before if k not in after)]:
        goal, direction, name = key
        was, now = before.get(key), after.get(key)
        old_text = None if was is None else was.text
        new_text = None if now is None else now.text
        if old_text != new_text:
            changes.append(OtherChange("text", goal, name, old_text, new_text, direction))
        elif (was and was.source) != (now and now.source):
            changes.append(
                OtherChange(
                    "text",
                    goal,
                    f"{name}.source",
                    was and was.source,
                    now and now.source,
                    direction,
                )
            )
    return changes
