"""`kawaeval template`: the bureaus' input workbook, read back as a person and as `clean` would."""

from __future__ import annotations

import json
import os
import shutil
import unicodedata
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter, range_boundaries

from kawaeval.cli import main
from kawaeval.common import text
from kawaeval.exceptions import UnknownFiscalYearError
from kawaeval.forms import form_workbook, input_form
from kawaeval.paths import SAMPLE_RAW_DIR
from kawaeval.plan import ACHIEVEMENTS, load_plan
from kawaeval.records.cleaning import clean
from kawaeval.records.spellings import parse_fiscal_year_header

FIXTURES = Path(__file__).parent / "fixtures"
FORMULA_TEXT = FIXTURES / "forms" / "formula_text"
WITH_REJECTS = FIXTURES / "clean" / "with_rejects"

PLAN = load_plan()
HEADERS = [
    "取組番号",
    "基本目標",
    "取組の方向性",
    "方向性の名称（自動表示）",
    "取組名",
    "所管局",
    "平成30(2018)年度",
    "令和元(2019)年度",
    "令和2(2020)年度",
    "令和3(2021)年度",
    "主な理由",
]


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    """The sample records of data/raw/, cleaned."""
    return clean(SAMPLE_RAW_DIR).tidy


def _template(tmp_path: Path, *args: str, name: str = "取組_template.xlsx") -> Path:
    out = tmp_path / name
    assert main(["template", *args, "--out", str(out)]) == 0
    return out


def _sheet(path: Path, sheet: str = "取組"):
    return openpyxl.load_workbook(path)[sheet]


def _columns(sheet) -> dict[str, int]:
    return {cell.value: cell.column for cell in sheet[1] if cell.value is not None}


def _validation(sheet, column: int):
    """The one data validation covering row 2 of ``column``."""
    cell = f"{get_column_letter(column)}2"
    found = [dv for dv in sheet.data_validations.dataValidation if cell in dv.sqref]
    assert len(found) == 1, cell
    return found[0]


def _list_values(book, dv) -> list[str]:
    """The values a list validation offers, read from the cells its formula names."""
    assert dv.type == "list"
    sheet_name, cells = dv.formula1.split("!")
    min_col, min_row, max_col, max_row = range_boundaries(cells.replace("$", ""))
    lists = book[sheet_name.strip("'")]
    return [
        lists.cell(r, c).value
        for r in range(min_row, max_row + 1)
        for c in range(min_col, max_col + 1)
    ]


def _clean_folder(tmp_path: Path, *workbooks: Path) -> dict:
    """Copy workbooks into a fresh raw folder and run `kawaeval clean`; the manifest."""
    raw = tmp_path / "returned"
    raw.mkdir(exist_ok=True)
    for workbook in workbooks:
        shutil.copy(workbook, raw / workbook.name)
    out = tmp_path / "processed"
    assert main(["clean", "--raw", str(raw), "--out", str(out)]) == 0
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def _tidy(tmp_path: Path) -> pd.DataFrame:
    return pd.read_parquet(tmp_path / "processed" / "tidy.parquet")


# ---------------------------------------------------------------- the blank form


def test_blank_template_filled_with_valid_choices_is_accepted_by_clean(tmp_path):
    path = _template(tmp_path)
    book = openpyxl.load_workbook(path)
    sheet = book["取組"]
    col = _columns(sheet)
    goals = _list_values(book, _validation(sheet, col["基本目標"]))
    directions = _list_values(book, _validation(sheet, col["取組の方向性"]))
    labels = _list_values(book, _validation(sheet, col["令和3(2021)年度"]))
    years = [h for h in HEADERS if parse_fiscal_year_header(h)]
    pairs = [(g, d) for g in goals for d in directions if d.startswith(f"{g}-")]
    expected = []
    for i in range(30):  # every pair, every label in every year, as a bureau would pick them
        goal, direction = pairs[i % len(pairs)]
        row = i + 2
        sheet.cell(row, col["取組番号"], f"{direction}-{i:02d}")
        sheet.cell(row, col["基本目標"], goal)
        sheet.cell(row, col["取組の方向性"], direction)
        sheet.cell(row, col["取組名"], f"取組{i}")
        sheet.cell(row, col["所管局"], "総務企画局")
        for j, header in enumerate(years):
            label = labels[(i + j) % len(labels)]
            sheet.cell(row, col[header], label)
            expected.append((f"{direction}-{i:02d}", parse_fiscal_year_header(header), label))
    filled = tmp_path / "filled" / "取組_総務企画局.xlsx"
    filled.parent.mkdir()
    book.save(filled)

    manifest = _clean_folder(tmp_path, filled)
    assert manifest["totals"] == {
        "raw_rows": 30,
        "accepted_rows": 30,
        "rejected_rows": 0,
        "excluded_rows": 0,
    }
    tidy = _tidy(tmp_path)
    category = {label: c for c, label in PLAN.achievement_labels.items()}
    got = sorted(zip(tidy["initiative_id"], tidy["fiscal_year"], tidy["achievement"], strict=True))
    assert got == sorted((i, y, category[label]) for i, y, label in expected)
    assert set(tidy["achievement"]) == set(ACHIEVEMENTS)


