"""Cleaning: every header and value spelling of the contract, rejected rows, manifest, outputs."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import logging
import tempfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kawaeval.common.spreadsheet import neutralise_frame
from kawaeval.exceptions import (
    InputFileError,
    ManifestMismatchError,
    MissingFiscalYearsError,
    RejectedRowsError,
)
from kawaeval.plan import ACHIEVEMENTS, load_plan
from kawaeval.records import outputs
from kawaeval.records.cleaning import clean, clean_records
from kawaeval.records.manifest import check_manifest
from kawaeval.records.outputs import REJECTED_COLUMNS, write_outputs
from kawaeval.records.spellings import (
    YearHeader,
    header_role,
    parse_achievement,
    parse_direction,
    parse_fiscal_year_header,
    parse_goal,
    read_year_header,
)
from kawaeval.records.tidy import TIDY_COLUMNS
from kawaeval.records.validating import TEXT

FIXTURES = Path(__file__).parent / "fixtures" / "clean"
TWO_BUREAUS = FIXTURES / "two_bureaus"
WITH_REJECTS = FIXTURES / "with_rejects"
BASE = ["取組番号", "基本目標", "取組の方向性", "取組名"]
YEARS = ["2018年度", "2019年度", "2020年度"]  # the program years before 2021
ACHIEVEMENT_REASON = (
    "達成度の値を判別できません。目標を上回って達成 / ほぼ目標どおり / 目標を下回った、"
    "5段階の1〜5、または空欄・－（評価対象外）のいずれかを入力してください"
)


def write_csv(folder: Path, rows: list[list[str]], name="initiatives.csv", encoding="utf-8"):
    folder.mkdir(parents=True, exist_ok=True)
    text = "".join(",".join(row) + "\r\n" for row in rows)
    (folder / name).write_bytes(text.encode(encoding))
    return folder


def plan_of(*years: int):
    """The bundled plan with only ``years``, for a test of one spelling or value whose file holds
    those year columns alone (with the whole plan, every file must hold every program year up
    to the latest one present: tested on its own below)."""
    return dataclasses.replace(load_plan(), program_years=tuple(years))


def plain(frame: pd.DataFrame) -> list[list]:
    """Rows as lists, missing values as None."""
    return frame.astype(object).where(frame.notna(), None).values.tolist()


def one_file(tmp_path: Path, header: list[str], *rows: list[str]) -> Path:
    return write_csv(tmp_path / "raw", [header, *rows])


# ------------------------------------------------------------------ header spellings


@pytest.mark.parametrize(
    ("header", "year"),
    [
        ("2018年度", 2018),
        ("2018", 2018),
        ("FY2018", 2018),
        ("fy2019", 2019),
        ("平成30年度", 2018),
        ("H30", 2018),
        ("Ｈ３０", 2018),
        ("平成30(2018)年度", 2018),
        ("平成３０（２０１８）年度", 2018),
        ("平成31年度", 2019),
        ("令和元年度", 2019),
        ("R1", 2019),
        ("令和元（2019）年度", 2019),
        ("令和2年度", 2020),
        ("令和3年度", 2021),
        ("R3", 2021),
        ("Ｒ３", 2021),
        ("２０２１年度", 2021),
        ("達成度（2021年度）", 2021),
        ("2021年度 達成度", 2021),
        ("令和3年度の達成度", 2021),
        ("【R3】達成度", 2021),
        ("　令和３年度　", 2021),
    ],
)
def test_fiscal_year_header_spellings(header, year):
    assert parse_fiscal_year_header(header) == year


@pytest.mark.parametrize(
    "header", ["取組名", "備考", "R", "令和", "12345", "No", "2021年度予算", "目標・実績2021"]
)
def test_headers_that_name_no_fiscal_year(header):
    assert parse_fiscal_year_header(header) is None


@pytest.mark.parametrize(
    ("header", "year", "kind"),
    [
        ("2019(R1)", 2019, "achievement"),
        ("2019年度実績", 2019, "actual"),
        ("令和元年度実績", 2019, "actual"),
        ("平成31（令和元）年度", 2019, "achievement"),
        ("2019（令和元）年度", 2019, "achievement"),
        ("令和元年度（2019年度）", 2019, "achievement"),
        ("H31/R1", 2019, "achievement"),
        ("2019年度達成度", 2019, "achievement"),
        ("FY2019 評価", 2019, "achievement"),
        ("2021年度目標値", 2021, "target"),
        ("目標値2021", 2021, "target"),
        ("R3 実績値", 2021, "actual"),
        ("目標達成度（R3）", 2021, "achievement"),
    ],
)
def test_year_headers_in_mixed_spellings_and_what_their_column_holds(header, year, kind):
    assert read_year_header(header) == YearHeader(year, kind)


def test_era_and_western_year_that_disagree_raise():
    with pytest.raises(ValueError, match=r"^平成30年度は 2018 年度ですが、括弧内は 2019 年度です$"):
        parse_fiscal_year_header("平成30(2019)年度")


@pytest.mark.parametrize(
    ("header", "role"),
    [
        ("取組番号", "initiative_id"),
        ("番号", "initiative_id"),
        ("No", "initiative_id"),
        ("No.", "initiative_id"),
        ("Ｎｏ．", "initiative_id"),
        ("ID", "initiative_id"),
        ("基本目標", "goal"),
        ("取組の方向性", "direction"),
        ("方向性", "direction"),
        ("取組名", "name"),
        ("事務事業名", "name"),
        ("取組", "name"),
        ("所管局", "bureau"),
        ("所管課", "bureau"),
        ("局名", "bureau"),
        ("主な理由", "reason"),
        ("下回った理由", "reason"),
        ("理由", "reason"),
        (" 取組 名 ", "name"),
        ("備考", None),
    ],
)
def test_header_roles(header, role):
    assert header_role(header) == role


# ------------------------------------------------------------------ value spellings


@pytest.mark.parametrize(
    ("value", "goal"),
    [
        ("1", 1),
        ("１", 1),
        ("基本目標1", 1),
        ("基本目標１", 1),
        ("Ⅰ", 1),
        ("I", 1),
        ("基本目標Ⅰ", 1),
        ("Ⅱ", 2),
        ("II", 2),
        ("基本目標Ⅲ", 3),
        ("III", 3),
        ("Ⅳ", 4),
        (" 2　", 2),
        ("一", None),
        ("", None),
        ("基本目標", None),
        ("1.5", None),
    ],
)
def test_goal_spellings(value, goal):
    assert parse_goal(value) == goal


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("2", (None, 2)),
        ("２", (None, 2)),
        ("方向性2", (None, 2)),
        ("取組の方向性２", (None, 2)),
        ("Ⅱ", (None, 2)),
        ("1-2", (1, 2)),
        ("１－２", (1, 2)),
        ("Ⅲ-1", (3, 1)),
        ("1ー2", (1, 2)),
        ("１ー２", (1, 2)),
        ("1ｰ2", (1, 2)),
        ("1−2", (1, 2)),
        ("x-2", None),
        ("", None),
        ("二", None),
    ],
)
def test_direction_spellings(value, parsed):
    assert parse_direction(value) == parsed


@pytest.mark.parametrize(
    ("value", "category"),
    [
        ("目標を上回って達成", "exceeded"),
        ("目標を上回った", "exceeded"),
        ("ほぼ目標どおり", "on_target"),
        ("ほぼ目標通り", "on_target"),
        ("目標をほぼ達成", "on_target"),
        ("目標を下回った", "below"),
        ("1", "exceeded"),
        ("2", "exceeded"),
        ("3", "on_target"),
        ("4", "below"),
        ("5", "below"),
        ("１", "exceeded"),
        ("５", "below"),
        ("目標を大きく上回って達成", "exceeded"),
        ("目標を大きく下回った", "below"),
        ("", "not_evaluated"),
        ("－", "not_evaluated"),
        ("―", "not_evaluated"),
        ("-", "not_evaluated"),
        ("—", "not_evaluated"),
        ("対象外", "not_evaluated"),
        ("−", "not_evaluated"),
        ("ー", "not_evaluated"),
        ("ｰ", "not_evaluated"),
        ("‐", "not_evaluated"),
        ("‑", "not_evaluated"),
        ("–", "not_evaluated"),
        (" ー ", "not_evaluated"),
        ("ーー", None),
        ("3 ほぼ目標どおり", "on_target"),
        ("3:ほぼ目標どおり", "on_target"),
        ("３：ほぼ目標どおり", "on_target"),
        ("３　ほぼ目標通り", "on_target"),
        ("１：目標を大きく上回って達成", "exceeded"),
        ("2.目標を上回って達成", "exceeded"),
        ("２．目標を上回って達成", "exceeded"),
        ("4（目標を下回った）", "below"),
        ("4(目標を下回った)", "below"),
        ("5、目標を大きく下回った", "below"),
        ("2 目標を上回った", "exceeded"),  # another spelling of the code's category
        ("3 目標をほぼ達成", "on_target"),
        ("4 ほぼ目標どおり", None),
        ("3 目標を下回った", None),
        ("1 目標を上回って達成", None),
        ("2:目標を大きく上回って達成", None),
        ("3 おおむね達成", None),
        ("3-", None),
        ("33", None),
        ("6 ほぼ目標どおり", None),
        ("(3)ほぼ目標どおり", None),
        ("　ほぼ目標どおり ", "on_target"),
        ("　", "not_evaluated"),
        ("6", None),
        ("0", None),
        ("おおむね達成", None),
        ("3.0", None),
    ],
)
def test_achievement_spellings(value, category):
    assert parse_achievement(value) == category


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (
            "3 目標を下回った",
            "達成度のコード 3 と表記「目標を下回った」が一致しません"
            "（3 は「ほぼ目標どおり」）。コードか表記のどちらかを直してください",
        ),
        (
            "１（目標を上回って達成）",
            "達成度のコード 1 と表記「目標を上回って達成」が一致しません"
            "（1 は「目標を大きく上回って達成」）。コードか表記のどちらかを直してください",
        ),
        ("3 おおむね達成", ACHIEVEMENT_REASON),
        ("3-", ACHIEVEMENT_REASON),
    ],
)
def test_code_with_a_label_that_is_not_its_own_is_rejected_saying_why(tmp_path, value, reason):
    raw = one_file(tmp_path, [*BASE, "R2", "R3"], ["A", "1", "1", "x", "3:ほぼ目標どおり", value])
    result = clean(raw, plan_of(2020, 2021))
    assert result.tidy.empty
    assert plain(result.rejected) == [["initiatives.csv", 2, "A", "x", "R3", value, reason]]


def test_code_label_and_dash_spellings_are_read_over_a_whole_file(tmp_path):
    values = ["３：ほぼ目標どおり", "ー", "4（目標を下回った）", "3 目標を下回った", "−", "ー"]
    raw = one_file(
        tmp_path,
        [*BASE, "R3"],
        *[[f"A{i}", "1", "1ー2", "x", v] for i, v in enumerate(values)],
    )
    result = clean(raw, plan_of(2021))
    assert result.tidy[["initiative_id", "direction", "achievement"]].astype(
        str
    ).values.tolist() == [
        ["A0", "2", "on_target"],
        ["A1", "2", "not_evaluated"],
        ["A2", "2", "below"],
        ["A4", "2", "not_evaluated"],
        ["A5", "2", "not_evaluated"],
    ]
    assert result.rejected[["row", "value"]].values.tolist() == [[5, "3 目標を下回った"]]


def test_plan_label_for_not_evaluated_is_accepted():
    assert parse_achievement("評価対象外", load_plan()) == "not_evaluated"


# ------------------------------------------------------------------ whole folders


def test_two_bureaus_give_the_exact_tidy_table():
    result = clean(TWO_BUREAUS)
    tidy = result.tidy
    assert list(tidy.columns) == TIDY_COLUMNS
    assert tidy[["initiative_id", "goal", "direction", "fiscal_year"]].values.tolist() == [
        [i, g, d, y]
        for i, g, d in [
            ("1-1-01", 1, 1),
            ("1-2-01", 1, 2),
            ("1-3-01", 1, 3),
            ("2-1-01", 2, 1),
            ("3-2-01", 3, 2),
        ]
        for y in (2018, 2019, 2020, 2021)
    ]
    assert tidy["achievement"].astype(str).tolist() == [
        *["on_target", "on_target", "below", "on_target"],
        *["exceeded", "on_target", "below", "exceeded"],
        *["not_evaluated", "on_target", "on_target", "exceeded"],
        *["below", "below", "not_evaluated", "not_evaluated"],
        *["below", "exceeded", "on_target", "exceeded"],
    ]
    assert tidy["achievement_raw"].tolist()[16:] == ["5", "目標を大きく上回って達成", " 3　", "１"]
    assert (
        tidy["source_file"].tolist()
        == ["initiatives_01_keizai.csv"] * 12 + ["initiatives_02_shimin.csv"] * 8
    )
    assert tidy["source_row"].tolist() == [r for r in (2, 3, 4, 2, 3) for _ in range(4)]
    assert tidy["name"].tolist()[::4] == [
        "ビジネス拠点の形成",
        "海外展開の支援",
        "環境技術の移転",
        "国際交流の推進",
        "多文化共生の推進",
    ]
    assert tidy["bureau"].tolist()[::4] == [
        "経済労働局",
        "経済労働局",
        "環境局",
        "市民文化局",
        pd.NA,
    ]
    assert tidy["reason"].tolist()[::4] == [
        "新型コロナウイルス感染症の影響により商談会を中止したため",
        pd.NA,
        pd.NA,
        "参加者数が見込みを下回ったため",
        pd.NA,
    ]
    assert tidy["achievement"].cat.categories.tolist() == list(ACHIEVEMENTS)
    assert tidy["achievement"].cat.ordered
    assert result.rejected.empty
    assert list(result.rejected.columns) == REJECTED_COLUMNS


def test_two_bureaus_manifest():
    manifest = clean(TWO_BUREAUS).manifest
    files = sorted(TWO_BUREAUS.glob("initiatives*.csv"))
    assert manifest["files"] == [
        {
            "file": path.name,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "format": "csv",
            "encoding": encoding,
            "sheet": None,
            "header_rows": [1],
            "raw_rows": raw,
            "accepted_rows": raw,
            "rejected_rows": 0,
            "excluded_rows": 0,
            "excluded": [],
            "fiscal_years": [2018, 2019, 2020, 2021],
            "ignored_columns": [],
            "hidden_rows": [],
            "hidden_columns": [],
            "hidden_sheets": [],
        }
        for path, raw, encoding in zip(files, (3, 2), ("utf-8-sig", "cp932"), strict=True)
    ]
    assert manifest["totals"] == {
        "raw_rows": 5,
        "accepted_rows": 5,
        "rejected_rows": 0,
        "excluded_rows": 0,
    }
    bundled = Path(__file__).parents[1] / "kawaeval" / "data" / "plan.toml"
    assert manifest["plan"] == {
        "file": "kawaeval/data/plan.toml",
        "sha256": hashlib.sha256(bundled.read_bytes()).hexdigest(),
    }
    assert (manifest["other_files"], manifest["missing_initiatives"], manifest["warnings"]) == (
        [],
        [],
        [],
    )
    assert set(manifest) == {
        "package_version",
        "plan",
        "files",
        "other_files",
        "missing_initiatives",
        "warnings",
        "totals",
    }


def dup(other: str, id_: str) -> str:
    return (
        f"取組番号「{id_}」が重複しています（{other} と同じ番号）。"
        "取組ごとに重ならない番号にしてください (duplicate id)"
    )


def test_every_kind_of_bad_row_is_rejected_with_file_row_initiative_column_value_reason():
    result = clean(WITH_REJECTS)
    assert plain(result.rejected) == [
        [
            "initiatives_a.csv",
            2,
            "A1",
            "正しい取組",
            "ID",
            "A1",
            dup("initiatives_a.csv 行 10", "A1"),
        ],
        [
            "initiatives_a.csv",
            3,
            "A2",
            "基本目標が計画にない",
            "基本目標",
            "4",
            "基本目標 4 は計画にありません。1、2、3 のいずれかを入力してください",
        ],
        [
            "initiatives_a.csv",
            4,
            "A3",
            "基本目標が読めない",
            "基本目標",
            "一",
            "基本目標を判別できません。1、2、3 のいずれか（１、基本目標1、Ⅰ なども可）"
            "を入力してください",
        ],
        [
            "initiatives_a.csv",
            5,
            "A4",
            "方向性の基本目標が違う",
            "取組の方向性",
            "2-2",
            "取組の方向性の基本目標 2 が基本目標の列（1）と一致しません。どちらかを直してください",
        ],
        [
            "initiatives_a.csv",
            6,
            "A5",
            "方向性が計画にない",
            "取組の方向性",
            "5",
            "基本目標 1 に取組の方向性 5 はありません。1、2、3 のいずれかを入力してください",
        ],
        [
            "initiatives_a.csv",
            7,
            "A6",
            "達成度が読めない",
            "2021年度",
            "おおむね達成",
            ACHIEVEMENT_REASON,
        ],
        [
            "initiatives_a.csv",
            8,
            None,
            "番号がない",
            "ID",
            "",
            "取組番号が空欄です。取組ごとに重ならない番号を入力してください (id is blank)",
        ],
        [
            "initiatives_a.csv",
            9,
            "A7",
            None,
            "取組名",
            "",
            "取組名が空欄です。取組名を入力してください (name is blank)",
        ],
        [
            "initiatives_a.csv",
            10,
            "A1",
            "番号が重複",
            "ID",
            "A1",
            dup("initiatives_a.csv 行 2", "A1"),
        ],
        [
            "initiatives_a.csv",
            11,
            "B1",
            "ファイルをまたいで重複",
            "ID",
            "B1",
            dup("initiatives_b.csv 行 2", "B1"),
        ],
        [
            "initiatives_b.csv",
            2,
            "B1",
            "ファイルをまたいで重複",
            "ID",
            "B1",
            dup("initiatives_a.csv 行 11", "B1"),
        ],
    ]
    assert result.tidy[["initiative_id", "fiscal_year", "achievement"]].astype(
        str
    ).values.tolist() == [
        ["A8", "2018", "on_target"],
        ["A8", "2019", "on_target"],
        ["A8", "2020", "on_target"],
        ["A8", "2021", "exceeded"],
        ["B2", "2018", "on_target"],
        ["B2", "2019", "on_target"],
        ["B2", "2020", "below"],
        ["B2", "2021", "not_evaluated"],
    ]
    assert [
        (f["raw_rows"], f["accepted_rows"], f["rejected_rows"]) for f in result.manifest["files"]
    ] == [
        (11, 1, 10),
        (2, 1, 1),
    ]
    assert result.manifest["totals"] == {
        "raw_rows": 13,
        "accepted_rows": 2,
        "rejected_rows": 11,
        "excluded_rows": 0,
    }


def test_a_row_with_several_problems_gets_one_line_each_and_is_counted_once(tmp_path):
    raw = one_file(
        tmp_path,
        [*BASE, "2020年度", "2021年度"],
        ["", "9", "1", "", "7", "8"],
        ["A", "1", "1", "x", "3", "3"],
    )
    result = clean(raw, plan_of(2020, 2021))
    assert result.rejected[["row", "column", "value"]].values.tolist() == [
        [2, "取組番号", ""],
        [2, "基本目標", "9"],
        [2, "取組名", ""],
        [2, "2020年度", "7"],
        [2, "2021年度", "8"],
    ]
    assert result.manifest["totals"] == {
        "raw_rows": 2,
        "accepted_rows": 1,
        "rejected_rows": 1,
        "excluded_rows": 0,
    }


def test_three_places_of_one_id_each_name_the_other_two(tmp_path):
    raw = tmp_path / "raw"
    write_csv(
        raw,
        [[*BASE, "R3"], ["X", "1", "1", "a", "3"], ["X", "1", "2", "b", "3"]],
        "initiatives_1.csv",
    )
    write_csv(raw, [[*BASE, "R3"], ["Ｘ", "1", "3", "c", "3"]], "initiatives_2.csv")
    reasons = clean(raw, plan_of(2021)).rejected["reason"].tolist()
    assert reasons == [
        dup("initiatives_1.csv 行 3、initiatives_2.csv 行 2", "X"),
        dup("initiatives_1.csv 行 2、initiatives_2.csv 行 2", "X"),
        dup("initiatives_1.csv 行 2、initiatives_1.csv 行 3", "X"),
    ]


@pytest.mark.parametrize("header", ["取組番号", "番号", "No", "No.", "ID"])
def test_every_id_header_spelling(tmp_path, header):
    raw = one_file(tmp_path, [header, *BASE[1:], "2021"], ["7", "1", "1", "x", "3"])
    assert clean(raw, plan_of(2021)).tidy["initiative_id"].tolist() == ["7"]


@pytest.mark.parametrize(
    ("direction_header", "name_header", "bureau_header", "reason_header"),
    [
        ("取組の方向性", "取組名", "所管局", "主な理由"),
        ("方向性", "事務事業名", "所管課", "下回った理由"),
        ("方向性", "取組", "局名", "理由"),
    ],
)
def test_every_field_header_spelling(
    tmp_path, direction_header, name_header, bureau_header, reason_header
):
    header = ["番号", "基本目標", direction_header, name_header, bureau_header, "R3", reason_header]
    raw = one_file(tmp_path, header, ["7", "1", "2", "名前", "局", "4", "理由の文"])
    row = clean(raw, plan_of(2021)).tidy.iloc[0]
    assert (row["direction"], row["name"], row["bureau"], row["reason"]) == (
        2,
        "名前",
        "局",
        "理由の文",
    )


def test_nfkc_and_full_width_spaces_are_normalised(tmp_path):
    raw = one_file(
        tmp_path,
        ["　取組番号　", " 基本目標", "取組の方向性 ", "取組名", "令和３年度"],
        ["　Ａ－１　", "　１ ", " 方向性 ２", "　国際交流　", "　目標を下回った　"],
    )
    row = clean(raw, plan_of(2021)).tidy.iloc[0]
    assert (row["initiative_id"], row["goal"], row["direction"], row["name"]) == (
        "A-1",
        1,
        2,
        "国際交流",
    )
    assert (row["fiscal_year"], row["achievement"]) == (2021, "below")
    assert row["achievement_raw"] == "　目標を下回った　"


def test_xlsx_and_csv_files_are_read_together(tmp_path):
    raw = write_csv(
        tmp_path / "raw", [[*BASE, "R3"], ["C1", "1", "1", "csv", "3"]], "取組_b.csv", "cp932"
    )
    book = openpyxl.Workbook()
    book.active.title = "説明"
    sheet = book.create_sheet("取組")
    for row in [[*BASE, "令和3年度", 2022], ["X1", 2, "2-3", "xlsx", 1, 3]]:
        sheet.append(row)
    book.save(raw / "initiatives_a.xlsx")
    result = clean(raw, plan_of(2021))
    assert result.tidy[
        ["initiative_id", "goal", "direction", "achievement_raw", "source_file"]
    ].astype(str).values.tolist() == [
        ["C1", "1", "1", "3", "取組_b.csv"],
        ["X1", "2", "3", "1", "initiatives_a.xlsx"],
    ]
    assert [f["file"] for f in result.manifest["files"]] == ["initiatives_a.xlsx", "取組_b.csv"]


def test_a_file_lacking_a_program_year_that_another_file_has_stops_the_run(tmp_path):
    raw = tmp_path / "raw"
    write_csv(
        raw,
        [[*BASE, *YEARS, "2021年度"], ["A", "1", "1", "a", "3", "3", "4", "3"]],
        "initiatives_a.csv",
    )
    write_csv(raw, [[*BASE, "R2", "R3"], ["B", "1", "1", "b", "3", ""]], "initiatives_b.csv")
    write_csv(raw, [[*BASE, "H30", "R3"], ["C", "1", "1", "c", "3", ""]], "initiatives_c.csv")
    with pytest.raises(MissingFiscalYearsError) as caught:
        clean(raw)
    assert str(caught.value) == (
        "2 個のファイルに、2021 年度までの年度の列が揃っていません "
        "(files without a column for a program year up to 2021). "
        "それぞれのファイルに次の年度の達成度の列を加えてください（評価しない取組は空欄か「－」）:\n"
        "  - initiatives_b.csv: 2018年度、2019年度 の列がありません\n"
        "  - initiatives_c.csv: 2019年度、2020年度 の列がありません"
    )
    assert caught.value.missing == {
        "initiatives_b.csv": [2018, 2019],
        "initiatives_c.csv": [2019, 2020],
    }


def test_an_interim_year_needs_only_the_years_up_to_the_latest_one_present(tmp_path):
    raw = tmp_path / "raw"
    write_csv(raw, [[*BASE, "H30", "R1"], ["A", "1", "1", "a", "3", "4"]], "initiatives_a.csv")
    write_csv(raw, [[*BASE, "2018", "2019"], ["B", "1", "1", "b", "3", ""]], "取組_b.csv")
    tidy = clean(raw).tidy
    assert tidy[["initiative_id", "fiscal_year", "achievement"]].astype(str).values.tolist() == [
        ["A", "2018", "on_target"],
        ["A", "2019", "below"],
        ["B", "2018", "on_target"],
        ["B", "2019", "not_evaluated"],
    ]


def test_year_outside_the_program_is_ignored_with_a_warning(tmp_path, caplog):
    raw = one_file(
        tmp_path,
        [*BASE, "2017年度", *YEARS, "2021年度"],
        ["A", "1", "1", "x", "?", "", "", "", "3"],
    )
    with caplog.at_level(logging.WARNING, logger="kawaeval.records.cleaning"):
        result = clean(raw)
    assert result.tidy["fiscal_year"].tolist() == [2018, 2019, 2020, 2021]
    assert result.rejected.empty
    assert caplog.messages == [
        "initiatives.csv: 列「2017年度」は計画の年度 (2018, 2019, 2020, 2021) ではないため"
        "使いません (column ignored)"
    ]


def test_target_and_actual_columns_beside_the_achievement_are_named_and_ignored(tmp_path, caplog):
    raw = one_file(
        tmp_path,
        [*BASE, "2021年度目標値", "2021年度実績", "R3 達成度", "備考"],
        ["A", "1", "1", "x", "10", "12", "3", "メモ"],
    )
    with caplog.at_level(logging.INFO, logger="kawaeval.records.cleaning"):
        result = clean(raw, plan_of(2021))
    assert result.tidy["achievement"].astype(str).tolist() == ["on_target"]
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("INFO", "initiatives.csv: 列「備考」は認識できないため使いません (column ignored)"),
        (
            "INFO",
            "initiatives.csv: 列「2021年度目標値」は2021 年度の目標の列"
            "（達成度は列「R3 達成度」から読みます）",
        ),
        (
            "INFO",
            "initiatives.csv: 列「2021年度実績」は2021 年度の実績の列"
            "（達成度は列「R3 達成度」から読みます）",
        ),
    ]
    assert result.manifest["files"][0]["ignored_columns"] == [
        {"column": "備考", "reason": "認識できない列"},
        {
            "column": "2021年度目標値",
            "reason": "2021 年度の目標の列（達成度は列「R3 達成度」から読みます）",
        },
        {
            "column": "2021年度実績",
            "reason": "2021 年度の実績の列（達成度は列「R3 達成度」から読みます）",
        },
    ]


def test_an_actual_column_alone_is_the_achievement_when_its_values_are_achievements(tmp_path):
    raw = one_file(tmp_path, [*BASE, "令和3年度実績"], ["A", "1", "1", "x", "ほぼ目標どおり"])
    assert clean(raw, plan_of(2021)).tidy["achievement"].astype(str).tolist() == ["on_target"]


def test_an_actual_column_alone_holding_numbers_stops_the_run_naming_it(tmp_path):
    raw = one_file(
        tmp_path,
        [*BASE, "2021年度実績"],
        ["A", "1", "1", "x", "3"],
        ["B", "1", "1", "y", "120"],
        ["C", "1", "1", "z", "85.5"],
    )
    with pytest.raises(InputFileError) as caught:
        clean(raw, plan_of(2021))
    assert str(caught.value) == (
        "initiatives.csv: 列「2021年度実績」は 2021 年度の実績の列ですが、値が達成度ではありません"
        "（行 3 の値「120」ほか 1 件） (the only 2021 column holds actual values, not "
        "achievements). この列が達成度なら見出しを「2021年度 達成度」にして値を直し、"
        "指標の実績値の列なら 2021 年度の達成度の列を加えてください"
    )


def test_a_target_column_alone_for_a_year_stops_the_run(tmp_path):
    raw = one_file(tmp_path, [*BASE, "2021年度目標"], ["A", "1", "1", "x", "3"])
    with pytest.raises(InputFileError) as caught:
        clean(raw, plan_of(2021))
    assert str(caught.value) == (
        "initiatives.csv: 列「2021年度目標」は 2021 年度の目標（値）の列で、2021 年度の達成度の列が"
        "ありません (a target column, but no achievement column for 2021). "
        "達成度の列（見出しは「2021年度」「2021年度 達成度」など）を加えてください"
    )


@pytest.mark.parametrize("header", ["2021年度予算額", "令和3年度から実施", "R3 目標・実績"])
def test_a_header_that_looks_like_a_year_but_cannot_be_read_stops_the_run(tmp_path, header):
    raw = one_file(tmp_path, [*BASE, "R3", header], ["A", "1", "1", "x", "3", "9"])
    with pytest.raises(InputFileError) as caught:
        clean(raw, plan_of(2021))
    assert str(caught.value) == (
        f"initiatives.csv: 列「{header}」は年度を含んでいますが、何の列か読み取れません "
        "(a header that looks like a year cannot be read). "
        "達成度の列なら「2019年度」「令和元年度」「R1」「2019年度 達成度」のように、"
        "指標の実績値・目標値なら「2019年度 実績」「2019年度 目標」のように書き、"
        "どちらでもなければ見出しから年度を外してください"
    )


def test_plan_in_the_raw_folder_replaces_the_bundled_one(tmp_path):
    raw = one_file(tmp_path, [*BASE, "2021", "2022"], ["A", "1", "4", "x", "3", "3"])
    bundled = Path(__file__).parents[1] / "kawaeval" / "data" / "plan.toml"
    text = bundled.read_text(encoding="utf-8")
    text = text.replace("program_years = [2018, 2019, 2020, 2021]", "program_years = [2021, 2022]")
    text = text.replace(
        '{ direction = 3, name = "海外への先端環境技術移転によるビジネス展開" },',
        '{ direction = 3, name = "c" },\n  { direction = 4, name = "d" },',
    )
    text = text.replace("fiscal_years = [2018, 2019]", "fiscal_years = [2021]")
    text = text.replace("fiscal_years = [2020, 2021]", "fiscal_years = [2022]")
    (raw / "plan.toml").write_text(text, encoding="utf-8")
    result = clean(raw)
    assert result.tidy[["direction", "fiscal_year"]].values.tolist() == [[4, 2021], [4, 2022]]
    assert result.manifest["plan"]["file"] == "plan.toml"


# ------------------------------------------------------------------ files that cannot be read


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            ["基本目標", "取組の方向性", "取組名", "2021"],
            "取組番号 (id) の列がありません (no initiative_id column). "
            "ヘッダー（1行目）に 取組番号 / 番号 / NO / No. / ID のいずれかの列を置いてください",
        ),
        (
            ["番号", "取組の方向性", "取組名", "2021"],
            "基本目標 (goal) の列がありません (no goal column). "
            "ヘッダー（1行目）に 基本目標 のいずれかの列を置いてください",
        ),
        (
            ["番号", "基本目標", "取組名", "2021"],
            "取組の方向性 (direction) の列がありません (no direction column). "
            "ヘッダー（1行目）に 取組の方向性 / 方向性 のいずれかの列を置いてください",
        ),
        (
            ["番号", "基本目標", "方向性", "2021"],
            "取組名 (name) の列がありません (no name column). "
            "ヘッダー（1行目）に 取組名 / 事務事業名 / 取組 のいずれかの列を置いてください",
        ),
        (
            [*BASE, "備考"],
            "計画の年度 (2018, 2019, 2020, 2021) の達成度の列がありません (no fiscal-year column). "
            "ヘッダーに 2018年度、平成30年度、R3 などの年度の列を置いてください",
        ),
        (
            [*BASE, "2021年度", "R3"],
            "列「2021年度」と列「R3」はどちらも 2021 年度の列です。"
            "1つにしてください (two columns for the same fiscal year)",
        ),
        (
            ["番号", "No", *BASE[1:], "R3"],
            "列「番号」と列「No」はどちらも 取組番号 (id) の列です。"
            "1つにしてください (the same field appears in two columns)",
        ),
        (
            [*BASE, "令和元(2020)年度"],
            "列「令和元(2020)年度」の年度が矛盾しています: "
            "令和元年度は 2019 年度ですが、括弧内は 2020 年度です。どちらかを直してください",
        ),
    ],
)
def test_unreadable_layouts_are_input_file_errors(tmp_path, header, message):
    raw = one_file(tmp_path, header, ["1"] * len(header))
    with pytest.raises(InputFileError) as caught:
        clean(raw)
    assert str(caught.value) == f"initiatives.csv: {message}"


def test_fake_xlsx_stops_the_whole_run():
    with pytest.raises(
        InputFileError, match=r"^initiatives_fake\.xlsx: 名前は \.xlsx ですが、中身はテキスト"
    ):
        clean(FIXTURES / "unreadable")


NO_ROWS = {"raw_rows": 0, "accepted_rows": 0, "rejected_rows": 0, "excluded_rows": 0}


def test_header_only_file_gives_an_empty_tidy_table(tmp_path):
    result = clean(one_file(tmp_path, [*BASE, "R3"]), plan_of(2021))
    assert result.tidy.empty
    assert list(result.tidy.columns) == TIDY_COLUMNS
    assert result.manifest["totals"] == NO_ROWS


def test_header_only_file_is_logged_as_a_warning_naming_it(caplog):
    with caplog.at_level(logging.WARNING, logger="kawaeval.records.cleaning"):
        result = clean(FIXTURES / "bad" / "header_only")
    assert result.manifest["totals"] == NO_ROWS
    assert result.rejected.empty
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "kawaeval.records.cleaning",
            "WARNING",
            "initiatives_header_only.csv: ヘッダーだけで、取組の行がありません",
        )
    ]


def test_file_with_rows_gives_no_header_only_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="kawaeval.records.cleaning"):
        clean(TWO_BUREAUS)
    assert caplog.records == []


SHEET_NOTE = " (シート「記入例」を読みました。データのシートの名前を「取組」にしてください)"


def test_xlsx_cover_sheet_read_first_names_the_sheet_and_the_fix():
    with pytest.raises(InputFileError) as caught:
        clean(FIXTURES / "bad" / "cover_sheet")
    assert str(caught.value) == (
        "initiatives_cover_sheet.xlsx: 取組番号 (id) の列がありません (no initiative_id column). "
        "ヘッダー（1行目）に 取組番号 / 番号 / NO / No. / ID のいずれかの列を置いてください"
        + SHEET_NOTE
    )


def test_xlsx_first_sheet_without_year_columns_names_the_sheet(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    book = openpyxl.Workbook()
    book.active.title = "記入例"
    book.active.append([*BASE, "備考"])
    book.save(raw / "initiatives.xlsx")
    with pytest.raises(InputFileError) as caught:
        clean(raw)
    assert str(caught.value) == (
        "initiatives.xlsx: 計画の年度 (2018, 2019, 2020, 2021) の達成度の列がありません "
        "(no fiscal-year column). "
        "ヘッダーに 2018年度、平成30年度、R3 などの年度の列を置いてください" + SHEET_NOTE
    )


def test_xlsx_sheet_named_torikumi_gets_no_sheet_note(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    book = openpyxl.Workbook()
    book.active.title = "記入例"
    book.create_sheet("取組").append([*BASE[1:], "R3"])
    book.save(raw / "initiatives.xlsx")
    with pytest.raises(InputFileError) as caught:
        clean(raw)
    assert str(caught.value) == (
        "initiatives.xlsx: 取組番号 (id) の列がありません (no initiative_id column). "
        "ヘッダー（1行目）に 取組番号 / 番号 / NO / No. / ID のいずれかの列を置いてください"
    )


@pytest.mark.parametrize(
    "variant", ["utf8", "utf8_bom", "cp932", "xlsx_second_sheet", "xlsx_formulas"]
)
def test_every_encoding_and_format_gives_the_same_tidy_table(variant):
    folder = FIXTURES / "formats" / variant
    result = clean(folder)
    assert result.rejected.empty
    tidy = result.tidy.drop(columns="source_file")
    first = ["2-1-01", 2, 1, "髙津区の国際交流", "市民文化局"]
    second = ["3-2-01", 3, 2, "宮﨑台駅周辺の多文化共生", None]
    assert tidy.astype(object).where(tidy.notna(), None).values.tolist() == [
        [*first, 2018, "on_target", "3", None, None, 2],
        [*first, 2019, "on_target", "3", None, None, 2],
        [*first, 2020, "not_evaluated", "ー", None, None, 2],
        [*first, 2021, "on_target", "３：ほぼ目標どおり", None, None, 2],
        [*second, 2018, "on_target", "3", None, None, 3],
        [*second, 2019, "on_target", "3", None, None, 3],
        [*second, 2020, "not_evaluated", "‐", None, None, 3],
        [*second, 2021, "below", "4（目標を下回った）", None, None, 3],
    ]
    assert result.tidy["source_file"].unique().tolist() == [next(folder.iterdir()).name]


# ------------------------------------------------------------------ clean_records and outputs


def test_rejected_rows_stop_the_run_and_write_nothing(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(RejectedRowsError) as caught:
        clean_records(WITH_REJECTS, out_dir=out)
    assert not out.exists()
    lines = str(caught.value).splitlines()
    assert lines[0].startswith("11 行を受け付けられませんでした（問題 11 件） (11 rows rejected")
    assert lines[1] == (
        "  - 取組「A1 正しい取組」 "
        "initiatives_a.csv 行 2 列「ID」値「A1」: " + dup("initiatives_a.csv 行 10", "A1")
    )
    assert len(lines) == 12


def test_allow_rejects_writes_every_output(tmp_path):
    out = tmp_path / "out"
    result = clean_records(WITH_REJECTS, out_dir=out, allow_rejects=True)
    assert sorted(p.name for p in out.iterdir()) == [
        "achievements.csv",
        "manifest.json",
        "rejected.csv",
        "tidy.parquet",
    ]
    rejected = (out / "rejected.csv").read_bytes()
    assert rejected.startswith(
        "\ufefffile,row,initiative_id,name,column,value,reason\n"
        "initiatives_a.csv,2,A1,正しい取組,ID,A1,".encode()
    )
    assert b"\r\n" not in rejected
    assert rejected.count(b"\n") == 12
    assert "\ninitiatives_a.csv,8,,番号がない,ID,,取組番号が空欄です".encode() in rejected
    assert "\ninitiatives_a.csv,9,A7,,取組名,,取組名が空欄です".encode() in rejected
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8")) == result.manifest
    back = pd.read_parquet(out / "tidy.parquet")  # the tidy table as cleaning holds it
    assert list(back.columns) == TIDY_COLUMNS
    assert plain(back) == plain(result.tidy)
    assert {c: back[c].dtype.name for c in back} == {
        c: result.tidy[c].dtype.name for c in result.tidy
    }
    csv_back = pd.read_csv(
        out / "achievements.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False
    )
    assert csv_back.values.tolist() == [
        [
            "A8",
            "2",
            "3",
            "正しい取組",
            "",
            "on_target",
            "on_target",
            "on_target",
            "exceeded",
            "",
            "initiatives_a.csv",
            "12",
        ],
        [
            "B2",
            "3",
            "2",
            "正しい取組",
            "",
            "on_target",
            "on_target",
            "below",
            "not_evaluated",
            "",
            "initiatives_b.csv",
            "3",
        ],
    ]


def test_rejected_csv_is_header_only_when_nothing_was_rejected(tmp_path):
    clean_records(TWO_BUREAUS, out_dir=tmp_path)
    assert (
        tmp_path / "rejected.csv"
    ).read_bytes() == b"\xef\xbb\xbffile,row,initiative_id,name,column,value,reason\n"
    by_year = (tmp_path / "achievements.csv").read_bytes()
    assert by_year.startswith(
        "\ufeffinitiative_id,goal,direction,name,bureau,achievement_2018,achievement_2019,"
        "achievement_2020,achievement_2021,reason,source_file,source_row\n"
        "1-1-01,1,1,ビジネス拠点の形成,経済労働局,on_target,on_target,below,on_target,"
        "新型コロナウイルス感染症の影響により商談会を中止したため,initiatives_01_keizai.csv,2\n"
        "1-2-01,1,2,海外展開の支援,経済労働局,exceeded,on_target,below,exceeded,,"
        "initiatives_01_keizai.csv,3\n".encode()
    )
    assert by_year.count(b"\n") == 6  # one line per initiative, not per year


def test_the_excel_csv_leaves_blank_the_years_a_file_has_no_column_for(tmp_path):
    raw = one_file(tmp_path, [*BASE, "R2", "R3"], ["K1", "1", "1", "x", "3", "－"])
    result = clean(raw, plan_of(2020, 2021))
    write_outputs(dataclasses.replace(result, plan=load_plan()), tmp_path / "out")
    lines = (tmp_path / "out" / "achievements.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[1] == "K1,1,1,x,,,,on_target,not_evaluated,,initiatives.csv,2"


def test_an_older_long_tidy_csv_is_removed_rather_than_left_stale(tmp_path):
    (tmp_path / "tidy.csv").write_text("stale", encoding="utf-8")
    clean_records(TWO_BUREAUS, out_dir=tmp_path)
    assert not (tmp_path / "tidy.csv").exists()


def test_cleaning_twice_gives_identical_bytes(tmp_path):
    clean_records(WITH_REJECTS, out_dir=tmp_path / "one", allow_rejects=True)
    clean_records(WITH_REJECTS, out_dir=tmp_path / "two", allow_rejects=True)
    for name in ("tidy.parquet", "achievements.csv", "rejected.csv", "manifest.json"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_a_failed_run_leaves_the_last_good_output(tmp_path):
    out = tmp_path / "out"
    clean_records(TWO_BUREAUS, out_dir=out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(RejectedRowsError):
        clean_records(WITH_REJECTS, out_dir=out)
    with pytest.raises(InputFileError):
        clean_records(FIXTURES / "unreadable", out_dir=out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_manifest_mismatch_is_an_error():
    manifest = {"files": [{"file": "a.csv", "raw_rows": 3, "accepted_rows": 1, "rejected_rows": 1}]}
    with pytest.raises(ManifestMismatchError) as caught:
        check_manifest(manifest)
    assert str(caught.value) == (
        "a.csv: 行数が合いません (row counts do not add up): raw 3 != accepted 1 + rejected 1 "
        "+ excluded 0. kawaeval の不具合として報告してください"
    )


# ------------------------------------------------------------------ random spellings

GOAL_SPELLINGS = {
    1: ["1", "１", "基本目標1", "基本目標１", "Ⅰ", "I", "基本目標Ⅰ"],
    2: ["2", "２", "基本目標2", "Ⅱ", "II", "基本目標Ⅱ"],
    3: ["3", "３", "基本目標３", "Ⅲ", "III", "基本目標Ⅲ"],
}
DIRECTION_SPELLINGS = {
    1: ["1", "１", "方向性1", "Ⅰ", "{g}-1", "{g}－１"],
    2: ["2", "２", "方向性2", "Ⅱ", "{g}-2", "{g}－２"],
    3: ["3", "３", "方向性3", "Ⅲ", "{g}-3", "{g}－３"],
}
ACHIEVEMENT_VALUES = {
    "exceeded": [
        "目標を上回って達成",
        "目標を上回った",
        "1",
        "2",
        "１",
        "目標を大きく上回って達成",
    ],
    "on_target": ["ほぼ目標どおり", "ほぼ目標通り", "目標をほぼ達成", "3", "３", " 3　"],
    "below": ["目標を下回った", "4", "5", "４", "目標を大きく下回った"],
    "not_evaluated": ["", "－", "―", "-", "対象外"],  # "—" has no CP932 code: tested above
}
YEAR_HEADERS = {
    2018: [
        "2018年度",
        "2018",
        "FY2018",
        "平成30年度",
        "H30",
        "平成30(2018)年度",
        "達成度（２０１８）",
    ],
    2019: ["2019年度", "令和元年度", "R1", "令和元（2019）年度", "平成31年度", "Ｒ１"],
    2020: ["2020", "令和2年度", "R2", "令和２年度 達成度"],
    2021: ["FY2021", "令和3年度", "R3", "２０２１年度"],
}

record = st.tuples(
    st.sampled_from([1, 2, 3]),
    st.sampled_from([1, 2, 3]),
    st.lists(st.sampled_from(ACHIEVEMENTS), min_size=4, max_size=4),
    st.data(),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    records=st.lists(record, min_size=1, max_size=12),
    headers=st.fixed_dictionaries({y: st.sampled_from(h) for y, h in YEAR_HEADERS.items()}),
    id_header=st.sampled_from(["取組番号", "番号", "No", "No.", "ID"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp932"]),
)
def test_random_spellings_give_the_counts_they_were_drawn_from(
    records, headers, id_header, encoding
):
    rows = [[id_header, "基本目標", "方向性", "取組名", *(headers[y] for y in YEAR_HEADERS)]]
    expected = {}
    for i, (goal, direction, achievements, data) in enumerate(records):
        goal_text = data.draw(st.sampled_from(GOAL_SPELLINGS[goal]))
        direction_text = data.draw(st.sampled_from(DIRECTION_SPELLINGS[direction])).format(g=goal)
        cells = [data.draw(st.sampled_from(ACHIEVEMENT_VALUES[a])) for a in achievements]
        rows.append([f"K{i:03d}", goal_text, direction_text, f"取組{i}", *cells])
        for year, achievement in zip(YEAR_HEADERS, achievements, strict=True):
            key = (goal, direction, year, achievement)
            expected[key] = expected.get(key, 0) + 1
    with tempfile.TemporaryDirectory() as folder:
        result = clean(write_csv(Path(folder), rows, encoding=encoding))
    assert result.rejected.empty
    counts = (
        result.tidy.assign(achievement=result.tidy["achievement"].astype(str))
        .groupby(["goal", "direction", "fiscal_year", "achievement"])
        .size()
        .to_dict()
    )
    assert counts == expected
    assert result.manifest["totals"]["accepted_rows"] == len(records)


@pytest.mark.parametrize("dtype", [TEXT, object])
def test_a_carriage_return_inside_a_field_is_quoted_and_the_row_stays_whole(tmp_path, dtype):
    """pandas and Python 3.11's csv leave a lone CR bare with "\n" line endings: Excel splits."""
    frame = pd.DataFrame({"reason": pd.array(["理由の\r途中", "ok"], dtype=dtype), "n": [1, 2]})
    outputs.write_csv(frame, tmp_path / "cr.csv")
    with (tmp_path / "cr.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [["reason", "n"], ["理由の\r途中", "1"], ["ok", "2"]]


def test_csv_writer_gives_the_bytes_of_pandas_to_csv_of_the_neutralised_frame(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(outputs, "CSV_CHUNK_ROWS", 2)  # several chunks
    values = ["a,b", 'say "hi"', "two\nlines", " spaced ", "", "漢字", None]
    values += ["=1+1", "-5", "@x,y", '+"q"']
    frame = pd.DataFrame(
        {
            "text": pd.array(values, dtype=TEXT),
            "category": pd.Categorical(
                values, categories=pd.Index(values[:-5] + values[-4:], dtype=TEXT)
            ),
            "number": range(-3, len(values) - 3),
            'odd,"name"': pd.array(values[::-1], dtype=TEXT),
        }
    )
    outputs.write_csv(frame, tmp_path / "fast.csv")
    neutralise_frame(frame).to_csv(
        tmp_path / "pandas.csv", index=False, encoding="utf-8-sig", lineterminator="\n"
    )
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()
    written = (tmp_path / "fast.csv").read_text(encoding="utf-8-sig")
    assert '\n"a,b","a,b",-3,' in written  # numbers stay numbers
    for line in ("\n'=1+1,'=1+1,4,", "\n'-5,'-5,5,", '\n"\'@x,y","\'@x,y",6,', '\n"\'+""q""",'):
        assert line in written


def test_formula_text_is_neutralised_in_the_csv_files_and_exact_in_parquet(tmp_path):
    hostile = '=HYPERLINK("http://evil","x")'
    raw = one_file(
        tmp_path,
        [*BASE, *YEARS, "R3"],
        ["K1", "1", "1", '"=HYPERLINK(""http://evil"",""x"")"', "", "", "", "3"],
        ["K2", "1", "1", "-1 マイナスから始まる取組", "", "", "", "=1+1"],
    )
    out = tmp_path / "out"
    clean_records(raw, out_dir=out, allow_rejects=True)
    back = pd.read_parquet(out / "tidy.parquet")
    assert back["name"].unique().tolist() == [hostile]
    csv_text = (out / "achievements.csv").read_text(encoding="utf-8-sig")
    assert (
        '\nK1,1,1,"\'=HYPERLINK(""http://evil"",""x"")",,not_evaluated,not_evaluated,'
        "not_evaluated,on_target," in csv_text
    )
    by_year = pd.read_csv(out / "achievements.csv", encoding="utf-8-sig", keep_default_na=False)
    assert by_year["name"].tolist() == ["'" + hostile]
    assert by_year["goal"].dtype == "int64" and by_year["source_row"].tolist() == [2]
    rejected = pd.read_csv(out / "rejected.csv", encoding="utf-8-sig", keep_default_na=False)
    assert rejected["value"].tolist() == ["'=1+1"]
    assert rejected["row"].tolist() == [3]
