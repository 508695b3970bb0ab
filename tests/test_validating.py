"""The tidy-table schema: what it accepts and what it turns into a readable error."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from kawaeval.exceptions import TidyValidationError
from kawaeval.plan import load_plan
from kawaeval.records.cleaning import clean
from kawaeval.records.validating import TEXT, validate_tidy

TWO_BUREAUS = Path(__file__).parent / "fixtures" / "clean" / "two_bureaus"


@pytest.fixture(scope="module")
def tidy() -> pd.DataFrame:
    return clean(TWO_BUREAUS).tidy


@pytest.fixture(scope="module")
def plan():
    return load_plan()


def test_the_cleaned_table_passes_unchanged(tidy, plan):
    copy = tidy.copy()
    assert validate_tidy(copy, plan) is copy
    pd.testing.assert_frame_equal(copy, tidy)


def broken(tidy: pd.DataFrame, change) -> pd.DataFrame:
    copy = tidy.copy()
    change(copy)
    return copy


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (
            lambda t: t.loc.__setitem__((0, "goal"), 4),
            "Column 'goal' failed element-wise validator",
        ),
        (lambda t: t.loc.__setitem__((0, "direction"), 7), "Column 'direction' failed"),
        (lambda t: t.loc.__setitem__((0, "fiscal_year"), 2017), "Column 'fiscal_year' failed"),
        (lambda t: t.loc.__setitem__((0, "source_row"), 1), "Column 'source_row' failed"),
        (lambda t: t.loc.__setitem__((0, "initiative_id"), ""), "Column 'initiative_id' failed"),
        (lambda t: t.loc.__setitem__((0, "name"), ""), "Column 'name' failed"),
        (
            lambda t: t.__setitem__("goal", t["goal"].astype("int32")),
            "expected series 'goal' to have type int64",
        ),
        (
            lambda t: t.__setitem__("achievement", t["achievement"].astype(str)),
            "expected series 'achievement' to have type category",
        ),
        (lambda t: t.__setitem__("extra", 1), "column 'extra' not in DataFrameSchema"),
        (lambda t: t.__delitem__("reason"), "column 'reason' not in dataframe"),
    ],
)
def test_broken_tables_raise_a_readable_error(tidy, plan, change, fragment):
    with pytest.raises(TidyValidationError) as caught:
        validate_tidy(broken(tidy, change), plan)
    message = str(caught.value)
    assert message.startswith(
        "整形後の取組表が検証に通りませんでした (tidy table failed validation; "
        "please report this as a kawaeval bug): "
    )
    assert fragment in message


def test_direction_outside_its_goal_is_refused(tidy, plan):
    # Direction 2 exists in goal 1 and 3 but not in this plan's goal 2.
    goal_2 = dataclasses.replace(plan.goals[1], directions=plan.goals[1].directions[:1])
    smaller = dataclasses.replace(plan, goals=(plan.goals[0], goal_2, plan.goals[2]))
    row = tidy.iloc[12:13].reset_index(drop=True)
    assert validate_tidy(row.copy(), smaller) is not None
    row.loc[0, "direction"] = 2
    with pytest.raises(TidyValidationError, match="direction is one of its goal's directions"):
        validate_tidy(row, smaller)


@pytest.mark.parametrize(
    "rows",
    [
        [1, 0, 2, 3],  # years out of order within an initiative
        [4, 5, 0, 1],  # initiatives out of order within a direction
        [0, 0, 1, 2],  # the same (initiative_id, fiscal_year) twice
    ],
)
def test_order_and_key_are_checked(tidy, plan, rows):
    bad = tidy.iloc[rows].reset_index(drop=True)
    with pytest.raises(TidyValidationError, match="each \\(initiative_id, fiscal_year\\) once"):
        validate_tidy(bad, plan)


def test_one_id_in_two_places_is_refused_even_when_sorted(tidy, plan):
    bad = tidy.iloc[[0, 1, 16, 17]].reset_index(drop=True)
    bad["initiative_id"] = pd.array(["A", "A", "A", "A"], dtype=TEXT)
    bad["fiscal_year"] = [2018, 2019, 2018, 2019]
    with pytest.raises(TidyValidationError, match="each \\(initiative_id, fiscal_year\\) once"):
        validate_tidy(bad, plan)
