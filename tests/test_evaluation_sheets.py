"""`kawaeval sheets`: the committee's evaluation sheets, read as a person and as kawaeval reads
them back; filled programmatically, returned into a raw folder, carried into the report."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from conftest import REPO
from openpyxl.utils import range_boundaries

from kawaeval.cli import main
from kawaeval.evaluation.assessing import assess_records
from kawaeval.paths import SAMPLE_RAW_DIR
from kawaeval.plan import load_plan
from kawaeval.records import committee

PLAN = load_plan()
YEAR = 2021
EXAMPLE = REPO / "docs" / "examples" / "midori-machi"
GOAL_SHEETS = [committee.sheet_file_name(YEAR, g) for g in (1, 2, 3)]
PROGRAM_SHEET = committee.sheet_file_name(YEAR, None)


def run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


def write_sheets(out: Path, raw: Path = SAMPLE_RAW_DIR, year: int = YEAR) -> Path:
    code, _, err = run(["sheets", "--raw", str(raw), "--fiscal-year", str(year), "--out", str(out)])
    assert code == 0, err
    return out


def named(book, field: str, direction: int | None = None):
    """The cell a defined name points to."""
    sheet, coordinate = next(
        iter(book.defined_names[committee.defined_name(field, direction)].destinations)
    )
    return book[sheet][coordinate.replace("$", "")]


def fill(source: Path, target: Path, values: dict) -> None:
    """Write ``values`` ({(field, direction): value}) into a copy of a sheet, as a committee
    member's Excel would keep them (openpyxl: no formulas involved)."""
    book = openpyxl.load_workbook(source)
    for (field, direction), value in values.items():
        named(book, field, direction).value = value
    book.save(target)


def assess_json(raw: Path, year: int = YEAR) -> dict:
    code, out, err = run(["assess", "--raw", str(raw), "--fiscal-year", str(year), "--json"])
    assert code == 0, err
    return json.loads(out)


@pytest.fixture(scope="module")
def sheets(tmp_path_factory) -> Path:
    """The FY2021 sheets of the sample."""
    return write_sheets(tmp_path_factory.mktemp("sheets") / "out")


def raw_without_judgements(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE_RAW_DIR, raw)
    (raw / "judgements.csv").unlink()
    return raw


# ---------------------------------------------------------------- writing


def test_one_workbook_per_goal_and_one_for_the_program_with_the_same_bytes_twice(sheets, tmp_path):
    assert sorted(p.name for p in sheets.iterdir()) == sorted([*GOAL_SHEETS, PROGRAM_SHEET])
    again = write_sheets(tmp_path / "again")
    for path in sheets.iterdir():
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name
    # an existing sheet is kept unless --force
    code, _, err = run(["sheets", "--fiscal-year", "2021", "--out", str(again)])
    assert code == 2 and "はすでにあります" in err
    code, _, _ = run(["sheets", "--fiscal-year", "2021", "--out", str(again), "--force"])
    assert code == 0
    # not into the raw folder: there a sheet counts as returned, its drafts as adopted
    code, _, err = run(
        ["sheets", "--raw", str(again), "--fiscal-year", "2021", "--out", str(again)]
    )
    assert code == 2
    assert "は元データのフォルダ（--raw）です。" in err


def _open_cells(sheet) -> set[str]:
    """The top-left coordinates of the cells a committee member may type in."""
    hidden = set()
    for merged in sheet.merged_cells.ranges:
        min_col, min_row, max_col, max_row = range_boundaries(str(merged))
        hidden |= {
            (r, c)
            for r in range(min_row, max_row + 1)
            for c in range(min_col, max_col + 1)
            if (r, c) != (min_row, min_col)
        }
    return {
        cell.coordinate
        for row in sheet.iter_rows()
        for cell in row
        if not cell.protection.locked and (cell.row, cell.column) not in hidden
    }


