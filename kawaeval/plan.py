"""The plan definition: goals, directions, program years, labels and the grading rule.

The Kawasaki plan is bundled (``kawaeval/data/plan.toml``); a ``plan.toml`` in the raw
folder replaces it, so the same code serves the next program or the next city.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kawaeval.exceptions import PlanDefinitionError, UnknownFiscalYearError
from kawaeval.paths import BUNDLED_PLAN, PLAN_FILE_NAME

ACHIEVEMENTS = ("exceeded", "on_target", "below", "not_evaluated")
EVALUATED = ("exceeded", "on_target", "below")
ACHIEVED = ("exceeded", "on_target")


@dataclass(frozen=True)
class Direction:
    """One 取組の方向性 within a goal."""

    goal: int
    direction: int
    name: str


@dataclass(frozen=True)
class Goal:
    """One 基本目標 with its directions."""

    goal: int
    name: str
    policy: str
    directions: tuple[Direction, ...]


@dataclass(frozen=True)
class Grade:
    """One grade of a scale, with its label and whether the city has yet to confirm it."""

    grade: str
    label: str
    assumption: bool


@dataclass(frozen=True)
class Period:
    """A named run of fiscal years compared with another (e.g. before/after COVID-19)."""

    name: str
    fiscal_years: tuple[int, ...]


@dataclass(frozen=True)
class GradingRule:
    """Thresholds (in %) that suggest progress and outlook grades; see plan.toml."""

    progress_min_achieved_share: dict[str, float]
    progress_assumption: bool
    outlook_effective_min_year_share: float
    outlook_broadly_effective_adjusted_share: float
    outlook_assumption: bool
    external_cause_keywords: tuple[str, ...]
    external_cause_label: str


@dataclass(frozen=True)
class DirectionRule:
    """Thresholds (in %) of a direction's achieved share that suggest its verdict (plan.toml
    ``[grading.direction]``); ``assumption`` when the city has not published them."""

    min_achieved_share: dict[str, float]
    assumption: bool


OVERVIEW_KEYS = ("relation", "program", "management", "evaluation", "method")
"""The plan's prose that ``[overview]`` may give, each a list of paragraphs."""


@dataclass(frozen=True)
class Overview:
    """The plan's own words for the summary edition (``[overview]``, every key optional):
    the comprehensive plan it belongs to, and paragraphs on its relation to it, the program,
    how progress is managed, how the plan is evaluated and how this evaluation was made."""

    comprehensive_plan: str = ""
    relation: tuple[str, ...] = ()
    program: tuple[str, ...] = ()
    management: tuple[str, ...] = ()
    evaluation: tuple[str, ...] = ()
    method: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    """Everything the package needs to know about the plan being evaluated."""

    source: Path
    city: str
    name: str
    adopted: str
    period: tuple[int, int]
    program: str
    program_years: tuple[int, ...]
    vision: str
    vision_subtitle: str
    vision_heading: str
    achievement_labels: dict[str, str]
    goals: tuple[Goal, ...]
    progress_grades: tuple[Grade, ...]
    outlook_grades: tuple[Grade, ...]
    grading: GradingRule
    periods: tuple[Period, ...]
    achievement_short_labels: dict[str, str]
    """The labels as sentences quote them (「目標を上回った」); the labels themselves by default."""
    direction_grades: tuple[Grade, ...]
    """The verdicts a direction can get (``[[direction_grades]]``; the progress grades by
    default)."""
    direction_rule: DirectionRule | None
    """``[grading.direction]``; None: no verdict is suggested, the committee gives them."""
    overview: Overview = Overview()
    """``[overview]``: the plan's prose for the summary edition (none by default)."""

    @property
    def goal_numbers(self) -> tuple[int, ...]:
        return tuple(g.goal for g in self.goals)

    def check_fiscal_years(self, fiscal_years: Sequence[int]) -> None:
        """Refuse fiscal years that are not program years of the plan.

        Raises
        ------
        UnknownFiscalYearError
            Naming the years asked for that the plan does not have, and those it has.
        """
        unknown = [y for y in fiscal_years if y not in self.program_years]
        if unknown:
            raise UnknownFiscalYearError(unknown, self.program_years, self.program)

    def goal_by_number(self, goal: int) -> Goal:
        for g in self.goals:
            if g.goal == goal:
                return g
        raise KeyError(goal)

    def direction_numbers(self, goal: int) -> tuple[int, ...]:
        return tuple(d.direction for d in self.goal_by_number(goal).directions)

    def progress_label(self, grade: str) -> str:
        return _label(self.progress_grades, grade)

    def outlook_label(self, grade: str) -> str:
        return _label(self.outlook_grades, grade)

    def direction_label(self, grade: str) -> str:
        return _label(self.direction_grades, grade)


