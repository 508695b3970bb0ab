"""Every table of the report as a typed DataFrame: the figures, the types, the registry."""

import pandas as pd
import pytest

from kawaeval.exceptions import UsageError
from kawaeval.report import chapter_tables, tables


def test_program_distribution_is_counts_and_shares_as_numbers(assessment):
    frame = tables.report_table(assessment, "program_distribution")
    assert list(frame.columns) == ["達成度", "件数", "割合（%）"]
    assert str(frame["件数"].dtype) == "int64" and str(frame["割合（%）"].dtype) == "float64"
    assert frame["達成度"].tolist() == [
        "目標を上回って達成",
        "ほぼ目標どおり",
        "目標を下回った",
        "取組数",
    ]
    assert frame["件数"].tolist() == [1, 87, 21, 109]
    assert frame["割合（%）"].tolist()[:3] == [0.9, 79.8, 19.3]
    assert pd.isna(frame["割合（%）"].iloc[3])
    assert frame.attrs["shares"] == ["割合（%）"]


def test_goal_trend_of_goal_two_is_the_fy2021_trend_table(assessment):
    frame = tables.report_table(assessment, "goal_trend", goal=2)
    rows = [r for r in assessment["by_year"] if r["goal"] == 2]
    assert frame["年度"].tolist() == [
        "平成30(2018)年度",
        "令和元(2019)年度",
        "令和２(2020)年度",
        "令和３(2021)年度",
    ]
    assert frame["取組数"].tolist() == [34, 34, 34, 34]
    assert frame["目標を下回った（件）"].tolist() == [r["counts"]["below"] for r in rows]
    assert frame["目標を下回った（%）"].tolist() == [r["shares_pct"]["below"] for r in rows]
    assert frame["達成割合（%）"].tolist() == [r["achieved_share_pct"] for r in rows]
    assert frame.dtypes["ほぼ目標どおり（件）"] == "int64"
    assert frame.attrs["shares"] == [
        "目標を上回って達成（%）",
        "ほぼ目標どおり（%）",
        "目標を下回った（%）",
        "達成割合（%）",
    ]


def test_report_tables_lists_every_table_in_report_order(assessment):
    listed = tables.report_tables(assessment)
    assert [(t.chapter, t.key) for t in listed[:7]] == [
        ("01_plan", "plan_structure"),
        ("02_achievement", "program_distribution"),
        ("02_achievement", "program_trend"),
        ("03_highlights", "highlights"),
        ("04_overall", "grades"),
        ("04_overall", "direction_verdicts"),
        ("04_overall", "below_target_causes"),
    ]
    goal1 = [t.key for t in listed if t.goal == 1]
    assert goal1 == [
        "goal_trend",
        "goal_periods",
        "direction_distribution",
        "direction_trend",
        "below_target",
        "indicators",
        "goal_grades",
    ]
    # goal 3 has no below-target initiative and no indicator: the report shows no such table
    assert [t.key for t in listed if t.goal == 3] == [
        "goal_trend",
        "goal_periods",
        "direction_distribution",
        "direction_trend",
        "goal_grades",
    ]
    assert {t.chapter for t in listed if t.goal == 2} == {"05_goal2"}
    titles = [t.title for t in listed]
    assert len(set(titles)) == len(titles)  # sheet titles derive from them
    for t in listed:
        expected = tables.report_table(assessment, t.key, t.goal)
        pd.testing.assert_frame_equal(t.frame, expected)


def test_report_table_names_the_keys_and_the_goals(assessment):
    with pytest.raises(
        UsageError, match=r"key must be one of: plan_structure, program_distribution"
    ):
        tables.report_table(assessment, "goal_tren")
    with pytest.raises(UsageError, match=r"goal must be one of: 1, 2, 3"):
        tables.report_table(assessment, "goal_trend")
    with pytest.raises(UsageError, match=r"goal must be one of: 1, 2, 3"):
        tables.report_table(assessment, "goal_trend", goal=7)
    with pytest.raises(UsageError, match=r"give no goal"):
        tables.report_table(assessment, "program_trend", goal=1)