def test_a_goal_sheet_as_the_committee_sees_it(sheets):
    book = openpyxl.load_workbook(sheets / GOAL_SHEETS[1])
    assert book.sheetnames == [committee.SHEET, "リスト", "記入方法"]
    assert book["リスト"].sheet_state == "hidden"
    sheet = book[committee.SHEET]
    # locked but for the committee's cells, without a password (as kawaeval template does)
    assert sheet.protection.sheet is True and not sheet.protection.password
    fields = [*committee.GOAL_FIELDS]
    named_cells = {named(book, f).coordinate for f in fields}
    for d in PLAN.direction_numbers(2):
        named_cells |= {named(book, f, d).coordinate for f in committee.DIRECTION_FIELDS}
    assert _open_cells(sheet) == named_cells
    # A4 portrait, fit to width, title rows repeated on every page
    assert int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4)
    assert sheet.page_setup.orientation == "portrait"
    assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert sheet.print_title_rows == "$1:$2"
    # the year and the goal it is for, and the plan's words
    assert named(book, "fiscal_year").value == 2021
    assert named(book, "goal").value == 2
    text = "\n".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    goal = PLAN.goal_by_number(2)
    for words in (goal.name, goal.policy, *(d.name for d in goal.directions)):
        assert words in text
    assessment = assess_records(SAMPLE_RAW_DIR, YEAR)
    block = assessment.goal(2)
    # figures, main results, indicators, below-target initiatives, suggestions, drafts
    assert block.achievement_text.text in text
    for d in block.directions:
        assert d.narrative.text in text
    for h in block.highlights:
        assert h.result in text
    for i in block.indicators:
        assert i.name in text
    for r in block.below_target:
        assert r.reason in text
    assert "C 当初の予定よりも進捗は遅れた（達成割合 60.0%）" in text
    assert named(book, "fingerprint").value == assessment.figures_fingerprint(2)


def test_every_choice_is_a_drop_down_of_the_plans_words_with_a_japanese_error(sheets):
    book = openpyxl.load_workbook(sheets / GOAL_SHEETS[0])
    sheet = book[committee.SHEET]
    lists = book["リスト"]
    expected = {
        "progress": [f"{g.grade} {g.label}" for g in PLAN.progress_grades],
        "outlook": [f"{g.grade} {g.label}" for g in PLAN.outlook_grades],
        "verdict": [f"{g.grade} {g.label}" for g in PLAN.direction_grades],
    }
    places = [("progress", None), ("outlook", None)]
    places += [("verdict", d) for d in PLAN.direction_numbers(1)]
    for field, direction in places:
        coordinate = named(book, field, direction).coordinate
        (dv,) = [v for v in sheet.data_validations.dataValidation if coordinate in v.sqref]
        assert dv.type == "list" and dv.showErrorMessage and dv.errorStyle == "stop"
        assert "一覧" in dv.error and "から選んでください" in dv.error
        assert "提案" in dv.prompt
        reference = dv.formula1.split("!")[1].replace("$", "")
        choices = [c.value for row in lists[reference] for c in row]
        assert choices == expected[field], field
    # every choice is read back as the grade it names
    for field, grades in (("verdict", PLAN.direction_grades), ("progress", PLAN.progress_grades)):
        for grade, choice in zip(grades, expected[field], strict=True):
            assert committee.read_grade(choice, grades) == grade.grade


def test_the_raw_folders_judgements_are_carried_into_the_sheets(sheets):
    """judgements.csv gives the FY2021 goal grades and the overall statement."""
    goal2 = openpyxl.load_workbook(sheets / GOAL_SHEETS[1])
    assert named(goal2, "progress").value == "C 進捗が遅れた"
    assert named(goal2, "outlook").value == "Ⅱ 概ね効果的な構成である"
    assert named(goal2, "reason").value.startswith("感染症の拡大によりイベントの中止")
    assert named(goal2, "verdict", 1).value is None  # no verdict given yet: the committee picks
    program = openpyxl.load_workbook(sheets / PROGRAM_SHEET)
    assert named(program, "progress").value == "B 一定の進捗があった"
    assert named(program, "reason").value.startswith("感染症の影響で目標に届かなかった")
    assert named(program, "goal").value == "全体"
    assert named(program, "context").value is None


# ---------------------------------------------------------------- the round trip


