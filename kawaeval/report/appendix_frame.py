"""The appendix's frames: every initiative in plan order with its achievement in each program
year up to the evaluated one (:func:`initiatives_frame`, what the appendix's HTML and the
analysts read) and the 付録 取組一覧 table as the report shows it (:func:`initiatives`).
"""

from __future__ import annotations

import pandas as pd

from kawaeval.common.text import era_year
from kawaeval.evaluation.model import Assessment
from kawaeval.plan import ACHIEVEMENTS
from kawaeval.report.frames import typed_frame


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
    return typed_frame(rows, columns, {"基本目標": "int64", "取組の方向性": "int64"})
