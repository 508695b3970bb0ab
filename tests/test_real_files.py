"""Real city files (issue 17): every file read or named, every year found or refused.

Each fixture in tests/fixtures/clean/real/ is a kind of file bureaus actually send (made by
tests/fixtures/clean/make_fixtures.py; the .xls, .xlsm and .ods with LibreOffice, the protected
workbook with msoffcrypto-tool). Each test asserts the exact counts and messages; the refusals
are in tests/fixtures/clean/bad/ and tests/test_clean_cli.py (exit 1, no traceback).
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import openpyxl
import pytest
from bs4 import BeautifulSoup

from kawaeval.cli import main
from kawaeval.common.spreadsheet import fit_cell
from kawaeval.evaluation.assessing import assess_records
from kawaeval.records.cleaning import clean
from kawaeval.report import appendix, presenting
from kawaeval.report.tables import report_table
from kawaeval.report.workbook import write_tables_workbook

REAL = Path(__file__).parent / "fixtures" / "clean" / "real"
HIDDEN = (
    "が非表示になっています。非表示の行・列も読み込みました (hidden rows and columns were read). "
    "不要な行は削除し、必要な行は表示して確認してください"
)
KEIZAI_IDS = ["1-2-01", "1-3-01", "2-2-01"]
KANKYO_IDS = ["2-1-04", "2-3-05"]


def totals(raw: int, accepted: int, rejected: int = 0, excluded: int = 0) -> dict:
    return {
        "raw_rows": raw,
        "accepted_rows": accepted,
        "rejected_rows": rejected,
        "excluded_rows": excluded,
    }


def ids_by_year(result) -> dict[int, list[str]]:
    tidy = result.tidy
    return {
        int(y): sorted(tidy.loc[tidy["fiscal_year"] == y, "initiative_id"].tolist())
        for y in sorted(tidy["fiscal_year"].unique())
    }


def every_year(ids: list[str]) -> dict[int, list[str]]:
    return dict.fromkeys((2018, 2019, 2020, 2021), sorted(ids))


def test_an_xls_beside_a_csv_is_read_with_its_hidden_row_named():
    result = clean(REAL / "xls_beside_csv")
    assert result.manifest["totals"] == totals(5, 5)
    assert [(f["file"], f["format"]) for f in result.manifest["files"]] == [
        ("取組_環境局.csv", "csv"),
        ("取組_経済労働局.xls", "xls"),
    ]
    assert result.manifest["warnings"] == [f"取組_経済労働局.xls: シート「取組」の行 3 {HIDDEN}"]
    assert ids_by_year(result) == every_year(KEIZAI_IDS + KANKYO_IDS)


def test_an_xls_alone_in_the_folder_is_read(tmp_path):
    shutil.copy(REAL / "xls_beside_csv" / "取組_経済労働局.xls", tmp_path)
    result = clean(tmp_path)
    assert result.manifest["totals"] == totals(3, 3)
    assert ids_by_year(result) == every_year(KEIZAI_IDS)


def test_an_xlsm_is_read():
    result = clean(REAL / "xlsm")
    assert result.manifest["totals"] == totals(3, 3)
    assert result.manifest["files"][0]["format"] == "xlsm"
    assert result.manifest["warnings"] == []
    assert ids_by_year(result) == every_year(KEIZAI_IDS)


def test_an_ods_is_read_with_its_hidden_row_named():
    result = clean(REAL / "ods")
    assert result.manifest["totals"] == totals(3, 3)
    assert result.manifest["files"][0]["format"] == "ods"
    assert result.manifest["warnings"] == [f"取組_経済労働局.ods: シート「取組」の行 3 {HIDDEN}"]


def test_a_workbook_saved_with_a_csv_name_is_read_as_the_workbook_it_is():
    result = clean(REAL / "workbook_named_csv")
    assert result.manifest["totals"] == totals(5, 5)
    assert [f["format"] for f in result.manifest["files"]] == ["csv", "xlsx"]
    assert result.manifest["warnings"] == [
        "取組_経済労働局.csv: 名前は .csv ですが、中身は Excel ブック (.xlsx) です。"
        "そのとおりに読みました。名前を「取組_経済労働局.xlsx」に変えてください"
    ]


def test_a_hidden_first_sheet_is_passed_over_for_the_visible_one():
    result = clean(REAL / "hidden_sheet")
    file = result.manifest["files"][0]
    assert (file["sheet"], file["hidden_sheets"]) == ("令和3年度", ["令和2年度"])
    assert ids_by_year(result) == every_year(KEIZAI_IDS)  # not last year's two rows
    assert result.manifest["warnings"] == [
        "取組_経済労働局.xlsx: 非表示のシート「令和2年度」は読まず、表示されているシート"
        "「令和3年度」を読みました。非表示のシートのデータが必要なら、そのシートを表示して"
        "「取組」という名前にしてください"
    ]


def test_hidden_rows_and_columns_are_read_and_named(caplog):
    with caplog.at_level(logging.WARNING, logger="kawaeval"):
        result = clean(REAL / "hidden_rows")
    assert result.manifest["totals"] == totals(5, 5)
    file = result.manifest["files"][0]
    assert (file["hidden_rows"], file["hidden_columns"]) == ([3, 5, 6], ["E"])
    warning = f"取組_経済労働局.xlsx: シート「取組」の行 3, 5–6 と 列 E {HIDDEN}"
    assert caplog.messages == [warning] == result.manifest["warnings"]
    assert result.tidy["bureau"].astype(str).unique().tolist() == ["経済労働局", "環境局"]


def test_a_title_block_totals_row_and_note_are_skipped_counted_and_listed(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["clean", "--raw", str(REAL / "title_block"), "--out", str(out)]) == 0
    assert capsys.readouterr().err == (
        "cleaned 5 raw rows from 1 file(s): 3 accepted, 0 rejected, "
        f"2 excluded (totals and notes) -> {out}\n"
    )
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    file = manifest["files"][0]
    assert file["header_rows"] == [4]
    assert file["excluded"] == [
        {"row": 8, "kind": "total", "text": "合計"},
        {"row": 9, "kind": "note", "text": "※達成度は所管局による自己評価です。"},
    ]
    assert manifest["totals"] == totals(5, 3, 0, 2)
    result = clean(REAL / "title_block")
    assert sorted(set(result.tidy["source_row"])) == [5, 6, 7]  # Excel's row numbers
    assert result.rejected.empty  # the two empty cells after the last column are ignored


def test_a_two_row_header_with_merged_cells_is_read_keeping_excel_row_numbers():
    result = clean(REAL / "two_row_header")
    file = result.manifest["files"][0]
    assert (file["sheet"], file["header_rows"]) == ("令和3年度", [4, 5])
    assert file["fiscal_years"] == [2018, 2019, 2020, 2021]
    assert sorted(set(result.tidy["source_row"])) == [6, 7]
    assert ids_by_year(result) == every_year(KANKYO_IDS)


def test_year_headers_in_every_usual_spelling_are_read():
    result = clean(REAL / "year_spellings")
    assert result.manifest["totals"] == totals(5, 5)
    assert [f["fiscal_years"] for f in result.manifest["files"]] == [[2018, 2019, 2020, 2021]] * 2
    assert result.manifest["files"][0]["ignored_columns"] == [
        {
            "column": "令和3年度 目標値",
            "reason": "2021 年度の目標の列（達成度は列「令和3年度 達成度」から読みます）",
        }
    ]
    assert ids_by_year(result) == every_year(KEIZAI_IDS + KANKYO_IDS)


def test_invisible_characters_are_removed_from_headers_and_values():
    result = clean(REAL / "invisible")
    row = result.tidy.iloc[0]
    assert (row["initiative_id"], row["direction"], row["name"], row["bureau"]) == (
        "1-2-01",
        2,
        "海外販路開拓事業",
        "経済労働局",
    )
    assert result.tidy["achievement"].astype(str).tolist() == ["on_target"] * 4


def test_a_renumbered_initiative_counts_once_each_year_under_its_own_direction():
    result = clean(REAL / "renumbered")
    tidy = result.tidy
    assert result.manifest["totals"] == totals(4, 4)
    assert sorted(tidy["initiative_id"].unique()) == ["1-1-01", "1-1-05", "1-3-01"]
    joined = tidy[tidy["initiative_id"] == "1-1-05"].sort_values("fiscal_year")
    assert joined[["fiscal_year", "direction", "achievement", "source_file"]].astype(
        str
    ).values.tolist() == [
        ["2018", "2", "on_target", "取組_経済労働局.csv"],
        ["2019", "2", "below", "取組_経済労働局.csv"],
        ["2020", "1", "on_target", "取組_臨海部国際戦略本部.csv"],
        ["2021", "1", "exceeded", "取組_臨海部国際戦略本部.csv"],
    ]
    assert joined["former_ids"].astype(str).unique().tolist() == ["1-2-03"]
    assert tidy.groupby("fiscal_year")["initiative_id"].count().tolist() == [3, 3, 3, 3]


def test_two_linked_rows_with_different_results_for_one_year_are_rejected(tmp_path):
    shutil.copytree(REAL / "renumbered", tmp_path / "raw")
    path = tmp_path / "raw" / "取組_経済労働局.csv"
    path.write_bytes(path.read_bytes().replace(b",3,4,,,", b",3,4,4,,"))  # 2020 written twice
    result = clean(tmp_path / "raw")
    why = "達成度があり、値が違います。どちらか一方の行にだけ書いてください (two results for 2020)"
    assert result.rejected.values.tolist() == [
        [
            "取組_経済労働局.csv",
            2,
            "1-2-03",
            "海外販路開拓事業",
            "2020年度",
            "4",
            "旧取組番号でつながる取組「1-1-05」（取組_臨海部国際戦略本部.csv 行 2）にも "
            f"2020 年度の{why}",
        ],
        [
            "取組_臨海部国際戦略本部.csv",
            2,
            "1-1-05",
            "海外展開・販路開拓の支援",
            "2020年度",
            "3",
            f"旧取組番号でつながる取組「1-2-03」（取組_経済労働局.csv 行 2）にも 2020 年度の{why}",
        ],
    ]
    assert sorted(result.tidy["initiative_id"].unique()) == ["1-1-01", "1-3-01"]


def test_every_file_of_the_folder_is_read_or_named_with_its_reason(tmp_path, caplog):
    out = tmp_path / "out"
    with caplog.at_level(logging.INFO, logger="kawaeval"):
        assert main(["clean", "--raw", str(REAL / "other_files"), "--out", str(out)]) == 0
    named = [(r.levelname, r.getMessage()) for r in caplog.records]
    warnings = [
        "kyoiku.xlsx: 名前が initiatives / 取組 で始まらないため読みません。"
        "取組の表なら名前を「取組_kyoiku.xlsx」のように変えてください",
        "old: フォルダの中の表（取組_環境局.csv など 1 件）は読みません。"
        "取組の表なら raw フォルダの直下に置いてください",
        "取組_港湾局.xlsb: 取組の表のような名前ですが、.xlsb の形式は読めません。"
        "Excel で .xlsx として保存してください",
    ]
    assert named == [
        ("INFO", "README.md: 説明のファイルです"),
        ("WARNING", warnings[0]),
        ("INFO", "notice.txt: 注記。assess と build が読みます"),
        ("WARNING", warnings[1]),
        ("INFO", "~$取組_環境局.xlsx: Excel の一時ファイルです。ブックが Excel で開かれています"),
        ("WARNING", warnings[2]),
    ]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["warnings"] == warnings
    assert [(f["file"], f["role"], f["level"]) for f in manifest["other_files"]] == [
        ("README.md", "readme", "info"),
        ("kyoiku.xlsx", "not_read", "warning"),
        ("notice.txt", "notice", "info"),
        ("old", "folder", "warning"),
        ("~$取組_環境局.xlsx", "lock", "info"),
        ("取組_港湾局.xlsb", "unsupported", "warning"),
    ]
    assert [f["file"] for f in manifest["files"]] == ["取組_環境局.csv"]


def test_a_folder_holding_no_initiatives_file_names_what_it_holds(tmp_path, capsys):
    shutil.copy(REAL / "other_files" / "kyoiku.xlsx", tmp_path)
    assert main(["clean", "--raw", str(tmp_path), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.endswith(
        "という名前のファイルを置いてください。 フォルダにあるもの: kyoiku.xlsx（名前が "
        "initiatives / 取組 で始まらないため読みません。取組の表なら名前を「取組_kyoiku.xlsx」の"
        "ように変えてください）\n"
    )


@pytest.mark.parametrize("folder", sorted(p.name for p in REAL.iterdir() if p.is_dir()))
def test_no_real_file_gives_exit_0_with_rows_or_years_missing(folder, tmp_path):
    """Every real fixture that cleans: each raw row is accepted or excluded, each file has every
    program year, and each accepted row gives a tidy row for each year (or for its joined id)."""
    result = clean(REAL / folder)
    files = result.manifest["files"]
    for f in files:
        assert f["raw_rows"] == f["accepted_rows"] + f["excluded_rows"]
        assert f["fiscal_years"] == [2018, 2019, 2020, 2021]
    initiatives = result.tidy.groupby("fiscal_year")["initiative_id"].nunique().tolist()
    assert len(initiatives) == 4 and len(set(initiatives)) == 1


# ---------------------------------------------------------------- the assessment and the report


def test_a_renumbered_initiative_is_one_initiative_of_the_assessment_with_both_ids():
    assessment = assess_records(REAL / "renumbered", 2021)
    assert assessment.program.initiatives == 3
    entry = next(i for i in assessment.initiatives if i.initiative_id == "1-1-05")
    assert entry == {
        "initiative_id": "1-1-05",
        "name": "海外展開・販路開拓の支援",
        "goal": 1,
        "direction": 1,
        "bureau": "臨海部国際戦略本部",
        "achievements": {
            "2018": "on_target",
            "2019": "below",
            "2020": "on_target",
            "2021": "exceeded",
        },
        "reason": None,
        "former_ids": ["1-2-03"],
    }
    by_direction_2019 = assess_records(REAL / "renumbered", 2019).goal(1).directions
    assert [(d.direction, d.initiatives, d.counts.below) for d in by_direction_2019] == [
        (1, 1, 0),
        (2, 1, 1),
        (3, 1, 0),
    ]
    by_direction_2021 = assessment.goal(1).directions
    assert [(d.direction, d.initiatives, d.counts.exceeded) for d in by_direction_2021] == [
        (1, 2, 1),
        (2, 0, 0),
        (3, 1, 0),
    ]
    page = BeautifulSoup(str(appendix.initiatives_appendix(assessment)), "html.parser")
    assert "1-1-05（旧 1-2-03）" in [th.get_text() for th in page.select("th[scope=row]")]
    assert [s.get_text() for s in page.select(".kawaeval-former")] == ["（旧 1-2-03）"]
    sheet = report_table(assessment, "initiatives")
    assert "1-1-05（旧 1-2-03）" in sheet["取組番号"].tolist()


def test_what_reading_noticed_is_listed_in_the_report_data_quality_section():
    assessment = assess_records(REAL / "hidden_rows", 2021)
    warning = f"取組_経済労働局.xlsx: シート「取組」の行 3, 5–6 と 列 E {HIDDEN}"
    assert assessment.data_quality.warnings == [warning]
    section = BeautifulSoup(str(presenting.data_quality(assessment)), "html.parser")
    assert section.h2.get_text() == "データ品質：確認が必要な点"
    assert [li.get_text() for li in section.select("ul.kawaeval-warnings li")] == [warning]
    assert "データ品質" not in str(presenting.data_quality(assess_records(REAL / "xlsm", 2021)))


def test_a_reason_longer_than_an_excel_cell_is_cut_visibly_in_tables_xlsx_and_whole_elsewhere(
    tmp_path, caplog
):
    raw = tmp_path / "raw"
    shutil.copytree(REAL / "title_block", raw)
    long_reason = "渡航が困難となったため。" * 3500  # 42,000 characters
    path = raw / "取組_経済労働局.csv"
    text = path.read_bytes().decode("cp932").replace("渡航が困難となったため", long_reason, 1)
    path.write_bytes(text.encode("cp932"))
    assessment = assess_records(raw, 2021)
    assert clean(raw).tidy["reason"].astype(str).str.len().max() == len(long_reason)
    page = str(appendix.initiatives_appendix(assessment))
    assert long_reason in page  # the HTML keeps it whole
    with caplog.at_level(logging.WARNING, logger="kawaeval"):
        write_tables_workbook(assessment, tmp_path / "tables.xlsx")
    book = openpyxl.load_workbook(tmp_path / "tables.xlsx")
    sheet = book.worksheets[-1]
    column = next(c.column_letter for c in sheet[2] if c.value == "主な理由")
    reasons = [c for c in sheet[column] if isinstance(c.value, str) and c.value.startswith("渡航")]
    assert [len(c.value) for c in reasons] == [32_767]
    _, cut = fit_cell(long_reason)
    assert reasons[0].value.endswith(
        f"…［以下 {cut:,} 文字を省略。全文は報告書の HTML と data/tidy.parquet にあります］"
    )
    assert caplog.messages == [
        f"tables.xlsx: シート「{sheet.title}」のセル {reasons[0].coordinate} の文字数が Excel の"
        f"上限（32,767 文字）を超えるため、{cut:,} 文字を省略しました（全文は報告書の HTML と "
        "data/tidy.parquet にあります）"
    ]