COMMITTEE = {
    GOAL_SHEETS[0]: {
        ("progress", None): "A 順調に進捗した",
        ("reason", None): "参考指標の商談件数が目標を上回ったことを重く見て、Ａとした。",
        (
            "narrative",
            1,
        ): "「多摩川スカイブリッジ」が令和４(2022)年３月に開通するなど、一定の進捗があった。",
        ("verdict", 1): "B 一定の進捗があった",
        ("verdict", 2): "B 一定の進捗があった",
        ("verdict", 3): "B 一定の進捗があった",
    },
    GOAL_SHEETS[1]: {
        ("verdict", 1): "B 一定の進捗があった",  # the rule suggests C
        ("verdict_reason", 1): "地球温暖化対策推進基本計画の改定を評価した。",
        ("verdict", 2): "C 当初の予定よりも進捗は遅れた",
        ("verdict", 3): "C 当初の予定よりも進捗は遅れた",
        ("grades", None): "これらの結果、基本目標２の達成状況は「Ｃ 進捗が遅れた」とした。",
    },
    GOAL_SHEETS[2]: {("verdict", d): "B 一定の進捗があった" for d in (1, 2, 3)},
    PROGRAM_SHEET: {
        (
            "context",
            None,
        ): "計画期間中は、新型コロナウイルス感染症の影響により、"
        "本市を取り巻く環境は急激に変化した。"
    },
}


@pytest.fixture(scope="module")
def returned(sheets, tmp_path_factory) -> Path:
    """A copy of the raw folder without judgements.csv, with the filled sheets returned."""
    raw = raw_without_judgements(tmp_path_factory.mktemp("returned"))
    for name in [*GOAL_SHEETS, PROGRAM_SHEET]:
        fill(sheets / name, raw / name, COMMITTEE[name])
    return raw


def test_returned_sheets_are_the_committees_judgements(returned):
    result = assess_json(returned)
    assert result["judgements_present"] is True
    goal1, goal2 = result["goals"][0], result["goals"][1]
    assert goal1["progress"] | {"reason": None} == {
        "suggested": "B",
        "final": "A",
        "suggested_label": "一定の進捗があった",
        "final_label": "順調に進捗した",
        "source": "committee",
        "differs": True,
        "reason": None,
        "assumption": True,
        "suggested_assumption": False,
        "final_assumption": True,
    }
    assert goal1["progress"]["reason"] == COMMITTEE[GOAL_SHEETS[0]][("reason", None)]
    # carried from judgements.csv into the sheet, and back: the outlook stands as the committee's
    assert goal1["outlook"]["source"] == "committee" and goal1["outlook"]["final"] == "Ⅱ"
    verdict = goal2["directions"][0]["progress"]
    assert (verdict["suggested"], verdict["final"], verdict["source"], verdict["differs"]) == (
        "C",
        "B",
        "committee",
        True,
    )
    assert verdict["reason"] == "地球温暖化対策推進基本計画の改定を評価した。"
    narrative = goal1["directions"][0]["narrative"]
    assert narrative["text"] == COMMITTEE[GOAL_SHEETS[0]][("narrative", 1)]
    assert (narrative["drafted"], narrative["source"]) == (False, "committee")
    assert narrative["supplied_by"].startswith(f"{GOAL_SHEETS[0]} シート「評価シート」セル ")
    assert narrative["draft"].endswith("一定の進捗があった。")
    # a draft returned unchanged counts as adopted
    adopted = goal1["achievement_text"]
    assert adopted["text"] == adopted["draft"] and adopted["source"] == "committee"
    assert result["overall"]["context"]["text"].startswith("計画期間中は、新型コロナ")
    assert [s["current"] for s in result["committee_sheets"]] == [True] * 4


