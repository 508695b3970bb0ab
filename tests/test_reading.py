"""Finding and reading the initiatives files: names, encodings, sheets, Excel row numbers."""

from __future__ import annotations

import codecs
import hashlib
from pathlib import Path

import openpyxl
import pytest

from kawaeval.exceptions import FormulaWithoutValueError, InputFileError
from kawaeval.records.cleaning import clean
from kawaeval.records.folder import find_initiative_files
from kawaeval.records.reading import read_initiative_file

BAD = Path(__file__).parent / "fixtures" / "clean" / "bad"
UTF16_MESSAGE = (
    "UTF-16 で保存されています (saved as UTF-16, not UTF-8 or CP932). "
    "Excel の「Unicode テキスト」ではなく、「CSV UTF-8 (コンマ区切り)」として保存し直してください"
)
HEADER = ["取組番号", "基本目標", "取組の方向性", "取組名", "2021年度"]
ROWS = [
    ["1-1-01", "１", "1", "国際交流の推進", "ほぼ目標どおり"],
    ["2-1-01", "Ⅱ", "1", "多文化共生", "3"],
]


def write_csv(
    path: Path, rows: list[list[str]], encoding: str = "utf-8", end: str = "\r\n"
) -> Path:
    text = end.join(",".join(row) for row in rows) + end
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_finds_both_prefixes_sorted_and_ignores_other_files(tmp_path):
    for name in [
        "取組_環境局.csv",
        "initiatives_b.XLSX",
        "initiatives_a.csv",
        "judgements.csv",
        "plan.toml",
        "~$initiatives_a.xlsx",
        "initiatives_notes.txt",
    ]:
        (tmp_path / name).write_text("x", encoding="utf-8")
    found = [p.name for p in find_initiative_files(tmp_path)]
    assert found == ["initiatives_a.csv", "initiatives_b.XLSX", "取組_環境局.csv"]


def test_missing_folder_names_it_and_the_expected_files(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(InputFileError) as caught:
        find_initiative_files(missing)
    assert str(caught.value) == (
        f"nowhere: フォルダ {missing} がありません (raw folder not found). "
        "initiatives*.csv|xlsx|xlsm|xls|ods / 取組*.csv|xlsx|xlsm|xls|ods "
        "を置いたフォルダを --raw で指定するか、data/raw/ のある"
        "プロジェクトのフォルダで実行するか、そのフォルダを KAWAEVAL_HOME に設定してください。"
        "新しいプロジェクトは kawaeval init DIR で作れます"
    )


def test_folder_without_initiatives_file_names_the_expected_files(tmp_path):
    (tmp_path / "judgements.csv").write_text("年度\n", encoding="utf-8")
    with pytest.raises(InputFileError) as caught:
        find_initiative_files(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path.name}: フォルダ {tmp_path} に取組の表がありません (no initiatives file). "
        "initiatives*.csv|xlsx|xlsm|xls|ods / 取組*.csv|xlsx|xlsm|xls|ods "
        "という名前のファイルを置いてください。 フォルダにあるもの: "
        "judgements.csv（任意の入力。assess と build が読みます）"
    )


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_csv_encodings_are_detected(tmp_path, encoding):
    table = read_initiative_file(write_csv(tmp_path / "initiatives.csv", [HEADER, *ROWS], encoding))
    assert table.encoding == ("cp932" if encoding == "cp932" else "utf-8-sig")
    assert table.header == tuple(HEADER)
    assert table.cells.to_numpy().tolist() == ROWS
    assert table.cells.index.tolist() == [2, 3]
    assert table.file == "initiatives.csv"


def test_sha256_is_of_the_file_bytes(tmp_path):
    path = write_csv(tmp_path / "initiatives.csv", [HEADER, *ROWS])
    assert read_initiative_file(path).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_undecodable_bytes_are_an_input_file_error(tmp_path):
    path = tmp_path / "initiatives.csv"
    path.write_bytes("取組番号,基本目標\n".encode() + b"\x81\xff\xfe,1\n")
    with pytest.raises(InputFileError) as caught:
        read_initiative_file(path)
    assert str(caught.value) == (
        "initiatives.csv: 文字コードを判別できません (not UTF-8 or CP932). "
        "Excel で「CSV UTF-8」または「CSV (コンマ区切り)」として保存し直してください"
    )


def test_undecodable_fixture_is_an_input_file_error():
    path = BAD / "undecodable" / "initiatives_undecodable.csv"
    with pytest.raises(InputFileError, match=r"^initiatives_undecodable\.csv: 文字コードを判別"):
        read_initiative_file(path)


def test_utf16_fixture_says_it_is_utf16_and_how_to_resave():
    path = BAD / "utf16" / "initiatives_utf16.csv"
    with pytest.raises(InputFileError) as caught:
        read_initiative_file(path)
    assert str(caught.value) == f"initiatives_utf16.csv: {UTF16_MESSAGE}"
    assert caught.value.path == path


