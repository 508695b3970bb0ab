"""The analyst's API: one call each for the tidy records, an assessment and a report table."""

import json
import subprocess
import sys

import pandas as pd
import pytest

import kawaeval
from kawaeval import cli
from kawaeval.evaluation.assessing import round_half_up_pct
from kawaeval.exceptions import UnknownFiscalYearError

EVALUATED = ("exceeded", "on_target", "below")


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    return kawaeval.load_records()


def test_import_kawaeval_stays_cheap():
    """Building imports kawaeval in every process: the API must not pull pandas in with it."""
    code = (
        "import sys, kawaeval\n"
        "heavy = [m for m in ('numpy', 'openpyxl', 'pandas', 'pyarrow') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
        "print(callable(kawaeval.load_records), 'pandas' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == ["", "True True"]


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'tabel'"):
        kawaeval.tabel  # noqa: B018


def test_load_records_is_the_tidy_table_of_the_bundled_sample(records):
    assert {"initiative_id", "goal", "direction", "fiscal_year", "achievement"} <= set(records)
    assert records["initiative_id"].nunique() == 109
    fy2021 = records[records["fiscal_year"] == 2021]
    counts = fy2021["achievement"].value_counts()
    assert [int(counts[k]) for k in EVALUATED] == [1, 87, 21]


def test_assess_gives_what_the_cli_prints(capsys):
    assessment = kawaeval.assess(2021)
    assert cli.main(["assess", "--fiscal-year", "2021", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == assessment
    assert assessment["program"]["shares_pct"]["on_target"] == 79.8


def test_assess_refuses_a_year_outside_the_program():
    with pytest.raises(UnknownFiscalYearError):
        kawaeval.assess(2017)


def test_fy2021_goal2_trend_table_is_a_dataframe_of_the_records(records):
    frame = kawaeval.table("goal_trend", 2021, goal=2)
    assert isinstance(frame, pd.DataFrame)
    goal2 = records[records["goal"] == 2]
    years = sorted(goal2["fiscal_year"].unique())
    assert len(frame) == len(years) == 4
    counts_columns = [c for c in frame if pd.api.types.is_integer_dtype(frame[c].dtype)]
    share_columns = [c for c in frame if pd.api.types.is_float_dtype(frame[c].dtype)]
    assert counts_columns and share_columns
    for (_, row), year in zip(frame.iterrows(), years, strict=True):
        one_year = goal2[goal2["fiscal_year"] == year]["achievement"].value_counts()
        evaluated = sum(int(one_year.get(k, 0)) for k in EVALUATED)
        counts = [int(row[c]) for c in counts_columns]
        shares = [float(row[c]) for c in share_columns]
        for k in EVALUATED:
            assert int(one_year.get(k, 0)) in counts, (year, k)
            assert round_half_up_pct(int(one_year.get(k, 0)), evaluated) in shares, (year, k)