def _label(grades: tuple[Grade, ...], grade: str) -> str:
    for g in grades:
        if g.grade == grade:
            return g.label
    raise KeyError(grade)


def plan_path(raw_dir: Path | None) -> Path:
    """The plan file in force: ``plan.toml`` in the raw folder if present, else the bundled one."""
    if raw_dir is not None and (Path(raw_dir) / PLAN_FILE_NAME).is_file():
        return Path(raw_dir) / PLAN_FILE_NAME
    return BUNDLED_PLAN


def load_plan(raw_dir: Path | str | None = None) -> Plan:
    """Load and check the plan definition in force for ``raw_dir``.

    Raises
    ------
    PlanDefinitionError
        If the file is not valid TOML, lacks a key, or contradicts itself.
    """
    path = plan_path(Path(raw_dir) if raw_dir is not None else None)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PlanDefinitionError(path, f"TOML として読めません: {exc}") from exc
    try:
        return _build(path, data)
    except KeyError as exc:
        raise PlanDefinitionError(path, f"必要な項目 {exc.args[0]!r} がありません") from exc
    except (TypeError, ValueError) as exc:
        raise PlanDefinitionError(path, f"値の形が正しくありません: {exc}") from exc


def _grades(path: Path, items: list[dict], kind: str) -> tuple[Grade, ...]:
    grades = tuple(
        Grade(str(i["grade"]), str(i["label"]), bool(i.get("assumption", False))) for i in items
    )
    if not grades or len({g.grade for g in grades}) != len(grades):
        raise PlanDefinitionError(path, f"{kind} grades must be present and unique")
    return grades


