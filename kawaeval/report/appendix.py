"""The appendix 付録 取組一覧: every initiative, grouped by goal and direction, with its results.

Every count of the report can be followed to its records here: the goal chapters link each
direction's count to ``06_appendix.html#goal-{g}-direction-{d}``. The list is a DataFrame
first (:func:`kawaeval.report.appendix_frame.initiatives_frame`, :func:`group_counts`), then
HTML through a Jinja2 template that escapes every value (``$`` too, so no math renderer reads
it as TeX).
"""

from __future__ import annotations

import pandas as pd

from kawaeval.common.text import era_year
from kawaeval.evaluation.model import AchievementLabels, Assessment
from kawaeval.plan import ACHIEVEMENTS, EVALUATED
from kawaeval.report.appendix_frame import achievement_column, initiatives_frame, years_so_far
from kawaeval.report.chapters import appendix_anchor
from kawaeval.report.rendering import MAX_LISTED, Fragment, render

TEMPLATE = "appendix.html.j2"

# A mark per achievement, so that a result reads the same printed in grey as on screen.
MARKS = {"exceeded": "◎", "on_target": "○", "below": "▲", "not_evaluated": "－"}


def group_counts(frame: pd.DataFrame, fiscal_year: int) -> pd.DataFrame:
    """Per goal and direction: the initiatives listed and the evaluated year's achievements."""
    column = achievement_column(fiscal_year)
    counts = (
        frame.groupby(["goal", "direction"], sort=False)[column]
        .value_counts()
        .unstack(fill_value=0)
        .reindex(columns=list(ACHIEVEMENTS), fill_value=0)
    )
    listed = frame.groupby(["goal", "direction"], sort=False).size().rename("initiatives")
    return (
        pd.concat([listed, counts], axis=1)
        .reset_index()
        .astype({k: "int64" for k in ("initiatives", *ACHIEVEMENTS)})
    )


def _value(value: object) -> object:
    """A record's value for the template: None (shown as nothing) where it is missing."""
    return None if not isinstance(value, str) and pd.isna(value) else value


def _short_year(fiscal_year: int) -> str:
    """令和３年度: the era form without the Western year, for a narrow column heading."""
    return era_year(fiscal_year).replace(f"({fiscal_year})", "")


def initiatives_appendix(assessment: Assessment) -> Fragment:
    """The appendix as HTML: a legend, then per goal and direction a heading (with its anchor
    and counts) and a table of its initiatives."""
    frame = initiatives_frame(assessment)
    year = assessment.fiscal_year
    years = years_so_far(assessment)
    labels = assessment.labels
    counts = group_counts(frame, year).set_index(["goal", "direction"])
    # A page stays readable (and under a few MB) for tens of thousands of initiatives: each
    # direction lists its share of MAX_LISTED rows; every row is in tables.xlsx and the data.
    plan_goals = assessment.plan.goals
    room = -(-MAX_LISTED // max(1, sum(len(g.directions) for g in plan_goals)))
    goals = []
    for goal in plan_goals:
        directions = []
        for d in goal.directions:
            key = (goal.goal, d.direction)
            rows = frame[(frame["goal"] == goal.goal) & (frame["direction"] == d.direction)]
            count = (
                counts.loc[key]
                if key in counts.index
                else pd.Series(0, index=["initiatives", *ACHIEVEMENTS])
            )
            directions.append(
                {
                    "direction": d.direction,
                    "name": d.name,
                    "anchor": appendix_anchor(goal.goal, d.direction),
                    "initiatives": int(count["initiatives"]),
                    "counts": [
                        (MARKS[k], labels[k], int(count[k]))
                        for k in ACHIEVEMENTS
                        if k in EVALUATED or count[k]
                    ],
                    "rows": [
                        {
                            "initiative_id": r["initiative_id"],
                            "former": _value(r["former_ids"]),
                            "name": _value(r["name"]),
                            "bureau": _value(r["bureau"]),
                            "results": [_result(r[achievement_column(y)], labels) for y in years],
                            "reason": _value(r["reason"]),
                        }
                        for r in rows.head(room).to_dict("records")
                    ],
                    "more": max(len(rows) - room, 0),
                }
            )
        goals.append(
            {
                "goal": goal.goal,
                "name": goal.name,
                "initiatives": sum(d["initiatives"] for d in directions),
                "directions": directions,
            }
        )
    markup = render(
        TEMPLATE,
        classes="kawaeval tex2jax_ignore mathjax_ignore kawaeval-appendix",
        year=era_year(year),
        years=[_short_year(y) for y in years],
        legend=[(MARKS[k], labels[k]) for k in ACHIEVEMENTS],
        total=len(frame),
        goals=goals,
    )
    return Fragment(markup)


def _result(key: object, labels: AchievementLabels) -> dict | None:
    if key is None or pd.isna(key):
        return None
    return {"mark": MARKS[str(key)], "label": labels[str(key)], "key": str(key)}