def test_validation_lists_equal_the_plan(tmp_path):
    path = _template(tmp_path)
    book = openpyxl.load_workbook(path)
    sheet = book["取組"]
    col = _columns(sheet)
    assert _list_values(book, _validation(sheet, col["基本目標"])) == [g.goal for g in PLAN.goals]
    directions = [(f"{d.goal}-{d.direction}", d.name) for g in PLAN.goals for d in g.directions]
    assert _list_values(book, _validation(sheet, col["取組の方向性"])) == [c for c, _ in directions]
    lists = book["リスト"]
    assert [(lists.cell(r, 3).value, lists.cell(r, 4).value) for r in range(2, 11)] == directions
    labels = ["目標を上回って達成", "ほぼ目標どおり", "目標を下回った", "評価対象外"]
    assert [PLAN.achievement_labels[c] for c in ACHIEVEMENTS] == labels
    for year in PLAN.program_years:
        dv = _validation(sheet, col[form_workbook.year_header(year)])
        assert _list_values(book, dv) == labels
        assert dv.allow_blank
    # every input column: an input message; every checked column: a Japanese error that stops
    for header in HEADERS:
        if header == "方向性の名称（自動表示）":
            continue
        dv = _validation(sheet, col[header])
        assert dv.showInputMessage and dv.prompt and dv.promptTitle
        letter = get_column_letter(col[header])
        assert str(dv.sqref) == f"{letter}2:{letter}201"
        if dv.type is not None:
            assert dv.showErrorMessage and dv.errorStyle == "stop"
            assert dv.errorTitle.endswith("の入力エラー")
            assert "選んでください" in dv.error or "重ならない番号" in dv.error
    goal_error = _validation(sheet, col["基本目標"]).error
    assert goal_error == "基本目標は一覧の番号（1、2、3）から選んでください。"
    assert _validation(sheet, col["取組番号"]).formula1 == "SUMPRODUCT(--EXACT($A$2:$A$201,A2))=1"