def test_plan_structure_frame_has_one_row_per_direction(assessment):
    frame = chapter_tables.plan_structure(assessment)
    assert len(frame) == 9
    assert frame["取組数"].sum() == 109
    assert frame.loc[0, ["基本目標", "取組数", "基本目標の取組数"]].tolist() == ["基本目標1", 5, 16]
    assert frame["取組数"].dtype == "int64"


def test_direction_distribution_keeps_the_direction_number(assessment):
    frame = chapter_tables.direction_distribution(assessment, 1)
    assert frame["方向性"].tolist() == [1, 2, 3]
    assert frame["取組数"].tolist() == [5, 7, 4]
    assert frame["目標を下回った（件）"].tolist() == [1, 1, 1]
    assert frame["ほぼ目標どおり（%）"].tolist() == [80.0, 71.4, 75.0]


def test_below_target_frame_marks_the_external_cause(assessment):
    frame = chapter_tables.below_target(assessment, 1)
    assert frame.columns.tolist() == [
        "取組番号",
        "取組名",
        "方向性",
        "所管",
        "主な理由",
        "外部要因",
    ]
    assert frame["取組番号"].tolist() == ["1-1-03", "1-2-05", "1-3-02"]
    assert frame["外部要因"].tolist() == [
        "新型コロナウイルス感染症の影響",
        "",
        "新型コロナウイルス感染症の影響",
    ]


def test_data_quality_frame_names_the_initiative_and_is_blank_without_one(assessment):
    assessment["data_quality"] = {
        "rejected_rows": 2,
        "rejected": [
            {
                "file": "a.csv",
                "row": 6,
                "column": "基本目標",
                "value": "9",
                "reason": "基本目標 9 は計画にありません",
                "initiative_id": "1-1-09",
                "name": "国際交流事業",
            },
            {
                "file": "b.csv",
                "row": None,
                "initiative_id": None,
                "name": None,
                "column": None,
                "value": None,
                "reason": "空です",
            },
        ],
    }
    frame = tables.report_table(assessment, "data_quality")
    assert frame.columns.tolist() == [
        "ファイル",
        "行（Excel）",
        "列",
        "値",
        "理由",
        "取組番号",
        "取組名",
    ]
    assert frame.loc[0, "取組番号"] == "1-1-09" and frame.loc[0, "取組名"] == "国際交流事業"
    assert frame.loc[1, "取組番号"] == "" and frame.loc[1, "取組名"] == ""
    assert frame["行（Excel）"].tolist()[0] == 6 and pd.isna(frame["行（Excel）"].iloc[1])
    assert "data_quality" in [t.key for t in tables.report_tables(assessment)]


def test_indicator_values_are_numbers(assessment):
    frame = chapter_tables.indicators(assessment, 1)
    assert frame.loc[0, ["基準値", "目標値", "実績値"]].tolist() == [100.0, 150.0, 120.0]
    assert frame.loc[0, "達成率（%）"] == 80.0
    assert frame.attrs["shares"] == ["達成率（%）"]


def test_grades_frames_are_the_texts_the_report_prints(assessment):
    grades = tables.report_table(assessment, "grades")
    assert grades["今後の方向性（取組構成の妥当性）"].tolist() == ["Ⅱ 概ね効果的な構成である"] * 3
    goal2 = tables.report_table(assessment, "goal_grades", goal=2)
    assert goal2.loc[1, "提案評価（評価ルール）"] == "Ⅲ 構成の見直しが必要である※"


def test_tables_without_data_are_left_out_of_the_report(assessment):
    for goal in assessment["goals"]:
        goal.update(highlights=[], indicators=[], periods=goal["periods"][:1])
    assessment["program_periods"] = assessment["program_periods"][:1]
    assessment["grading_rule"]["thresholds"]["external_cause_keywords"] = []
    keys = {t.key for t in tables.report_tables(assessment)}
    assert not keys & {"highlights", "indicators", "period_overview", "goal_periods"}
    assert "below_target_causes" not in keys
    assert {"plan_structure", "goal_trend", "below_target", "goal_grades"} <= keys
    # asked for by key, an absent table is an empty frame with its columns
    empty = tables.report_table(assessment, "indicators", goal=1)
    assert empty.empty and list(empty.columns) == chapter_tables.INDICATOR_COLUMNS
