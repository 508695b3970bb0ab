"""Which notebooks make a report, in reading order, with their titles and extra parameters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kawaeval.exceptions import UsageError
from kawaeval.paths import NOTEBOOKS_DIR
from kawaeval.plan import Plan

# The chapters in reading order: (notebook stem, title). The goal chapter runs once per goal.
CHAPTERS = (
    ("01_plan", "第1章 計画と評価の方法"),
    ("02_achievement", "第2章 全取組の達成度"),
    ("03_highlights", "第3章 基本目標ごとの主な実績"),
    ("04_overall", "第4章 総合的な評価"),
)
GOAL_CHAPTER = ("05_goal", "第5章 基本目標{goal} {name}")
APPENDIX_CHAPTER = (
    "06_appendix",
    "付録 取組一覧",
)  # last: every initiative (kawaeval.report.appendix)
APPENDIX_PAGE = f"{APPENDIX_CHAPTER[0]}.html"


def appendix_anchor(goal: int, direction: int) -> str:
    """The id of a direction's group in the appendix page."""
    return f"goal-{goal}-direction-{direction}"


def appendix_link(goal: int, direction: int) -> str:
    """Where a direction's initiatives are listed: its group in the appendix page."""
    return f"{APPENDIX_PAGE}#{appendix_anchor(goal, direction)}"


@dataclass(frozen=True)
class Chapter:
    """One page of the report: which notebook, under which name, with which extra parameters."""

    name: str
    notebook: Path
    title: str
    parameters: dict = field(default_factory=dict)


def goal_chapter_title(goal: int, name: str) -> str:
    """The title of a goal's chapter: 第5章 基本目標2 <the goal's name>."""
    return GOAL_CHAPTER[1].format(goal=goal, name=name)


def chapters_for(plan: Plan, goals: Sequence[int] | None = None) -> list[Chapter]:
    """The report's chapters for a plan: the fixed ones, the goal chapter once per goal, then
    the appendix."""
    chapters = [Chapter(stem, NOTEBOOKS_DIR / f"{stem}.ipynb", title) for stem, title in CHAPTERS]
    stem = GOAL_CHAPTER[0]
    for goal in goals if goals is not None else plan.goal_numbers:
        chapters.append(
            Chapter(
                f"{stem}{goal}",
                NOTEBOOKS_DIR / f"{stem}.ipynb",
                goal_chapter_title(goal, plan.goal_by_number(goal).name),
                {"goal": goal},
            )
        )
    stem, title = APPENDIX_CHAPTER
    chapters.append(Chapter(stem, NOTEBOOKS_DIR / f"{stem}.ipynb", title))
    return chapters


def check_parameters(
    plan: Plan, fiscal_years: Sequence[int], goals: Sequence[int] | None = None
) -> None:
    """Refuse fiscal years and goals the plan does not have, naming the ones it has.

    Raises
    ------
    UsageError
        If a fiscal year is not a program year or a goal is not a goal of the plan.
    """
    years = plan.program_years
    unknown = [y for y in fiscal_years if y not in years]
    if unknown:
        raise UsageError(
            f"年度 {', '.join(map(str, unknown))} は{plan.program}の年度ではありません "
            f"(--fiscal-year must be one of: {', '.join(map(str, years))})"
        )
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
