"""Error messages a non-programmer can act on."""

import pandas as pd

from kawaeval.exceptions import BuildInterruptedError, RejectedRowsError


def test_rejected_rows_counts_rows_and_problems_apart_and_lists_every_problem():
    rejected = pd.DataFrame(
        {
            "file": ["取組_環境局.csv", "取組_環境局.csv", "initiatives_a.xlsx"],
            "row": [4, 4, 7],
            "column": ["基本目標", "平成30年度", "取組番号"],
            "value": ["4", "すごい", ""],
            "reason": ["基本目標 4 は計画にありません", "達成度の値を判別できません", "空欄です"],
        }
    )
    lines = str(RejectedRowsError(rejected)).splitlines()
    assert lines[0].startswith(
        "2 行を受け付けられませんでした（問題 3 件） (2 rows rejected, 3 problems). "
    )
    assert lines[1:] == [
        "  - 取組_環境局.csv 行 4 列「基本目標」値「4」: 基本目標 4 は計画にありません",
        "  - 取組_環境局.csv 行 4 列「平成30年度」値「すごい」: 達成度の値を判別できません",
        "  - initiatives_a.xlsx 行 7 列「取組番号」値「」: 空欄です",
    ]


def test_rejected_rows_name_their_initiative_where_readable():
    rejected = pd.DataFrame(
        {
            "file": ["a.csv", "a.csv", "a.csv"],
            "row": [2, 3, 4],
            "initiative_id": pd.array(["K1", None, None], dtype="string"),
            "name": pd.array(["国際交流", "多文化共生", None], dtype="string"),
            "column": ["基本目標", "取組番号", "取組番号"],
            "value": ["4", "", ""],
            "reason": ["基本目標 4 は計画にありません", "空欄です", "空欄です"],
        }
    )
    assert str(RejectedRowsError(rejected)).splitlines()[1:] == [
        "  - 取組「K1 国際交流」 a.csv 行 2 列「基本目標」値「4」: 基本目標 4 は計画にありません",
        "  - 取組「多文化共生」 a.csv 行 3 列「取組番号」値「」: 空欄です",
        "  - a.csv 行 4 列「取組番号」値「」: 空欄です",
    ]


def test_an_interruption_names_the_years_left_unchanged_or_says_every_report_was_written():
    during = BuildInterruptedError("SIGTERM", [2020, 2021])
    assert str(during) == (
        "FY2020, FY2021 の作成を中断しました (interrupted by SIGTERM while building FY2020, "
        "FY2021); 前回のレポートはそのままです (the last report is unchanged)"
    )
    assert during.exit_code == 143
    after = BuildInterruptedError("SIGINT", [])
    assert str(after) == (
        "中断しましたが、レポートはすべて作成済みです "
        "(interrupted by SIGINT after every report was written)"
    )
    assert after.exit_code == 130