def test_the_publishing_build_refuses_until_everything_is_settled(sheets, tmp_path):
    raw = raw_without_judgements(tmp_path)
    out = tmp_path / "reports"
    # the sheets as written: no verdict chosen; goal 1's changed grade has no reason
    for name in [*GOAL_SHEETS, PROGRAM_SHEET]:
        values = {k: v for k, v in COMMITTEE[name].items() if k[0] != "verdict"}
        if name == GOAL_SHEETS[0]:
            values[("reason", None)] = None  # the reason carried from judgements.csv, cleared
        fill(sheets / name, raw / name, values)
    code, _, err = run(
        ["build", "--final", "--raw", str(raw), "--fiscal-year", "2021", "--out", str(out)]
    )
    assert code == 1
    assert not out.exists()  # nothing was built
    lines = err.splitlines()
    assert lines[0] == (
        "kawaeval build: error: 確定版（--final）を作れません: 未確定の箇所が 10 か所あります "
        "(10 places are not settled). 評価委員会の評価シートで確定してから、"
        "もう一度実行してください"
        "（--final を付けなければ作業用の版を作れます）:"
    )
    assert lines[1] == (
        "  - 2021年度 基本目標1 取組の方向性1 の進捗: 評価委員会の判断がありません"
        f"（{GOAL_SHEETS[0]} で一覧から選んでください）"
    )
    assert (
        "  - 2021年度 基本目標1 達成状況: 最終評価「A」が提案「B」と異なりますが、理由がありません"
        f"（{GOAL_SHEETS[0]} に理由を書いてください）"
    ) in lines
    assert not [line for line in lines if "文案のままです" in line]  # the drafts were adopted


def test_the_sample_as_it_is_is_not_final(tmp_path):
    code, _, err = run(["build", "--final", "--fiscal-year", "2021", "--out", str(tmp_path / "r")])
    assert code == 1
    assert (
        "  - 2021年度 基本目標2 各取組の達成度の状況: 文案のままです"
        f"（{GOAL_SHEETS[1]} で文を確定してください）"
    ) in err.splitlines()
    assert "2021年度 全体 達成状況" not in err  # judgements.csv decides it


@pytest.mark.slow
def test_the_report_carries_the_committees_values(returned, tmp_path):
    """HTML, tables.xlsx and the PDF of a --final build from the returned sheets."""
    out = tmp_path / "reports"
    args = ["build", "--final", "--pdf", "--raw", str(returned), "--fiscal-year", "2021"]
    code, _, err = run([*args, "--out", str(out)])
    assert code == 0, err
    report = out / "FY2021"
    from bs4 import BeautifulSoup

    def page(name: str) -> BeautifulSoup:
        return BeautifulSoup((report / name).read_text(encoding="utf-8"), "html.parser")

    goal1 = page("05_goal1.html")
    text = goal1.get_text(" ")
    assert COMMITTEE[GOAL_SHEETS[0]][("narrative", 1)] in text
    assert "A 順調に進捗した※" in text
    assert "評価委員会の判断（提案評価 B 一定の進捗があった から変更）" in text
    assert not goal1.select(".kawaeval-drafted")  # every text settled: no draft label
    goal2 = page("05_goal2.html")
    badge = goal2.select_one("#direction-1 .kawaeval-verdict").get_text()
    assert badge == "一定の進捗があった"
    assert "地球温暖化対策推進基本計画の改定を評価した。" in goal2.get_text(" ")
    overall = page("04_overall.html").get_text(" ")
    assert "計画期間中は、新型コロナウイルス感染症の影響により" in overall

    book = openpyxl.load_workbook(report / "tables.xlsx")
    (name,) = [n for n in book.sheetnames if "取組の方向性ごとの進捗" in n]
    rows = list(book[name].iter_rows(min_row=3, values_only=True))
    header = next(book[name].iter_rows(min_row=2, max_row=2, values_only=True))
    final = header.index("最終評価")
    assert [r[final] for r in rows[3:6]] == [
        "B 一定の進捗があった",
        "C 当初の予定よりも進捗は遅れた",
        "C 当初の予定よりも進捗は遅れた",
    ]
    assert rows[3][header.index("判断の理由")] == "地球温暖化対策推進基本計画の改定を評価した。"

    import subprocess

    from conftest import require_system_tool

    pdftotext = require_system_tool("pdftotext", "poppler-utils")
    pdfs = {p.stem.endswith("_概要"): p for p in report.glob("*.pdf")}
    flat = {}
    for summary, pdf in pdfs.items():
        words = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True).stdout
        flat[summary] = "".join(words.split())
    # the committee's text in the report's PDF and in the summary's
    narrative = "".join(COMMITTEE[GOAL_SHEETS[0]][("narrative", 1)].split())
    assert narrative in flat[False] and narrative in flat[True]
    assert "地球温暖化対策推進基本計画の改定を評価した。" in flat[False]


