"""The one registry of the report's chapters: key, notebook, title, page, and which tables.

Everything that names a chapter derives from :data:`REGISTRY`: the build's list of pages
(:func:`chapters_for`), the tables of each chapter and their order (:mod:`kawaeval.report.tables`),
the contents sheet of ``tables.xlsx`` (:func:`chapter_titles`) and each notebook's heading,
which the build passes as the papermill parameter ``title``. A goal chapter runs once per goal
of the plan; its page is ``05_goal2.html`` for goal 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kawaeval.exceptions import UsageError
from kawaeval.paths import NOTEBOOKS_DIR
from kawaeval.plan import Plan


@dataclass(frozen=True)
class ChapterDefinition:
    """One chapter of the registry: its notebook's stem, its title and the tables it shows.

    ``title`` of a goal chapter is a template of ``goal`` and ``name``.
    """

    key: str
    title: str
    tables: tuple[str, ...] = ()
    per_goal: bool = False

    @property
    def notebook(self) -> Path:
        return NOTEBOOKS_DIR / f"{self.key}.ipynb"

    def page_name(self, goal: int | None = None) -> str:
        """The name of the chapter's page: its key, with the goal's number for a goal chapter."""
        return f"{self.key}{goal}" if self.per_goal else self.key


REGISTRY = (
    ChapterDefinition("01_plan", "第1章 計画と評価の方法", ("plan_structure",)),
    ChapterDefinition(
        "02_achievement",
        "第2章 全取組の達成度",
        ("program_distribution", "program_trend", "data_quality"),
    ),
    ChapterDefinition("03_highlights", "第3章 基本目標ごとの主な実績", ("highlights",)),
    ChapterDefinition(
        "04_overall",
        "第4章 総合的な評価",
        ("grades", "direction_verdicts", "below_target_causes", "period_overview"),
    ),
    ChapterDefinition(
        "05_goal",
        "第5章 基本目標{goal} {name}",
        (
            "goal_trend",
            "goal_periods",
            "direction_distribution",
            "direction_trend",
            "below_target",
            "indicators",
            "goal_grades",
        ),
        per_goal=True,
    ),
    ChapterDefinition("06_appendix", "付録 取組一覧", ("initiatives",)),  # every initiative
)
GOAL_CHAPTER = next(c for c in REGISTRY if c.per_goal)
APPENDIX = REGISTRY[-1]
APPENDIX_PAGE = f"{APPENDIX.key}.html"


@dataclass(frozen=True)
class Chapter:
    """One page of the report: its name, notebook, title and the papermill parameters it
    adds to the build's (a registered chapter passes its ``title``, a goal chapter its goal)."""

    name: str
    notebook: Path
    title: str
    parameters: dict = field(default_factory=dict)

    @property
    def page(self) -> str:
        """The page's file name in the report folder."""
        return f"{self.name}.html"


def definition(key: str | None) -> ChapterDefinition:
    """The registry's entry for a chapter key (``05_goal`` for every goal chapter).

    Raises
    ------
    UsageError
        If the registry has no such chapter; the message lists the keys.
    """
    for chapter in REGISTRY:
        if chapter.key == key:
            return chapter
    keys = ", ".join(c.key for c in REGISTRY)
    raise UsageError(f"章 {key!r} はありません (chapter must be one of: {keys})")


def chapter_title(key: str | None, goal: int | None = None, name: str = "") -> str:
    """A chapter's title; a goal chapter's names its goal: 第5章 基本目標2 <the goal's name>."""
    chapter = definition(key)
    return chapter.title.format(goal=goal, name=name) if chapter.per_goal else chapter.title


def pages(goals: Sequence[tuple[int, str]]) -> list[Chapter]:
    """The report's pages in reading order, for goals given as (number, name)."""
    result = []
    for chapter in REGISTRY:
        for goal, name in goals if chapter.per_goal else [(None, "")]:
            title = chapter_title(chapter.key, goal, name)
            # the notebook's heading is the registry's title, passed as a papermill parameter
            parameters = {"title": title} if goal is None else {"title": title, "goal": goal}
            result.append(Chapter(chapter.page_name(goal), chapter.notebook, title, parameters))
    return result


def chapters_for(plan: Plan, goals: Sequence[int] | None = None) -> list[Chapter]:
    """The report's pages for a plan: every goal's chapter, or only those of ``goals``."""
    chosen = goals if goals is not None else plan.goal_numbers
    return pages([(g, plan.goal_by_number(g).name) for g in chosen])


def chapter_titles(goals: Sequence[tuple[int, str]]) -> dict[str, str]:
    """Each page's name (``05_goal2``) and title, for goals given as (number, name)."""
    return {c.name: c.title for c in pages(goals)}


def appendix_anchor(goal: int, direction: int) -> str:
    """The id of a direction's group in the appendix page."""
    return f"goal-{goal}-direction-{direction}"


def appendix_link(goal: int, direction: int) -> str:
    """Where a direction's initiatives are listed: its group in the appendix page."""
    return f"{APPENDIX_PAGE}#{appendix_anchor(goal, direction)}"


def check_parameters(
    plan: Plan, fiscal_years: Sequence[int], goals: Sequence[int] | None = None
) -> None:
    """Refuse fiscal years and goals the plan does not have, naming the ones it has.

    Raises
    ------
    UnknownFiscalYearError
        If a fiscal year is not a program year of the plan.
    UsageError
        If no fiscal year is given, or a goal is not a goal of the plan.
    """
    years = plan.program_years
    plan.check_fiscal_years(fiscal_years)
    if not fiscal_years:
        raise UsageError(
            f"年度を指定してください (--fiscal-year one of: {', '.join(map(str, years))})"
        )
    if goals is not None:
        bad = [g for g in goals if g not in plan.goal_numbers]
        if bad:
            raise UsageError(
                f"基本目標 {', '.join(map(str, bad))} は計画にありません "
                f"(goal must be one of: {', '.join(map(str, plan.goal_numbers))})"
            )