def test_blank_template_as_a_person_sees_it(tmp_path):
    path = _template(tmp_path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["取組", "リスト", "記入方法"]
    assert book["リスト"].sheet_state == "hidden"
    assert book["記入方法"].sheet_state == "visible"
    sheet = book["取組"]
    assert [c.value for c in sheet[1]] == HEADERS
    assert [parse_fiscal_year_header(h) for h in HEADERS[6:10]] == list(PLAN.program_years)
    assert sheet.freeze_panes == "A2"
    assert sheet.max_row == 201
    assert all(sheet.cell(r, 1).value is None for r in range(2, 202))

    # wide enough for the Japanese headers (two columns per character), wrapped where long
    def shown(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WFA" else 1 for c in text)

    for cell in sheet[1]:
        width = sheet.column_dimensions[cell.column_letter].width
        assert shown(cell.value) < width <= 50, cell.value
    for header in HEADERS[6:10]:
        width = sheet.column_dimensions[get_column_letter(HEADERS.index(header) + 1)].width
        assert width > max(shown(label) for label in PLAN.achievement_labels.values())
    assert sheet.cell(2, 5).alignment.wrap_text
    # the direction's name shows beside its code, looked up in the lists
    assert sheet["D2"].value == "=IFERROR(VLOOKUP(C2,'リスト'!$C$2:$D$10,2,FALSE),\"\")"
    # the header and the looked-up names are locked; the rest of each row is open
    assert sheet.protection.sheet and sheet.protection.password is None
    assert sheet["A1"].protection.locked and sheet["D2"].protection.locked
    for column in (1, 2, 3, 5, 6, 7, 10, 11):
        assert not sheet.cell(2, column).protection.locked
        assert not sheet.cell(201, column).protection.locked
        if column != 2:  # goals are numbers; 1-2 must stay text, not become a date
            assert sheet.cell(2, column).number_format == "@"
    assert book["リスト"].protection.sheet
    guide = book["記入方法"]
    text = "\n".join(str(c.value) for row in guide.iter_rows() for c in row if c.value is not None)
    for header in HEADERS:
        assert header in text
    for label in PLAN.achievement_labels.values():
        assert label in text
    assert "「評価対象外」とは" in text and "分母には含めない" in text
    for g in PLAN.goals:
        assert g.name in text
        for d in g.directions:
            assert f"{g.goal}-{d.direction}" in text and d.name in text


# ---------------------------------------------------------------- carried forward


def test_carried_forward_template_round_trips_through_clean(tmp_path, sample):
    path = _template(tmp_path, "--raw", str(SAMPLE_RAW_DIR), "--fiscal-year", "2021")
    book = openpyxl.load_workbook(path)
    sheet = book["取組"]
    col = _columns(sheet)
    assert [c.value for c in sheet[1]] == HEADERS
    assert sheet.max_row == 1 + 109 + form_workbook.SPARE_ROWS
    by_id = {r: sample[sample["initiative_id"] == r] for r in sample["initiative_id"].unique()}
    label = PLAN.achievement_labels
    for row in range(2, 111):
        initiative = by_id[sheet.cell(row, col["取組番号"]).value]
        first = initiative.iloc[0]
        assert sheet.cell(row, col["取組名"]).value == first["name"]
        assert sheet.cell(row, col["所管局"]).value == first["bureau"]
        assert sheet.cell(row, col["基本目標"]).value == first["goal"]
        assert sheet.cell(row, col["取組の方向性"]).value == f"{first['goal']}-{first['direction']}"
        for year in (2018, 2019, 2020):
            cell = sheet.cell(row, col[form_workbook.year_header(year)])
            achievement = initiative.loc[initiative["fiscal_year"] == year, "achievement"].item()
            assert cell.value == label[achievement]
            assert cell.protection.locked and cell.fill.fgColor.rgb == "00D9D9D9"
        open_cell = sheet.cell(row, col["令和3(2021)年度"])
        assert open_cell.value is None and not open_cell.protection.locked
        assert not sheet.cell(row, col["主な理由"]).protection.locked
        # the bureau fills this year's result as the records have it
        achievement = initiative.loc[initiative["fiscal_year"] == 2021, "achievement"].item()
        open_cell.value = label[achievement]
    assert sheet.protection.sheet
    for header, values in (("所管局", sample["bureau"]), ("取組番号", sample["initiative_id"])):
        width = sheet.column_dimensions[get_column_letter(col[header])].width
        assert width > max(len(v.encode("cp932")) for v in values.unique())  # 2 per kanji
    filled = tmp_path / "filled" / path.name
    filled.parent.mkdir()
    book.save(filled)

    manifest = _clean_folder(tmp_path, filled)
    assert manifest["totals"] == {
        "raw_rows": 109,
        "accepted_rows": 109,
        "rejected_rows": 0,
        "excluded_rows": 0,
    }
    tidy = _tidy(tmp_path)
    fields = ["initiative_id", "goal", "direction", "name", "bureau", "fiscal_year", "reason"]
    original = sample[[*fields, "achievement"]].astype(str).reset_index(drop=True)
    returned = tidy[[*fields, "achievement"]].astype(str).reset_index(drop=True)
    pd.testing.assert_frame_equal(returned, original)
    counts = tidy.groupby("fiscal_year")["achievement"].value_counts().to_dict()
    assert counts == sample.groupby("fiscal_year")["achievement"].value_counts().to_dict()


def test_carried_forward_locks_every_year_but_the_one_asked_for(tmp_path, sample):
    path = _template(tmp_path, "--raw", str(SAMPLE_RAW_DIR), "--fiscal-year", "2019")
    sheet = _sheet(path)
    col = _columns(sheet)
    filled_2018 = [sheet.cell(r, col["平成30(2018)年度"]).value for r in range(2, 111)]
    assert sorted(filled_2018) == sorted(
        PLAN.achievement_labels[a] for a in sample.loc[sample["fiscal_year"] == 2018, "achievement"]
    )
    for header, locked in (
        ("平成30(2018)年度", True),
        ("令和元(2019)年度", False),
        ("令和2(2020)年度", True),
        ("令和3(2021)年度", True),
    ):
        for row in (2, 110, 130):
            cell = sheet.cell(row, col[header])
            assert cell.protection.locked is locked, (header, row)
            if header != "平成30(2018)年度" or row > 110:
                assert cell.value is None
    # blank, unfilled: every initiative still accepted, this year counted as not evaluated
    _clean_folder(tmp_path, path)
    tidy = _tidy(tmp_path)
    assert len(tidy) == 4 * 109
    assert set(tidy.loc[tidy["fiscal_year"] >= 2019, "achievement"]) == {"not_evaluated"}


def _values(column: pd.Series) -> list:
    """A column's values as plain Python objects, None where missing (categoricals too)."""
    return column.astype(object).where(column.notna(), None).tolist()


def test_text_that_excel_would_run_is_kept_as_text_and_read_back(tmp_path):
    path = _template(tmp_path, "--raw", str(FORMULA_TEXT), "--fiscal-year", "2020")
    sheet = _sheet(path)
    col = _columns(sheet)
    cells = {sheet.cell(r, col["取組番号"]).value: r for r in range(2, 5)}
    assert set(cells) == {"-1-01", "1-1-02", "1-2-01"}
    formula_name = sheet.cell(cells["1-1-02"], col["取組名"])
    assert formula_name.value == '=HYPERLINK("http://example.com","詳細")'
    assert formula_name.data_type == "s" and formula_name.quotePrefix
    for cell in (
        sheet.cell(cells["-1-01"], col["取組番号"]),
        sheet.cell(cells["1-2-01"], col["主な理由"]),
        sheet.cell(cells["1-2-01"], col["所管局"]),
    ):
        assert cell.data_type == "s" and cell.quotePrefix, cell.value
    plain = sheet.cell(cells["1-2-01"], col["取組名"])
    assert plain.value == "海外展開の支援" and not plain.quotePrefix
    _clean_folder(tmp_path, path)
    returned = _tidy(tmp_path).drop_duplicates("initiative_id")
    original = clean(FORMULA_TEXT).tidy.drop_duplicates("initiative_id")
    for column in ("initiative_id", "name", "bureau", "reason"):
        assert _values(returned[column]) == _values(original[column])


def test_rejected_records_stop_the_template_unless_allowed(tmp_path, capsys):
    out = tmp_path / "取組_x.xlsx"
    args = ["template", "--raw", str(WITH_REJECTS), "--fiscal-year", "2021", "--out", str(out)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("kawaeval template: error: 11 行を受け付けられませんでした")
    assert not out.exists()
    assert main([*args, "--allow-rejects"]) == 0
    assert "11 行は受け付けられなかったため" in capsys.readouterr().err
    accepted = clean(WITH_REJECTS).tidy["initiative_id"].unique().tolist()
    sheet = _sheet(out)
    assert [sheet.cell(r, 1).value for r in range(2, 2 + len(accepted))] == accepted
    assert sheet.cell(2 + len(accepted), 1).value is None


# ---------------------------------------------------------------- one workbook per bureau


def test_by_bureau_splits_the_109_sample_records(tmp_path, sample, capsys):
    out = tmp_path / "bureaus"
    assert main(["template", "--fiscal-year", "2021", "--by-bureau", "--out", str(out)]) == 0
    files = sorted(out.iterdir())
    bureaus = sorted(sample["bureau"].unique())
    assert [f.name for f in files] == sorted(f"取組_{b}.xlsx" for b in bureaus)
    seen = []
    for path in files:
        sheet = _sheet(path)
        col = _columns(sheet)
        ids = [sheet.cell(r, 1).value for r in range(2, sheet.max_row + 1)]
        ids = [i for i in ids if i is not None]
        assert {sheet.cell(r, col["所管局"]).value for r in range(2, 2 + len(ids))} == {
            path.stem.removeprefix("取組_")
        }
        expected = sample.loc[sample["bureau"] == path.stem.removeprefix("取組_"), "initiative_id"]
        assert ids == expected.unique().tolist()
        seen += ids
    assert len(seen) == 109 == len(set(seen))
    assert set(seen) == set(sample["initiative_id"])
    assert f"wrote {out / '取組_市民文化局.xlsx'} (28 initiatives)" in capsys.readouterr().err
    # the returned workbooks, together, are the program again
    manifest = _clean_folder(tmp_path, *files)
    assert manifest["totals"] == {
        "raw_rows": 109,
        "accepted_rows": 109,
        "rejected_rows": 0,
        "excluded_rows": 0,
    }
    assert len(manifest["files"]) == len(bureaus)


def test_bureau_file_names_are_safe_on_windows():
    assert text.safe_file_name('経済/労働:局*?"<>|\\') == "経済_労働_局_______"
    assert text.safe_file_name("港湾局. ") == "港湾局"
    assert text.safe_file_name("CON") == "CON_"
    assert text.safe_file_name("lpt1.txt") == "lpt1.txt_"
    assert text.safe_file_name(" ... ") == "_"
    assert text.safe_file_name("a\tb") == "a_b"
    assert input_form.bureau_file_names(["A/B", "A_B", "a_b", "局"]) == {
        "A/B": "取組_A_B.xlsx",
        "A_B": "取組_A_B_2.xlsx",
        "a_b": "取組_a_b_3.xlsx",
        "局": "取組_局.xlsx",
    }


# ---------------------------------------------------------------- bytes and errors


def test_rebuilding_gives_identical_bytes(tmp_path):
    first = _template(tmp_path, name="取組_a.xlsx").read_bytes()
    assert _template(tmp_path, "--force", name="取組_a.xlsx").read_bytes() == first
    assert _template(tmp_path, name="取組_b.xlsx").read_bytes() == first
    carried = _template(tmp_path, "--fiscal-year", "2021", name="取組_c.xlsx").read_bytes()
    again = _template(tmp_path, "--fiscal-year", "2021", name="取組_d.xlsx").read_bytes()
    assert carried == again != first
    out = tmp_path / "bureaus"
    args = ["template", "--fiscal-year", "2020", "--by-bureau", "--out", str(out)]
    assert main(args) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert main([*args, "--force"]) == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_year_outside_the_plan_is_wrong_usage(tmp_path, capsys):
    out = tmp_path / "取組_x.xlsx"
    assert main(["template", "--fiscal-year", "2017", "--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        "kawaeval template: error: --fiscal-year 2017 は第２期実行プログラムの年度ではありません。"
        "指定できる年度: 2018, 2019, 2020, 2021\n"
    )
    assert not out.exists()


def test_an_existing_output_is_kept_unless_forced(tmp_path, capsys):
    out = tmp_path / "取組_x.xlsx"
    out.write_bytes(b"last year's workbook")
    assert main(["template", "--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        f"kawaeval template: error: {out} はすでにあります (output exists). "
        "上書きするには --force を付けるか、別の出力先を指定してください\n"
    )
    assert out.read_bytes() == b"last year's workbook"
    folder = tmp_path / "bureaus"
    folder.mkdir()
    (folder / "取組_港湾局.xlsx").write_bytes(b"kept")
    args = ["template", "--fiscal-year", "2021", "--by-bureau", "--out", str(folder)]
    assert main(args) == 2
    assert "取組_港湾局.xlsx はすでにあります" in capsys.readouterr().err
    assert [p.name for p in folder.iterdir()] == ["取組_港湾局.xlsx"]
    assert main(["template", "--force", "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"PK")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--by-bureau"], "--by-bureau: 所管局ごとのファイルは記録から作ります"),
        (["--out-name", "x.csv"], "--out: x.csv: 出力ファイル名は .xlsx で終えてください"),
        (["--out-name", "."], "はフォルダです"),
    ],
)
def test_options_that_do_not_fit_are_wrong_usage(tmp_path, capsys, args, message):
    out = tmp_path / "取組_x.xlsx"
    if args[0] == "--out-name":
        out = tmp_path / args[1] if args[1] != "." else tmp_path
        args = []
    assert main(["template", *args, "--out", str(out)]) == 2
    assert message in capsys.readouterr().err


def test_an_unreadable_raw_folder_is_bad_input(tmp_path, capsys):
    out = tmp_path / "取組_x.xlsx"
    missing = tmp_path / "nowhere"
    assert (
        main(["template", "--raw", str(missing), "--fiscal-year", "2021", "--out", str(out)]) == 1
    )
    err = capsys.readouterr().err
    assert f"フォルダ {missing} がありません (raw folder not found)" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["template", "--raw", str(empty), "--fiscal-year", "2021", "--out", str(out)]) == 1
    assert "取組の表がありません (no initiatives file)" in capsys.readouterr().err
    assert not out.exists()


def test_a_failed_write_leaves_nothing_half_written(tmp_path, monkeypatch, capsys):
    out = tmp_path / "取組_x.xlsx"
    out.write_bytes(b"previous")

    def fail(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    assert main(["template", "--force", "--out", str(out)]) == 1
    assert capsys.readouterr().err == (
        f"kawaeval template: error: {out} に書き込めません (cannot write outputs): "
        "No space left on device. ディスクの空きが足りません。空きを作ってから、もう一度実行して"
        "ください\n"
    )
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["取組_x.xlsx"]


def test_records_without_a_bureau_get_a_workbook_of_their_own(tmp_path):
    out = tmp_path / "bureaus"
    raw = FIXTURES / "clean" / "two_bureaus"
    args = ["template", "--raw", str(raw), "--fiscal-year", "2020", "--by-bureau", "--out"]
    assert main([*args, str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "取組_市民文化局.xlsx",
        "取組_所管局未設定.xlsx",
        "取組_環境局.xlsx",
        "取組_経済労働局.xlsx",
    ]
    unset = _sheet(out / "取組_所管局未設定.xlsx")
    assert [unset.cell(2, c).value for c in (1, 6)] == ["3-2-01", None]
    assert unset.cell(3, 1).value is None
    manifest = _clean_folder(tmp_path, *sorted(out.iterdir()))
    assert manifest["totals"] == {
        "raw_rows": 5,
        "accepted_rows": 5,
        "rejected_rows": 0,
        "excluded_rows": 0,
    }


def _raw_with_plan(tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    """A raw folder whose plan.toml is the bundled one with some lines replaced."""
    raw = tmp_path / "raw"
    raw.mkdir()
    text = PLAN.source.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    (raw / "plan.toml").write_text(text, encoding="utf-8")
    return raw


def test_the_form_follows_the_plan_in_force(tmp_path):
    raw = _raw_with_plan(
        tmp_path,
        ("program_years = [2018, 2019, 2020, 2021]", "program_years = [2022, 2023, 2024, 2025]"),
        ("fiscal_years = [2018, 2019]", "fiscal_years = [2022, 2023]"),
        ("fiscal_years = [2020, 2021]", "fiscal_years = [2024, 2025]"),
        ('not_evaluated = "評価対象外"', 'not_evaluated = "対象外"'),
        ('{ direction = 3, name = "海外諸都市との戦略的な関係の構築" },\n', ""),
    )
    path = _template(tmp_path, "--raw", str(raw))
    book = openpyxl.load_workbook(path)
    sheet = book["取組"]
    headers = [c.value for c in sheet[1]]
    assert headers[6:10] == [
        "令和4(2022)年度",
        "令和5(2023)年度",
        "令和6(2024)年度",
        "令和7(2025)年度",
    ]
    col = _columns(sheet)
    assert _list_values(book, _validation(sheet, col["取組の方向性"])) == [
        "1-1", "1-2", "1-3", "2-1", "2-2", "3-1", "3-2", "3-3"
    ]  # fmt: skip
    labels = _list_values(book, _validation(sheet, col["令和7(2025)年度"]))
    assert labels == ["目標を上回って達成", "ほぼ目標どおり", "目標を下回った", "対象外"]
    guide = "\n".join(str(c.value) for row in book["記入方法"].iter_rows() for c in row)
    assert "「対象外」とは" in guide and "2022〜2025年度" in guide
    with pytest.raises(UnknownFiscalYearError, match="2018"):
        input_form.make_templates(tmp_path / "取組_y.xlsx", raw_dir=raw, fiscal_year=2018)


def test_without_raw_the_plan_of_the_default_raw_folder_is_used(tmp_path, monkeypatch):
    raw = _raw_with_plan(tmp_path, ('not_evaluated = "評価対象外"', 'not_evaluated = "対象外"'))
    monkeypatch.setattr(input_form, "default_raw_dir", lambda: raw)
    book = openpyxl.load_workbook(_template(tmp_path))
    assert book["リスト"]["E5"].value == "対象外"
    monkeypatch.setattr(
        input_form, "default_raw_dir", lambda: tmp_path / "no_such_folder"
    )  # then the bundled plan
    book = openpyxl.load_workbook(_template(tmp_path, name="取組_bundled.xlsx"))
    assert book["リスト"]["E5"].value == "評価対象外"


def test_a_plan_label_clean_would_misread_is_refused(tmp_path, capsys):
    raw = _raw_with_plan(tmp_path, ('on_target = "ほぼ目標どおり"', 'on_target = "目標を上回った"'))
    assert main(["template", "--raw", str(raw), "--out", str(tmp_path / "取組_x.xlsx")]) == 1
    assert capsys.readouterr().err == (
        "kawaeval template: error: 計画定義ファイル plan.toml: 達成度の表記「目標を上回った」は "
        "on_target として読めません。achievement_labels の表記を見直してください\n"
    )
