"""Formula-safe text and byte-stable workbooks for files people open in Excel."""

import io

import pandas as pd
import pyarrow as pa
import pytest
from openpyxl import Workbook, load_workbook

from kawaeval.common.spreadsheet import (
    EXCEL_CELL_LIMIT,
    fit_cell,
    neutralise,
    neutralise_arrow,
    neutralise_frame,
    stable_xlsx_bytes,
)


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://x","y")', "+1", "-1+2", "@SUM(A1)", "\tx", "\rx"],
)
def test_text_excel_would_run_gets_an_apostrophe(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["国際交流", "1-2", "", 3, -1, 2.5, None])
def test_other_values_are_left_as_they_are(value):
    expected = value
    assert neutralise(value) == expected


def test_frame_text_columns_are_neutralised_and_numbers_stay_numbers():
    frame = pd.DataFrame(
        {
            "name": ["=1+1", "普通の取組"],
            "kind": pd.Categorical(["@x", "y"]),
            "count": [-1, 2],
        }
    )
    out = neutralise_frame(frame)
    assert out["name"].tolist() == ["'=1+1", "普通の取組"]
    assert out["kind"].astype(str).tolist() == ["'@x", "y"]
    assert out["count"].tolist() == [-1, 2]
    assert out["count"].dtype == frame["count"].dtype
    assert frame["name"].tolist() == ["=1+1", "普通の取組"]  # the input is not changed


def test_the_same_workbook_saves_to_the_same_bytes():
    def make() -> bytes:
        book = Workbook()
        book.active.append(["取組番号", "取組名"])
        book.active.append(["1-1-01", "国際交流"])
        return stable_xlsx_bytes(book)

    first = make()
    assert first == make()
    assert load_workbook(io.BytesIO(first)).active["B2"].value == "国際交流"


def test_arrow_columns_are_neutralised_as_single_values_are():
    values = ["=1+1", "+1", "-1", "@x", "\tx", "\rx", "1-2", "国際交流", "", None, "－", "'=x"]
    for kind in (pa.string(), pa.large_string()):
        column = pa.array(values, type=kind)
        assert neutralise_arrow(column).to_pylist() == [neutralise(v) for v in values]
        assert neutralise_arrow(column).type == kind


def test_text_that_fits_a_cell_is_kept_whole():
    assert fit_cell("国際交流" * 8000) == ("国際交流" * 8000, 0)
    assert fit_cell("x" * EXCEL_CELL_LIMIT) == ("x" * EXCEL_CELL_LIMIT, 0)


def test_text_longer_than_a_cell_is_cut_with_a_visible_marker_saying_how_much():
    text = "あ" * 40_000
    fitted, cut = fit_cell(text)
    assert len(fitted) == EXCEL_CELL_LIMIT
    marker = f"…［以下 {cut:,} 文字を省略。全文は報告書の HTML と data/tidy.parquet にあります］"
    assert fitted.endswith(marker)
    assert fitted == text[: EXCEL_CELL_LIMIT - len(marker)] + marker
    assert cut == 40_000 - (EXCEL_CELL_LIMIT - len(marker))