# ---------------------------------------------------------------- what stops a run


def test_two_inputs_that_disagree_stop_the_run_naming_both(sheets, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE_RAW_DIR, raw)  # judgements.csv says goal 1 is B
    fill(sheets / GOAL_SHEETS[0], raw / GOAL_SHEETS[0], {("progress", None): "A 順調に進捗した"})
    cell = named(openpyxl.load_workbook(raw / GOAL_SHEETS[0]), "progress").coordinate
    code, _, err = run(["assess", "--raw", str(raw), "--fiscal-year", "2021", "--json"])
    assert code == 1
    assert err == (
        "kawaeval assess: error: 2021年度 基本目標1 の達成状況が2か所で異なります (two inputs "
        "disagree): judgements.csv 行 2 列「達成状況」 は「B」、"
        f"{GOAL_SHEETS[0]} シート「評価シート」セル {cell} は「A」です。"
        f"どちらか一方にしてください: {GOAL_SHEETS[0]} の値を使うなら judgements.csv 行 2 "
        "列「達成状況」の値を消し（行ごと消しても構いません）、judgements.csv の値を使うなら "
        f"{GOAL_SHEETS[0]} を raw フォルダから取り除いて"
        "ください\n"
    )


def test_the_same_value_given_twice_is_fine(sheets, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE_RAW_DIR, raw)  # judgements.csv and the sheets carrying it agree
    for name in [*GOAL_SHEETS, PROGRAM_SHEET]:
        shutil.copyfile(sheets / name, raw / name)
    result = assess_json(raw)
    assert result["goals"][1]["progress"]["final"] == "C"


def test_two_sheets_of_one_goal_that_disagree_name_both_files(sheets, tmp_path):
    raw = raw_without_judgements(tmp_path)
    copy = committee.sheet_file_name(YEAR, 3).replace(".xlsx", "_修正版.xlsx")
    fill(sheets / GOAL_SHEETS[2], raw / GOAL_SHEETS[2], {("verdict", 1): "B 一定の進捗があった"})
    fill(sheets / GOAL_SHEETS[2], raw / copy, {("verdict", 1): "C 当初の予定よりも進捗は遅れた"})
    code, _, err = run(["assess", "--raw", str(raw), "--fiscal-year", "2021", "--json"])
    assert code == 1
    assert "2021年度 基本目標3 取組の方向性1 の進捗が2か所で異なります" in err
    assert err.rstrip().endswith(
        f"どちらか一方のシートを残してください（{GOAL_SHEETS[2]} か {copy} を raw フォルダから"
        "取り除きます）"
    )


def test_a_value_outside_its_list_names_file_sheet_and_cell(sheets, tmp_path):
    raw = raw_without_judgements(tmp_path)
    fill(sheets / GOAL_SHEETS[2], raw / GOAL_SHEETS[2], {("verdict", 3): "たいへん良い"})
    cell = named(openpyxl.load_workbook(raw / GOAL_SHEETS[2]), "verdict", 3).coordinate
    code, _, err = run(["assess", "--raw", str(raw), "--fiscal-year", "2021", "--json"])
    assert code == 1
    choices = "、".join(f"{g.grade} {g.label}" for g in PLAN.direction_grades)
    assert err == (
        f"kawaeval assess: error: {GOAL_SHEETS[2]} シート「評価シート」 セル {cell} "
        "値「たいへん良い」: "
        f"取組の方向性3の進捗は一覧（{choices}）から選んでください（この欄は一覧から選ぶ欄です。"
        "別の値を貼り付けないでください）\n"
    )


