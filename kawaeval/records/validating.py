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


def text_array(values: pd.Series) -> arrow.Array:
    """A column as one Arrow large-string array (no copy for Arrow-backed text)."""
    array = arrow.array(values.astype(TEXT), type=arrow.large_string())
    return array.combine_chunks() if isinstance(array, arrow.ChunkedArray) else array


def is_in_small(values: np.ndarray, allowed: list[int]) -> np.ndarray:
    """``np.isin`` for a few small allowed integers, by table look-up rather than hashing.

    Positive allowed values (goals, directions, years) are looked up with no copy of
    ``values``: a million-row column allocates only its boolean answer.
    """
    if not allowed:
        return np.zeros(len(values), dtype=bool)
    low, high = min(allowed), max(allowed)
    if low > 0 and high < 2**20:
        # Index 0 and high + 1 are not allowed, so clipping sends every other value to False.
        table = np.zeros(high + 2, dtype=bool)
        table[np.asarray(allowed)] = True
        return np.take(table, values, mode="clip")
    ok = np.zeros(len(values), dtype=bool)
    table = np.zeros(high - low + 1, dtype=bool)
    table[np.asarray(allowed) - low] = True
    inside = (values >= low) & (values <= high)
    ok[inside] = table[values[inside] - low]
    return ok


def pairs_in(goal: np.ndarray, direction: np.ndarray, allowed: list[tuple[int, int]]) -> np.ndarray:
    """Whether each (goal, direction) is one of ``allowed``: a look-up in a small 2-D table."""
    if not allowed or not len(goal):
        return np.zeros(len(goal), dtype=bool)
    table = np.zeros((max(g for g, _ in allowed) + 2, max(d for _, d in allowed) + 2), bool)
    table[tuple(np.asarray(allowed).T)] = True
    rows, columns = table.shape
    if goal.min() < 0 or goal.max() >= rows or direction.min() < 0 or direction.max() >= columns:
        keys = goal.astype(np.int64) * columns + direction
        inside = (goal >= 0) & (goal < rows) & (direction >= 0) & (direction < columns)
        ok = np.zeros(len(goal), dtype=bool)
        ok[inside] = table.ravel()[keys[inside]]
        return ok
    return table[goal, direction]


def _isin(allowed: list[int]) -> pa.Check:
    allowed = sorted(set(allowed))
    contiguous = bool(allowed) and allowed[-1] - allowed[0] + 1 == len(allowed)

    def check(series: pd.Series) -> pd.Series | bool:
        values = series.to_numpy()
        if contiguous and len(values) and allowed[0] <= values.min() <= values.max() <= allowed[-1]:
            return True  # every value within a range of allowed values: no row-by-row answer
        return pd.Series(is_in_small(values, allowed), index=series.index)

    return pa.Check(check, name="isin", error=f"isin({allowed})")


def is_text(series: pd.Series) -> bool:
    """Text as the tidy table holds it: Arrow strings, or a categorical of Arrow strings."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return dtype.categories.dtype == TEXT
    return dtype == TEXT


def _non_empty(series: pd.Series) -> pd.Series | bool:
    """No empty text; a categorical is judged on its categories and codes, not row by row.

    True when nothing is empty; only a failing column gets a row-by-row answer, which names
    the rows.
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        empty = series.cat.categories.to_numpy(dtype=object) == ""
        if not empty.any():
            return True
        empty = np.append(empty, False)
        return pd.Series(~empty[series.cat.codes.to_numpy()], index=series.index)
    if not pc.any(pc.equal(text_array(series), "")).as_py():
        return True
    return series.ne("")


def _text(non_empty: bool, nullable: bool = False) -> pa.Column:
    checks = [pa.Check(is_text, name="is_text", error="string[pyarrow] or a categorical of it")]
    if non_empty:
        checks.append(pa.Check(_non_empty, name="non_empty", error="str_length(min_value=1)"))
    return pa.Column(None, checks, nullable=nullable)


def any_repeated(values: arrow.Array | arrow.ChunkedArray) -> bool:
    """Whether some value occurs twice: a sort, skipped when the values already ascend."""
    if len(values) < 2 or pc.all(pc.less(values[:-1], values[1:])).as_py():
        return False
    ordered = values.take(pc.sort_indices(values))
    return bool(pc.any(pc.equal(ordered[:-1], ordered[1:])).as_py())


def sorted_with_unique_key(frame: pd.DataFrame) -> bool:
    """Rows strictly increase in (goal, direction, initiative_id, fiscal_year), and every id
    forms one run (a renumbered one, one run per goal and direction it had), so each
    (initiative_id, fiscal_year) appears once.

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
    if not any_repeated(ids.filter(arrow.array(run_starts))):
        return True
    # A renumbered initiative (former_ids) has one run per goal and direction it had: its
    # years must still be distinct.
    joined = frame["former_ids"].notna().to_numpy() if "former_ids" in frame else None
    if joined is None or not joined.any():
        return False
    pairs = frame.loc[joined, ["initiative_id", "fiscal_year"]]
    if pairs.duplicated().any():
        return False
    others = ids.filter(arrow.array(run_starts & ~joined))
    return not any_repeated(others)


def tidy_schema(plan: Plan) -> pa.DataFrameSchema:
    """The pandera schema of the tidy table for ``plan``: columns, dtypes, allowed values, key.

    Text columns may be categoricals (the cleaned table stores repeated text that way); the
    checks then look at the categories and integer codes, so a million rows check quickly.
    """
    allowed_pairs = [(g.goal, d.direction) for g in plan.goals for d in g.directions]
    every_direction = sorted({d.direction for g in plan.goals for d in g.directions})

    def direction_in_goal(frame: pd.DataFrame) -> pd.Series | bool:
        goal, direction = frame["goal"].to_numpy(), frame["direction"].to_numpy()
        if len(goal):
            # Each run of one (goal, direction) is judged by its first row: a sorted table of a
            # million initiatives has a few dozen runs. Only a failure is answered row by row.
            starts = np.empty(len(goal), dtype=bool)
            starts[0] = True
            np.not_equal(goal[1:], goal[:-1], out=starts[1:])
            starts[1:] |= direction[1:] != direction[:-1]
            starts = np.flatnonzero(starts)
            if pairs_in(goal[starts], direction[starts], allowed_pairs).all():
                return True
        return pd.Series(pairs_in(goal, direction, allowed_pairs), index=frame.index)

    return pa.DataFrameSchema(
        {
            "initiative_id": _text(non_empty=True),
            "goal": pa.Column("int64", _isin(list(plan.goal_numbers))),
            "direction": pa.Column("int64", _isin(every_direction)),
            "name": _text(non_empty=True),
            "bureau": _text(non_empty=True, nullable=True),
            "fiscal_year": pa.Column("int64", _isin(list(plan.program_years))),
            "achievement": pa.Column(ACHIEVEMENT_DTYPE),
            "achievement_raw": _text(non_empty=False),
            "reason": _text(non_empty=True, nullable=True),
            "former_ids": _text(non_empty=True, nullable=True),
            "source_file": _text(non_empty=True),
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
