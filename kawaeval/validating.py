"""The schema of the tidy table, checked after cleaning builds it.

Cleaning rejects bad records before this point, so a failure here means cleaning has a bug;
the schema is the written promise later stages rely on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as arrow
import pyarrow.compute as pc
from pandera.errors import SchemaError, SchemaErrors

from kawaeval.exceptions import TidyValidationError
from kawaeval.plan import ACHIEVEMENTS, Plan

TEXT = pd.StringDtype("pyarrow")
ACHIEVEMENT_DTYPE = pd.CategoricalDtype(list(ACHIEVEMENTS), ordered=True)
TIDY_ORDER = ["goal", "direction", "initiative_id", "fiscal_year"]


def _goal_direction_keys(goal: pd.Series, direction: pd.Series) -> pd.Series:
    return goal.astype("int64") * 1000 + direction.astype("int64")


def sorted_with_unique_key(frame: pd.DataFrame) -> bool:
    """Rows strictly increase in (goal, direction, initiative_id, fiscal_year), and every id
    forms one run, so each (initiative_id, fiscal_year) appears once.

    Done with neighbour comparisons rather than a sort or a hash of every row, so that a
    million initiatives validate quickly.
    """
    if len(frame) < 2:
        return True
    ids = arrow.array(frame["initiative_id"].astype(TEXT), type=arrow.large_string())
    previous, current = ids[:-1], ids[1:]
    id_less = pc.less(previous, current).to_numpy(zero_copy_only=False)
    id_same = pc.equal(previous, current).to_numpy(zero_copy_only=False)
    steps = []
    for column in ("goal", "direction"):
        values = frame[column].to_numpy()
        steps.append((values[:-1] < values[1:], values[:-1] == values[1:]))
    steps.append((id_less, id_same))
    years = frame["fiscal_year"].to_numpy()
    increasing = years[:-1] < years[1:]
    for less, same in reversed(steps):
        increasing = less | (same & increasing)
    if not increasing.all():
        return False
    run_starts = np.concatenate([[True], ~(id_same & steps[0][1] & steps[1][1])])
    return int(run_starts.sum()) == pc.count_distinct(ids.filter(run_starts)).as_py()


def tidy_schema(plan: Plan) -> pa.DataFrameSchema:
    """The pandera schema of the tidy table for ``plan``: columns, dtypes, allowed values, key."""
    allowed_pairs = [g.goal * 1000 + d.direction for g in plan.goals for d in g.directions]
    every_direction = sorted({d.direction for g in plan.goals for d in g.directions})

    def direction_in_goal(frame: pd.DataFrame) -> pd.Series:
        return _goal_direction_keys(frame["goal"], frame["direction"]).isin(allowed_pairs)

    non_empty = pa.Check.str_length(min_value=1)
    return pa.DataFrameSchema(
        {
            "initiative_id": pa.Column(TEXT, non_empty),
            "goal": pa.Column("int64", pa.Check.isin(list(plan.goal_numbers))),
            "direction": pa.Column("int64", pa.Check.isin(every_direction)),
            "name": pa.Column(TEXT, non_empty),
            "bureau": pa.Column(TEXT, non_empty, nullable=True),
            "fiscal_year": pa.Column("int64", pa.Check.isin(list(plan.program_years))),
            "achievement": pa.Column(ACHIEVEMENT_DTYPE),
            "achievement_raw": pa.Column(TEXT),
            "reason": pa.Column(TEXT, non_empty, nullable=True),
            "source_file": pa.Column(TEXT, non_empty),
            "source_row": pa.Column("int64", pa.Check.ge(2)),
        },
        checks=[
            pa.Check(direction_in_goal, error="direction is one of its goal's directions"),
            pa.Check(
                sorted_with_unique_key,
                error="sorted by goal, direction, initiative_id, fiscal_year; "
                "each (initiative_id, fiscal_year) once",
            ),
        ],
        strict=True,
        ordered=True,
        name="tidy",
    )


def validate_tidy(tidy: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """Check ``tidy`` against :func:`tidy_schema` and return it unchanged.

    Raises
    ------
    TidyValidationError
        If a column, dtype, value or the (initiative_id, fiscal_year) key breaks the schema.
    """
    try:
        return tidy_schema(plan).validate(tidy, inplace=True)
    except SchemaError as exc:
        raise TidyValidationError(_first_line(exc)) from exc
    except SchemaErrors as exc:
        raise TidyValidationError("; ".join(_first_line(e) for e in exc.schema_errors)) from exc


def _first_line(error: SchemaError) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
