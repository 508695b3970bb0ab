"""The appendix 付録 取組一覧: every initiative, grouped by goal and direction, with its results.

Every count of the report can be followed to its records here: the goal chapters link each
direction's count to ``06_appendix.html#goal-{g}-direction-{d}``. The list is a DataFrame first
(:func:`initiatives_frame`, :func:`group_counts`), then HTML through a Jinja2 template that
escapes every value (``$`` too, so no math renderer reads record text as TeX).
"""

from __future__ import annotations

import pandas as pd

from kawaeval.chapters import appendix_anchor
from kawaeval.plan import ACHIEVEMENTS, EVALUATED
from kawaeval.presenting import MAX_LISTED, Fragment, render
from kawaeval.tables import era_year

TEMPLATE = "appendix.html.j2"

# A mark per achievement, so that a result reads the same printed in grey as on screen.
MARKS = {"exceeded": "◎", "on_target": "○", "below": "▲", "not_evaluated": "－"}


def achievement_column(fiscal_year: int) -> str:
    """The frame's column holding one program year's achievement key."""
    return f"achievement_{fiscal_year}"


def _years(assessment: dict) -> list[int]:
    return [y for y in assessment["plan"]["program_years"] if y <= assessment["fiscal_year"]]


def initiatives_frame(assessment: dict) -> pd.DataFrame:
    """One row per initiative, in plan order (goal, direction, id): its names, bureau, reason
    and one ``achievement_<year>`` column per program year up to the evaluated one (missing
    where the records have no result for that year)."""
    goals = {g["goal"]: g for g in assessment["plan"]["goals"]}
    years = _years(assessment)
    rows = []
    for entry in assessment["initiatives"]:
        goal = goals[entry["goal"]]
        directions = {d["direction"]: d["name"] for d in goal["directions"]}
        rows.append(
            {
                "goal": entry["goal"],
                "goal_name": goal["name"],
                "direction": entry["direction"],
                "direction_name": directions[entry["direction"]],
                "initiative_id": entry["initiative_id"],
                "name": entry["name"],
                "bureau": entry["bureau"],
                **{achievement_column(y): entry["achievements"].get(str(y)) for y in years},
                "reason": entry["reason"],
            }
        )
    columns = [
        "goal",
        "goal_name",
        "direction",
        "direction_name",
        "initiative_id",
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
        (g, d["direction"]): i
        for i, (g, goal) in enumerate(goals.items())
        for d in goal["directions"]
    }
    position = [order[(g, d)] for g, d in zip(frame["goal"], frame["direction"], strict=True)]
    frame = frame.assign(_order=position).sort_values(["_order", "initiative_id"], kind="stable")
    return frame.drop(columns="_order").reset_index(drop=True)


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


def initiatives_appendix(assessment: dict) -> Fragment:
    """The appendix as HTML: a legend, then per goal and direction a heading (with its anchor
    and counts) and a table of its initiatives."""
    frame = initiatives_frame(assessment)
    year = assessment["fiscal_year"]
    years = _years(assessment)
    labels = assessment["plan"]["achievement_labels"]
    counts = group_counts(frame, year).set_index(["goal", "direction"])
    # A page stays readable (and under a few MB) for tens of thousands of initiatives: each
    # direction lists its share of MAX_LISTED rows; every row is in tables.xlsx and the data.
    room = -(-MAX_LISTED // max(1, sum(len(g["directions"]) for g in assessment["plan"]["goals"])))
    goals = []
    for goal in assessment["plan"]["goals"]:
        directions = []
        for d in goal["directions"]:
            rows = frame[(frame["goal"] == goal["goal"]) & (frame["direction"] == d["direction"])]
            count = (
                counts.loc[(goal["goal"], d["direction"])]
                if (goal["goal"], d["direction"]) in counts.index
                else pd.Series(0, index=["initiatives", *ACHIEVEMENTS])
            )
            directions.append(
                {
                    "direction": d["direction"],
                    "name": d["name"],
                    "anchor": appendix_anchor(goal["goal"], d["direction"]),
                    "initiatives": int(count["initiatives"]),
                    "counts": [
                        (MARKS[k], labels[k], int(count[k]))
                        for k in ACHIEVEMENTS
                        if k in EVALUATED or count[k]
                    ],
                    "rows": [
                        {
                            "initiative_id": r["initiative_id"],
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
                "goal": goal["goal"],
                "name": goal["name"],
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


def _result(key: object, labels: dict) -> dict | None:
    if key is None or pd.isna(key):
        return None
    return {"mark": MARKS[str(key)], "label": labels[str(key)], "key": str(key)}