def _build(path: Path, data: dict) -> Plan:
    p = data["plan"]
    goals = []
    for g in data["goals"]:
        number = int(g["goal"])
        directions = tuple(
            Direction(number, int(d["direction"]), str(d["name"])) for d in g["directions"]
        )
        if len({d.direction for d in directions}) != len(directions):
            raise PlanDefinitionError(path, f"goal {number}: direction numbers repeat")
        goals.append(Goal(number, str(g["name"]), str(g.get("policy", "")), directions))
    if len({g.goal for g in goals}) != len(goals) or not goals:
        raise PlanDefinitionError(path, "goal numbers must be present and unique")

    labels = {k: str(data["achievement_labels"][k]) for k in ACHIEVEMENTS}
    short = data.get("achievement_short_labels", {})
    unknown = set(short) - set(ACHIEVEMENTS)
    if unknown:
        raise PlanDefinitionError(
            path,
            f"achievement_short_labels: {', '.join(sorted(unknown))} は達成度の区分ではありません"
            f" (keys: {', '.join(ACHIEVEMENTS)})",
        )
    short_labels = {k: str(short.get(k, labels[k])) for k in ACHIEVEMENTS}
    progress_grades = _grades(path, data["progress_grades"], "progress")
    outlook_grades = _grades(path, data["outlook_grades"], "outlook")
    direction_grades = (
        _grades(path, data["direction_grades"], "direction")
        if "direction_grades" in data
        else progress_grades
    )

    grading = data["grading"]
    thresholds = {str(k): float(v) for k, v in grading["progress"]["min_achieved_share"].items()}
    if set(thresholds) != {g.grade for g in progress_grades}:
        raise PlanDefinitionError(
            path, "grading.progress.min_achieved_share must give one threshold per progress grade"
        )
    ordered = [thresholds[g.grade] for g in progress_grades]
    if ordered != sorted(ordered, reverse=True):
        raise PlanDefinitionError(
            path, "progress thresholds must fall from the best grade to the worst"
        )
    if len(outlook_grades) != 3:
        raise PlanDefinitionError(path, "the outlook scale must have three grades (Ⅰ, Ⅱ, Ⅲ)")
    rule = GradingRule(
        progress_min_achieved_share=thresholds,
        progress_assumption=bool(grading["progress"].get("assumption", False)),
        outlook_effective_min_year_share=float(grading["outlook"]["effective_min_year_share"]),
        outlook_broadly_effective_adjusted_share=float(
            grading["outlook"]["broadly_effective_adjusted_share"]
        ),
        outlook_assumption=bool(grading["outlook"].get("assumption", False)),
        external_cause_keywords=tuple(str(k) for k in grading["external_cause_keywords"]),
        external_cause_label=str(grading.get("external_cause_label", "外部要因")),
    )
    direction_rule = _direction_rule(path, grading.get("direction"), direction_grades)
    years = tuple(int(y) for y in p["program_years"])
    if list(years) != sorted(set(years)) or not years:
        raise PlanDefinitionError(path, "program_years must be increasing fiscal years")
    periods = tuple(
        Period(str(x["name"]), tuple(int(y) for y in x["fiscal_years"]))
        for x in data.get("periods", [])
    )
    for period in periods:
        if not set(period.fiscal_years) <= set(years):
            raise PlanDefinitionError(
                path, f"period {period.name!r} names years outside the program years {years}"
            )
    return Plan(
        source=path,
        city=str(p["city"]),
        name=str(p["name"]),
        adopted=str(p.get("adopted", "")),
        period=(int(p["period"][0]), int(p["period"][1])),
        program=str(p["program"]),
        program_years=years,
        vision=str(p.get("vision", "")),
        vision_subtitle=str(p.get("vision_subtitle", "")),
        vision_heading=str(p.get("vision_heading", "")),
        achievement_labels=labels,
        goals=tuple(goals),
        progress_grades=progress_grades,
        outlook_grades=outlook_grades,
        grading=rule,
        periods=periods,
        achievement_short_labels=short_labels,
        direction_grades=direction_grades,
        direction_rule=direction_rule,
        overview=_overview(path, data.get("overview", {})),
    )


def _overview(path: Path, table: dict) -> Overview:
    """``[overview]``: each key a paragraph or a list of paragraphs; unknown keys refused."""
    if not isinstance(table, dict):
        raise PlanDefinitionError(path, "[overview] は表（キーと値）で書いてください")
    known = ("comprehensive_plan", *OVERVIEW_KEYS)
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise PlanDefinitionError(
            path,
            f"overview: {', '.join(unknown)} は使えない項目です (keys: {', '.join(known)})",
        )
    values = {}
    for key in OVERVIEW_KEYS:
        value = table.get(key, [])
        paragraphs = [value] if isinstance(value, str) else value
        if not isinstance(paragraphs, list) or not all(isinstance(v, str) for v in paragraphs):
            raise PlanDefinitionError(
                path, f"overview.{key} は文字列か文字列のリストで書いてください"
            )
        values[key] = tuple(v.strip() for v in paragraphs if v.strip())
    comprehensive = table.get("comprehensive_plan", "")
    if not isinstance(comprehensive, str):
        raise PlanDefinitionError(path, "overview.comprehensive_plan は文字列で書いてください")
    return Overview(comprehensive_plan=comprehensive.strip(), **values)


def _direction_rule(
    path: Path, table: dict | None, grades: tuple[Grade, ...]
) -> DirectionRule | None:
    """``[grading.direction]``: one minimum share per direction verdict, falling from the best."""
    if table is None:
        return None
    thresholds = {str(k): float(v) for k, v in table["min_achieved_share"].items()}
    if set(thresholds) != {g.grade for g in grades}:
        raise PlanDefinitionError(
            path,
            "grading.direction.min_achieved_share must give one threshold per direction grade "
            f"({', '.join(g.grade for g in grades)})",
        )
    ordered = [thresholds[g.grade] for g in grades]
    if ordered != sorted(ordered, reverse=True):
        raise PlanDefinitionError(
            path, "direction thresholds must fall from the best grade to the worst"
        )
    return DirectionRule(thresholds, bool(table.get("assumption", False)))