def test_a_sheet_that_contradicts_its_file_name_stops_the_run(sheets, tmp_path):
    raw = raw_without_judgements(tmp_path)
    shutil.copyfile(sheets / GOAL_SHEETS[2], raw / GOAL_SHEETS[1])  # goal 3's, named goal 2
    code, _, err = run(["assess", "--raw", str(raw), "--fiscal-year", "2021", "--json"])
    assert code == 1
    assert err == (
        f"kawaeval assess: error: {GOAL_SHEETS[1]} シート「評価シート」 セル B4 値「3」: "
        "ファイル名は基本目標2ですが、シートは基本目標3のものです。ファイル名とシートの中身を"
        "合わせてください（kawaeval sheets が付けた名前のまま置きます）\n"
    )
    (raw / GOAL_SHEETS[1]).unlink()
    shutil.copyfile(sheets / GOAL_SHEETS[0], raw / committee.sheet_file_name(2020, 1))
    code, _, err = run(["assess", "--raw", str(raw), "--fiscal-year", "2021", "--json"])
    assert code == 1
    assert "ファイル名は2020年度ですが、シートは2021年度のものです。" in err


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "基本目標評価シート_令和3年度.xlsx",
            "ファイル名から年度と基本目標が読めません。kawaeval sheets が付けた名前"
            "（例: 基本目標評価シート_2021年度_基本目標1.xlsx）のまま raw フォルダに置いてください",
        ),
        (
            "基本目標評価シート_2017年度_基本目標1.xlsx",
            "ファイル名の年度 2017 は第２期実行プログラムの年度（2018、2019、2020、2021）"
            "ではありません",
        ),
        (
            "基本目標評価シート_2021年度_基本目標4.xlsx",
            "ファイル名の基本目標4は計画にありません（基本目標は 1、2、3）",
        ),
    ],
)
def test_a_sheet_whose_name_cannot_be_read_is_named(sheets, tmp_path, name, message):
    raw = raw_without_judgements(tmp_path)
    shutil.copyfile(sheets / GOAL_SHEETS[0], raw / name)
    code, _, err = run(["assess", "--raw", str(raw), "--fiscal-year", "2021", "--json"])
    assert code == 1
    assert err == f"kawaeval assess: error: {name}: {message}\n"


def test_a_sheet_of_another_plan_shape_is_refused(sheets, tmp_path):
    """The plan in the raw folder has lost goal 1's third direction since the sheet was made."""
    raw = raw_without_judgements(tmp_path)
    text = (REPO / "kawaeval" / "data" / "plan.toml").read_text(encoding="utf-8")
    (raw / "plan.toml").write_text(
        text.replace(
            '  { direction = 3, name = "海外への先端環境技術移転によるビジネス展開" },\n', ""
        ),
        encoding="utf-8",
    )
    for path in raw.glob("*"):  # the records of that direction go too
        if path.suffix == ".csv" and path.name.startswith(("initiatives", "取組")):
            try:
                lines = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
            except UnicodeDecodeError:
                continue
            path.write_text(
                "".join(
                    line for line in lines if ",1-3-" not in line and not line.startswith("1-3-")
                ),
                encoding="utf-8-sig",
            )
    shutil.copyfile(sheets / GOAL_SHEETS[0], raw / GOAL_SHEETS[0])
    book = openpyxl.load_workbook(raw / GOAL_SHEETS[0])
    cell = named(book, "verdict", 3).coordinate
    read = committee.read_sheet
    plan = load_plan(raw)
    with pytest.raises(Exception) as caught:
        read(raw / GOAL_SHEETS[0], plan)
    assert str(caught.value) == (
        f"{GOAL_SHEETS[0]} シート「評価シート」 セル {cell}: "
        "シートに取組の方向性3の欄がありますが、計画の基本目標1の取組の方向性は 1、2 です。"
        "計画に合わせて kawaeval sheets で作り直してください"
    )


# ---------------------------------------------------------------- years and figures