@pytest.mark.parametrize(
    ("prefix", "encoding"),
    [
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (b"", "utf-16-le"),
        (b"", "utf-16-be"),
    ],
)
def test_utf16_with_or_without_byte_order_mark_is_named(tmp_path, prefix, encoding):
    path = tmp_path / "initiatives.csv"
    path.write_bytes(prefix + "\r\n".join(",".join(r) for r in [HEADER, *ROWS]).encode(encoding))
    with pytest.raises(InputFileError) as caught:
        read_initiative_file(path)
    assert str(caught.value) == f"initiatives.csv: {UTF16_MESSAGE}"


@pytest.mark.parametrize(
    ("kind", "name"),
    [("empty", "initiatives_empty.csv"), ("blank", "initiatives_blank.csv")],
)
def test_empty_and_blank_fixtures_are_empty_files(kind, name):
    with pytest.raises(InputFileError) as caught:
        read_initiative_file(BAD / kind / name)
    assert str(caught.value) == f"{name}: ファイルが空です (empty file)"


def test_header_only_fixture_reads_as_a_header_and_no_rows():
    table = read_initiative_file(BAD / "header_only" / "initiatives_header_only.csv")
    assert table.header == (*HEADER[:4], "2018年度", "2019年度", "2020年度", "2021年度")
    assert table.cells.shape == (0, 8)


def test_xlsx_first_sheet_is_read_when_none_is_named_torikumi_fixture():
    table = read_initiative_file(BAD / "cover_sheet" / "initiatives_cover_sheet.xlsx")
    assert table.sheet == "記入例"
    assert table.header == ("記入例",)


@pytest.mark.parametrize("content", [b"", b"  \r\n\r\n", codecs.BOM_UTF8 + b"\n"])
def test_empty_file_is_an_input_file_error(tmp_path, content):
    path = tmp_path / "initiatives.csv"
    path.write_bytes(content)
    with pytest.raises(
        InputFileError, match=r"^initiatives\.csv: ファイルが空です \(empty file\)$"
    ):
        read_initiative_file(path)


def test_xlsx_that_is_really_text_is_an_input_file_error():
    path = Path(__file__).parent / "fixtures" / "clean" / "unreadable" / "initiatives_fake.xlsx"
    with pytest.raises(InputFileError) as caught:
        read_initiative_file(path)
    assert str(caught.value) == (
        "initiatives_fake.xlsx: 名前は .xlsx ですが、中身はテキスト（CSV）です "
        "(not an XLSX workbook: the file is text). "
        "名前を「initiatives_fake.csv」に変えるか、Excel で .xlsx として保存し直してください"
    )
    assert caught.value.path == path


def test_xlsx_reads_the_sheet_named_torikumi_even_when_not_first(tmp_path):
    path = write_xlsx(
        tmp_path / "initiatives.xlsx",
        {"説明": [["この表について"]], "取組": [HEADER, ["1-1-01", 1, 1, "国際交流", 3]]},
    )
    table = read_initiative_file(path)
    assert table.sheet == "取組"
    assert table.encoding is None
    assert table.header == tuple(HEADER)
    assert table.cells.to_numpy().tolist() == [["1-1-01", "1", "1", "国際交流", "3"]]
    assert table.cells.index.tolist() == [2]


def test_xlsx_without_torikumi_sheet_reads_the_first_sheet(tmp_path):
    path = write_xlsx(
        tmp_path / "取組_環境局.xlsx",
        {"Sheet1": [HEADER, ["3-1-01", "Ⅲ", "1", "環境", "目標を下回った"]], "Sheet2": [["x"]]},
    )
    table = read_initiative_file(path)
    assert table.sheet == "Sheet1"
    assert table.cells.to_numpy().tolist() == [["3-1-01", "Ⅲ", "1", "環境", "目標を下回った"]]


def test_xlsx_blank_rows_keep_excel_row_numbers(tmp_path):
    path = write_xlsx(
        tmp_path / "initiatives.xlsx",
        {"取組": [HEADER, ["a", 1, 1, "x", 3], [None] * 5, ["b", 1, 1, "y", 3]]},
    )
    table = read_initiative_file(path)
    assert table.cells.index.tolist() == [2, 4]


def test_csv_blank_lines_are_not_records_but_keep_row_numbers(tmp_path):
    rows = [HEADER, ROWS[0], [""], [",,,,"], ["　, , ,　,"], ROWS[1]]
    path = tmp_path / "initiatives.csv"
    path.write_bytes("\n".join(",".join(r) for r in rows).encode("utf-8") + b"\n")
    table = read_initiative_file(path)
    assert table.cells.index.tolist() == [2, 6]
    assert table.cells.to_numpy().tolist() == ROWS


