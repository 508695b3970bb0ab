"""Reading committee judgements, highlights and indicators, and refusing bad rows clearly."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from kawaeval.exceptions import SupplementError
from kawaeval.plan import load_plan
from kawaeval.records.supplements import load_supplements

PLAN = load_plan()
FIXTURES = Path(__file__).parent / "fixtures" / "assess" / "supplements"

JUDGEMENT_HEADER = "年度,基本目標,達成状況,今後の方向性,理由\n"
INDICATOR_HEADER = "基本目標,指標名,単位,望ましい方向,基準値,年度,目標値,実績値,illustrative\n"


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def test_absent_files_give_empty_tables_with_their_columns(tmp_path):
    loaded = load_supplements(tmp_path, PLAN)
    assert list(loaded.judgements.columns) == [
        "fiscal_year", "goal", "direction", "progress", "outlook", "reason", "source_row",
    ]  # fmt: skip
    assert list(loaded.highlights.columns) == [
        "fiscal_year", "goal", "direction", "initiative", "result", "source_row",
    ]  # fmt: skip
    assert list(loaded.indicators.columns) == [
        "goal", "name", "unit", "better", "baseline", "fiscal_year", "target", "actual",
        "illustrative", "source_row",
    ]  # fmt: skip
    assert loaded.judgements.empty and loaded.highlights.empty and loaded.indicators.empty


def test_reads_spelling_variants_and_encodings():
    loaded = load_supplements(FIXTURES, PLAN)
    judgements = loaded.judgements
    assert judgements[["fiscal_year", "progress", "outlook"]].astype(object).where(
        judgements[["fiscal_year", "progress", "outlook"]].notna(), None
    ).values.tolist() == [[2021, "B", "Ⅱ"], [2021, "C", "Ⅱ"], [2020, "B", None], [2021, "B", None]]
    assert judgements["goal"].tolist()[:3] == [1, 2, 1]
    assert pd.isna(judgements["goal"].iloc[3])  # 全体: the program-level row
    assert judgements["source_row"].tolist() == [2, 3, 4, 5]
    assert judgements["reason"].iloc[3] == "全体としては一定の進捗があった"
    assert pd.isna(judgements["reason"].iloc[2])

    highlights = loaded.highlights
    assert highlights[["fiscal_year", "goal", "direction", "initiative", "source_row"]].astype(
        object
    ).values.tolist() == [[2021, 1, 2, "海外販路開拓事業", 3], [2019, 3, 3, "人権関連事業", 4]]

    indicators = loaded.indicators
    assert indicators[["baseline", "target", "actual"]].values.tolist()[0] == [1200, 1300, 1250]
    assert indicators["actual"].iloc[1] is None
    assert indicators[["better", "baseline", "target"]].values.tolist()[2] == [
        "lower",
        2400,
        2150.5,
    ]
    assert indicators["illustrative"].tolist() == [True, True, False]


def test_reads_an_xlsx_first_sheet(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["年度", "基本目標", "取組の方向性", "取組名", "主な実績"])
    sheet.append([2020, 2, "Ⅲ", "上下水道分野における技術協力", "研修生を受け入れた"])
    workbook.save(tmp_path / "主な実績.xlsx")
    highlights = load_supplements(tmp_path, PLAN).highlights
    assert highlights[["fiscal_year", "goal", "direction", "initiative"]].astype(
        object
    ).values.tolist() == [[2020, 2, 3, "上下水道分野における技術協力"]]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "judgements.csv",
            JUDGEMENT_HEADER + "2021,1,Ｅ,Ⅱ,理由\n",
            "judgements.csv 行 2 列「達成状況」 値「Ｅ」: "
            "達成状況の区分（A、B、C、D）を書いてください",
        ),
        (
            "judgements.csv",
            JUDGEMENT_HEADER + "2021,1,B,Ⅳ,理由\n",
            "judgements.csv 行 2 列「今後の方向性」 値「Ⅳ」: "
            "今後の方向性の区分（Ⅰ、Ⅱ、Ⅲ）を書いてください",
        ),
        (
            "judgements.csv",
            JUDGEMENT_HEADER + "\n2021,4,B,Ⅱ,理由\n",
            "judgements.csv 行 3 列「基本目標」 値「4」: "
            "基本目標の番号（1、2、3）、またはプログラム全体なら「全体」を書いてください",
        ),
        (
            "judgements.csv",
            JUDGEMENT_HEADER + "2022,1,B,Ⅱ,理由\n",
            "judgements.csv 行 2 列「年度」 値「2022」: "
            "実行プログラムの年度（2018、2019、2020、2021）を書いてください",
        ),
        (
            "judgements.csv",
            JUDGEMENT_HEADER + "2021,1,B,Ⅱ,a\n2021,基本目標1,C,Ⅱ,b\n",
            "judgements.csv 行 3 値「2021 / 1」: "
            "行 2 と同じ組み合わせ（fiscal_year / goal）が重複しています",
        ),
        (
            "judgements.csv",
            "年度,基本目標,達成状況,理由\n2021,1,B,x\n",
            "judgements.csv 行 1 列「今後の方向性」: "
            "必要な列がありません（見出しは 今後の方向性 / outlook のいずれか）",
        ),
        (
            "highlights.csv",
            "年度,基本目標,取組の方向性,取組名,主な実績\n2021,1,2-3,事業,実績\n",
            "highlights.csv 行 2 列「取組の方向性」 値「2-3」: 基本目標の列（1）と食い違っています",
        ),
        (
            "highlights.csv",
            "年度,基本目標,取組の方向性,取組名,主な実績\n2021,1,2,事業,\n",
            "highlights.csv 行 2 列「主な実績」 値「」: 空欄です。内容を書いてください",
        ),
        (
            "indicators.csv",
            INDICATOR_HEADER + "1,件数,件,多いほど良い,1,2021,2,3,true\n",
            "indicators.csv 行 2 列「望ましい方向」 値「多いほど良い」: "
            "「高いほど良い」か「低いほど良い」を書いてください",
        ),
        (
            "indicators.csv",
            INDICATOR_HEADER + "1,件数,件,高いほど良い,1,2021,約2,3,true\n",
            "indicators.csv 行 2 列「目標値」 値「約2」: 数値として読めません",
        ),
        (
            "indicators.csv",
            INDICATOR_HEADER
            + "1,件数,件,高いほど良い,100,2020,2,3,true\n1,件数,件,高いほど良い,90,2021,2,3,true\n",
            "indicators.csv 行 3 列「基準値」 値「90」: "
            "同じ指標の行 2 の値「100」と異なります（指標ごとに1つにしてください）",
        ),
        (
            "indicators.csv",
            INDICATOR_HEADER + "1,件数,件,高いほど良い,1,2021,2,3,たぶん\n",
            "indicators.csv 行 2 列「illustrative」 値「たぶん」: true か false を書いてください",
        ),
    ],
)
def test_bad_rows_name_file_row_column_value_and_what_is_expected(tmp_path, name, text, message):
    write(tmp_path, name, text)
    with pytest.raises(SupplementError) as caught:
        load_supplements(tmp_path, PLAN)
    assert str(caught.value) == message
    assert caught.value.path.name == name


def test_two_files_of_one_kind_are_refused(tmp_path):
    shutil.copy(FIXTURES / "judgements.csv", tmp_path / "judgements.csv")
    shutil.copy(FIXTURES / "judgements.csv", tmp_path / "委員会評価.csv")
    with pytest.raises(SupplementError) as caught:
        load_supplements(tmp_path, PLAN)
    assert str(caught.value) == (
        "judgements.csv: 同じ種類のファイルが複数あります"
        "（judgements.csv、委員会評価.csv）。1つにしてください"
    )


def test_undecodable_csv_is_refused(tmp_path):
    (tmp_path / "highlights.csv").write_bytes(b"\x80\x81\xff\xfe\x00")
    with pytest.raises(SupplementError) as caught:
        load_supplements(tmp_path, PLAN)
    assert str(caught.value) == (
        "highlights.csv: 文字コードが UTF-8 でも CP932 (Shift_JIS) でもありません"
    )


def test_notice_is_read_as_one_line_and_is_optional(tmp_path):
    plan = load_plan()
    assert load_supplements(tmp_path, plan).notice is None
    (tmp_path / "notice.txt").write_bytes(
        "\ufeffサンプルです。\r\n　実際の記録ではありません。\n".encode()
    )
    assert load_supplements(tmp_path, plan).notice == "サンプルです。 実際の記録ではありません。"
    (tmp_path / "notice.txt").write_bytes("サンプル".encode("utf-16"))
    with pytest.raises(SupplementError, match=r"notice\.txt: UTF-8 のテキストとして保存"):
        load_supplements(tmp_path, plan)


def test_the_spellings_of_initiatives_files_are_read_in_supplements_too(tmp_path):
    """One spelling parser (kawaeval.records.spellings): years such as 2021(R3), 令和3年度 or
    平成31（令和元）年度, Roman goals, goal-direction with any dash, invisible characters."""
    write(
        tmp_path,
        "highlights.csv",
        "年度,基本目標,取組の方向性,取組名,主な実績\n"
        "2021(R3),Ⅰ,1―2,海外販路開拓事業,商談会をオンラインで開いた\n"
        "平成31（令和元）年度,基本目標２,\u200b方向性3,上下水道分野における技術協力,研修を受け入れた\n",
    )
    write(
        tmp_path,
        "judgements.csv",
        "\u200b年度,基本目標,達成状況,今後の方向性,理由\nＲ３,全体,B,,総合評価\n",
    )
    loaded = load_supplements(tmp_path, PLAN)
    highlights = loaded.highlights[["fiscal_year", "goal", "direction"]].values.tolist()
    assert highlights == [[2021, 1, 2], [2019, 2, 3]]
    assert loaded.judgements[["fiscal_year", "progress"]].values.tolist() == [[2021, "B"]]


def test_a_supplement_year_that_contradicts_itself_names_both_years(tmp_path):
    write(
        tmp_path,
        "highlights.csv",
        "年度,基本目標,取組の方向性,取組名,主な実績\n平成30(2019),1,1,a,b\n",
    )
    with pytest.raises(SupplementError) as caught:
        load_supplements(tmp_path, PLAN)
    assert str(caught.value) == (
        "highlights.csv 行 2 列「年度」 値「平成30(2019)」: 平成30年度は 2018 年度ですが、"
        "括弧内は 2019 年度です。実行プログラムの年度（2018、2019、2020、2021）を書いてください"
    )


def test_a_hidden_first_sheet_of_a_supplement_workbook_is_not_read(tmp_path):
    book = Workbook()
    old = book.active
    old.title = "前年度"
    old.append(["年度", "基本目標", "取組の方向性", "取組名", "主な実績"])
    old.append(["2020", "1", "1", "前年度の取組", "前年度の実績"])
    old.sheet_state = "hidden"
    new = book.create_sheet("今年度")
    new.append(["年度", "基本目標", "取組の方向性", "取組名", "主な実績"])
    new.append(["2021", "1", "1", "今年度の取組", "今年度の実績"])
    book.active = 1
    book.save(tmp_path / "highlights.xlsx")
    assert load_supplements(tmp_path, PLAN).highlights["initiative"].tolist() == ["今年度の取組"]