def test_sheets_of_several_years_sit_in_one_raw_folder(tmp_path):
    raw = raw_without_judgements(tmp_path)
    out2020 = write_sheets(tmp_path / "fy2020", raw, 2020)
    out2021 = write_sheets(tmp_path / "fy2021", raw, 2021)
    name2020 = committee.sheet_file_name(2020, 2)
    fill(out2020 / name2020, raw / name2020, {("progress", None): "D 進捗が大きく遅れた"})
    fill(out2021 / GOAL_SHEETS[1], raw / GOAL_SHEETS[1], {("progress", None): "C 進捗が遅れた"})
    assert assess_json(raw, 2020)["goals"][1]["progress"]["final"] == "D"
    assert assess_json(raw, 2021)["goals"][1]["progress"]["final"] == "C"
    assert [s["file"] for s in assess_json(raw, 2021)["committee_sheets"]] == [GOAL_SHEETS[1]]


def test_a_sheet_made_from_other_figures_is_flagged_not_refused(sheets, tmp_path, caplog):
    raw = raw_without_judgements(tmp_path)
    for name in (GOAL_SHEETS[0], GOAL_SHEETS[1]):
        shutil.copyfile(sheets / name, raw / name)
    (raw / "取組_追加.csv").write_text(
        "取組番号,基本目標,取組の方向性,取組名,2018年度,2019年度,2020年度,2021年度\n"
        "1-1-99,1,1,追加の取組,ほぼ目標どおり,ほぼ目標どおり,ほぼ目標どおり,目標を下回った\n",
        encoding="utf-8",
    )
    with caplog.at_level("WARNING", logger="kawaeval"):
        result = assess_records(raw, YEAR)
    assert [(s.file, s.current) for s in result.committee_sheets] == [
        (GOAL_SHEETS[0], False),
        (GOAL_SHEETS[1], True),
    ]
    assert f"{GOAL_SHEETS[0]}: 評価委員会はこのシートを作成した時点の数値で評価しています" in (
        caplog.text
    )
    from kawaeval.report import presenting

    notice = presenting.judgement_notice(result).html
    assert (
        f"評価委員会は、評価シート「{GOAL_SHEETS[0]}」を作成した時点の数値で評価しました" in notice
    )
    assert GOAL_SHEETS[1] not in notice


def test_a_direction_verdict_may_come_from_judgements_csv(tmp_path):
    """judgements.csv with a 取組の方向性 column: a row naming a direction gives its verdict."""
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE_RAW_DIR, raw)
    lines = (raw / "judgements.csv").read_text(encoding="utf-8-sig").splitlines()
    rows = [line.split(",", 2) for line in lines]
    widened = [
        f"{a},{b},{'取組の方向性' if i == 0 else ''},{rest}" for i, (a, b, rest) in enumerate(rows)
    ]
    widened.append("2021,2,2-1,一定の進捗があった,,計画の改定を評価した")
    (raw / "judgements.csv").write_text("\n".join(widened) + "\n", encoding="utf-8-sig")
    result = assess_json(raw)
    verdict = result["goals"][1]["directions"][0]["progress"]
    assert (verdict["final"], verdict["source"], verdict["reason"]) == (
        "B",
        "committee",
        "計画の改定を評価した",
    )
    assert result["goals"][1]["progress"]["final"] == "C"  # the goal rows read as before


def test_another_plans_sheets_speak_its_own_words(tmp_path):
    from test_example_plan import kawasaki_words

    out = write_sheets(tmp_path / "out", EXAMPLE, 2024)
    plan = load_plan(EXAMPLE)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [committee.sheet_file_name(2024, g) for g in (1, 2)]
        + [committee.sheet_file_name(2024, None)]
    )
    words = kawasaki_words()
    for path in out.iterdir():
        book = openpyxl.load_workbook(path)
        text = "\n".join(
            str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value
        )
        assert not [w for w in words if w in text], path.name
        assert plan.program in text
    book = openpyxl.load_workbook(out / committee.sheet_file_name(2024, 1))
    # no [grading.direction]: nothing suggested; the verdicts are the plan's progress grades
    assert "－（提案なし）" in [c.value for row in book[committee.SHEET].iter_rows() for c in row]
    assert [c.value for c in book["リスト"]["C"]] == [
        f"{g.grade} {g.label}" for g in plan.progress_grades
    ]