def test_csv_stray_carriage_return_keeps_excel_row_numbers(tmp_path):
    # "\r\r\n" is a line break and an empty line to pandas and Excel: the next record is row 4
    path = tmp_path / "initiatives.csv"
    text = "\r\n".join(",".join(r) for r in [HEADER, ROWS[0]]) + "\r\r\n" + ",".join(ROWS[1])
    path.write_bytes((text + "\r\n").encode("utf-8"))
    table = read_initiative_file(path)
    assert list(table.cells.index) == [2, 4]
    assert table.cells.loc[4].tolist() == ROWS[1]


def test_csv_multiline_cell_counts_as_one_excel_row(tmp_path):
    path = tmp_path / "initiatives.csv"
    text = ",".join(HEADER) + "\n" + '1-1-01,1,1,"国際交流\nの推進",3\n' + "1-1-02,1,1,次の取組,3\n"
    path.write_bytes(text.encode("utf-8"))
    table = read_initiative_file(path)
    assert table.cells.index.tolist() == [2, 3]
    assert table.cells.iloc[0, 3] == "国際交流\nの推進"


def test_csv_short_rows_are_padded_with_blanks(tmp_path):
    path = tmp_path / "initiatives.csv"
    path.write_bytes((",".join(HEADER) + "\n1-1-01,1,1,国際交流\n").encode("utf-8"))
    table = read_initiative_file(path)
    assert table.cells.to_numpy().tolist() == [["1-1-01", "1", "1", "国際交流", ""]]


def test_csv_rows_longer_than_the_header_are_read_with_blank_extra_headers(tmp_path):
    path = tmp_path / "initiatives.csv"
    path.write_bytes(
        (",".join(HEADER) + "\n1-1-01,1,1,国際交流,3,余分,\n1-1-02,1,1,x,3,,\n").encode()
    )
    table = read_initiative_file(path)
    assert table.header == (*HEADER, "", "")
    assert table.cells.to_numpy().tolist() == [
        ["1-1-01", "1", "1", "国際交流", "3", "余分", ""],
        ["1-1-02", "1", "1", "x", "3", "", ""],
    ]


def test_formula_cells_without_saved_results_are_listed_by_reading():
    path = BAD / "formula_without_value" / "initiatives_formulas.xlsx"
    table = read_initiative_file(path)
    assert table.formulas_without_values[0] == "A2"
    assert len(table.formulas_without_values) == 4


def test_formula_cells_without_saved_results_name_file_sheet_and_cell():
    path = BAD / "formula_without_value" / "initiatives_formulas.xlsx"
    with pytest.raises(FormulaWithoutValueError) as caught:
        clean(path.parent)
    error = caught.value
    assert isinstance(error, InputFileError)
    assert (error.path, error.sheet, error.cell, error.count) == (path, "取組", "A2", 4)
    assert "Excel で開いて保存し直して" in str(error)


def test_formula_cells_with_saved_results_read_their_results():
    path = BAD.parent / "formats" / "xlsx_formulas" / "initiatives_formulas.xlsx"
    table = read_initiative_file(path)
    assert table.cells.loc[2].tolist()[:3] == ["2-1-01", "2", "2ー1"]
    assert table.cells.loc[2].tolist()[6] == "３：ほぼ目標どおり"
    assert table.cells.loc[3].tolist()[2] == "2"


def test_one_formula_without_result_among_saved_ones_is_named(tmp_path):
    write_xlsx(
        tmp_path / "initiatives.xlsx",
        {
            "取組": [
                ["取組番号", "基本目標", "取組の方向性", "取組名", "R3"],
                ["K1", 1, 1, "x", "=2+1"],
            ]
        },
    )
    with pytest.raises(FormulaWithoutValueError) as caught:
        clean(tmp_path)
    assert str(caught.value).startswith(
        "initiatives.xlsx: シート「取組」のセル E2 は数式ですが、"
        "計算結果が保存されていません (cell E2"
    )


def test_a_formula_without_result_in_a_column_cleaning_ignores_is_no_error(tmp_path):
    """The input workbook looks up each direction's name with a formula; clean does not read it."""
    write_xlsx(
        tmp_path / "initiatives.xlsx",
        {
            "取組": [
                [
                    "取組番号",
                    "基本目標",
                    "取組の方向性",
                    "方向性の名称（自動表示）",
                    "取組名",
                    "H30",
                    "R1",
                    "R2",
                    "R3",
                ],
                ["K1", 1, 1, "=VLOOKUP(C2,A1:B2,2,FALSE)", "x", 3, 3, 3, "ほぼ目標どおり"],
            ]
        },
    )
    assert clean(tmp_path).tidy["initiative_id"].unique().tolist() == ["K1"]
