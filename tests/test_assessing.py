"""The assessment engine on small tidy tables built here: counts, rounding, grades, judgements."""

from __future__ import annotations

import dataclasses
import json
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kawaeval.cli import main
from kawaeval.evaluation.assessing import (
    achievement_rate_pct,
    assess,
    assess_records,
    round_half_up_pct,
)
from kawaeval.evaluation.grading import suggest_outlook, suggest_progress
from kawaeval.evaluation.model import Assessment
from kawaeval.exceptions import UnknownFiscalYearError
from kawaeval.plan import ACHIEVEMENTS, load_plan
from kawaeval.records.supplements import (
    HIGHLIGHT_DTYPES,
    INDICATOR_DTYPES,
    JUDGEMENT_DTYPES,
    Supplements,
)

PLAN = load_plan()
COVID = "新型コロナウイルス感染症の影響によりイベントを中止したため"


def tidy_from(spec: dict[tuple[int, int], dict[int, list[str]]], reasons=None) -> pd.DataFrame:
    """A tidy table: {(goal, direction): {fiscal_year: [achievement per initiative]}}.

    Initiative k of a direction keeps id ``g-d-k`` across years; ``reasons`` maps ids to text.
    """
    reasons = reasons or {}
    rows = []
    for (goal, direction), years in spec.items():
        for year, results in years.items():
            for k, achievement in enumerate(results, start=1):
                initiative_id = f"{goal}-{direction}-{k:02d}"
                rows.append(
                    {
                        "initiative_id": initiative_id,
                        "goal": goal,
                        "direction": direction,
                        "name": f"取組{initiative_id}",
                        "bureau": "総務企画局",
                        "fiscal_year": year,
                        "achievement": achievement,
                        "achievement_raw": achievement,
                        "reason": reasons.get(initiative_id),
                        "source_file": "initiatives.csv",
                        "source_row": len(rows) + 2,
                    }
                )
    frame = pd.DataFrame(rows)
    frame["achievement"] = pd.Categorical(
        frame["achievement"], categories=ACHIEVEMENTS, ordered=True
    )
    return frame.sort_values(["goal", "direction", "initiative_id", "fiscal_year"])


def results(exceeded=0, on_target=0, below=0, not_evaluated=0) -> list[str]:
    return (
        ["exceeded"] * exceeded
        + ["on_target"] * on_target
        + ["below"] * below
        + ["not_evaluated"] * not_evaluated
    )


def supplements(judgements=(), highlights=(), indicators=()) -> Supplements:
    def frame(records, dtypes):
        rows = [{**r, "source_row": i + 2} for i, r in enumerate(records)]
        return pd.DataFrame(rows, columns=list(dtypes)).astype(dtypes)

    return Supplements(
        frame(judgements, JUDGEMENT_DTYPES),
        frame(highlights, HIGHLIGHT_DTYPES),
        frame(indicators, INDICATOR_DTYPES),
    )


ALL_YEARS_ON_TARGET = {y: results(on_target=4) for y in PLAN.program_years}


def three_goals(goal1: dict[int, list[str]], reasons=None) -> pd.DataFrame:
    return tidy_from(
        {(1, 1): goal1, (2, 1): ALL_YEARS_ON_TARGET, (3, 1): ALL_YEARS_ON_TARGET}, reasons
    )


# ---------------------------------------------------------------- rounding


@pytest.mark.parametrize(
    ("count", "total", "expected"),
    [
        (1, 16, 6.3),
        (3, 16, 18.8),
        (12, 16, 75.0),
        (1, 8, 12.5),
        (1, 40, 2.5),
        (5, 2000, 0.3),
        (3, 2000, 0.2),
        (7, 2000, 0.4),
        (1, 3, 33.3),
        (2, 3, 66.7),
        (1, 109, 0.9),
        (87, 109, 79.8),
        (21, 109, 19.3),
        (0, 7, 0.0),
        (7, 7, 100.0),
        (3, 0, None),
    ],
)
def test_round_half_up_pct_rounds_as_the_city_prints(count, total, expected):
    assert round_half_up_pct(count, total) == expected


@settings(derandomize=True, max_examples=300)
@given(st.integers(min_value=1, max_value=5000), st.data())
def test_round_half_up_pct_matches_decimal_half_up(total, data):
    count = data.draw(st.integers(min_value=0, max_value=total))
    exact = (Decimal(count) * 100 / Decimal(total)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    assert round_half_up_pct(count, total) == float(exact)


def test_shares_are_rounded_independently_and_may_sum_to_100_1():
    tidy = three_goals({2021: results(on_target=15, below=1)})
    goal1 = assess(tidy, PLAN, 2021)["goals"][0]
    assert goal1["shares_pct"] == {"exceeded": 0.0, "on_target": 93.8, "below": 6.3}
    assert sum(goal1["shares_pct"].values()) == pytest.approx(100.1)


# ---------------------------------------------------------------- grading rule


@pytest.mark.parametrize(
    ("share", "grade"),
    [
        (100.0, "A"),
        (95.0, "A"),
        (94.9, "B"),
        (75.0, "B"),
        (74.9, "C"),
        (50.0, "C"),
        (49.9, "D"),
        (0.0, "D"),
        (None, None),
    ],
)
def test_progress_grade_at_and_around_each_threshold(share, grade):
    assert suggest_progress(PLAN, share) == grade


@pytest.mark.parametrize(
    ("min_year", "adjusted", "grade"),
    [
        (95.0, 95.0, "Ⅰ"),
        (94.9, 80.0, "Ⅱ"),
        (60.0, 80.0, "Ⅱ"),
        (60.0, 79.9, "Ⅲ"),
        (None, None, None),
    ],
)
def test_outlook_grade_at_and_around_each_threshold(min_year, adjusted, grade):
    assert suggest_outlook(PLAN, min_year, adjusted) == grade


@pytest.mark.parametrize(
    ("achieved", "below", "share", "grade"),
    [
        (3, 1, 75.0, "B"),  # exactly on the B threshold
        (749, 251, 74.9, "C"),  # just under it
        (1499, 501, 75.0, "B"),  # 74.95 prints as 75.0 and is judged as printed
        (19, 1, 95.0, "A"),
        (1, 1, 50.0, "C"),
        (499, 501, 49.9, "D"),
    ],
)
def test_assess_suggests_progress_from_the_printed_share(achieved, below, share, grade):
    tidy = three_goals({2021: results(on_target=achieved, below=below)})
    goal1 = assess(tidy, PLAN, 2021)["goals"][0]
    assert goal1["achieved_share_pct"] == share
    assert goal1["progress"]["suggested"] == grade
    assert goal1["progress"]["suggested_label"] == PLAN.progress_label(grade)


def test_outlook_one_needs_every_year_at_95_percent():
    good = {y: results(on_target=19, below=1) for y in PLAN.program_years}
    assert assess(three_goals(good), PLAN, 2021)["goals"][0]["outlook"]["suggested"] == "Ⅰ"
    dip = good | {2019: results(on_target=18, below=2)}
    goal1 = assess(three_goals(dip), PLAN, 2021)["goals"][0]
    assert goal1["rule_inputs"]["min_year_achieved_share_pct"] == 90.0
    assert goal1["outlook"]["suggested"] == "Ⅱ"


def test_outlook_counts_below_target_results_with_an_external_cause_as_achieved():
    # 10 results a year over 4 years; ids 1-1-01..04 below every year -> 60% achieved.
    history = {y: results(on_target=6, below=4)[::-1] for y in PLAN.program_years}
    plain = assess(three_goals(history), PLAN, 2021)["goals"][0]
    assert plain["rule_inputs"] == {
        "achieved_share_pct": 60.0,
        "min_year_achieved_share_pct": 60.0,
        "adjusted_share_pct": 60.0,
    }
    assert plain["outlook"]["suggested"] == "Ⅲ"
    assert plain["outlook"]["assumption"] is True

    covid = {f"1-1-{k:02d}": COVID for k in (1, 2)}
    adjusted = assess(three_goals(history, covid), PLAN, 2021)["goals"][0]
    assert adjusted["rule_inputs"]["adjusted_share_pct"] == 80.0
    assert adjusted["outlook"]["suggested"] == "Ⅱ"
    assert adjusted["external_cause"] == {"below": 4, "with_external_cause": 2, "share_pct": 50.0}


def test_grading_rule_text_is_generated_from_the_plan_values():
    rule = dataclasses.replace(
        PLAN.grading,
        progress_min_achieved_share={"A": 90.0, "B": 70.0, "C": 40.0, "D": 0.0},
        outlook_broadly_effective_adjusted_share=85.0,
    )
    text = assess(three_goals(ALL_YEARS_ON_TARGET), dataclasses.replace(PLAN, grading=rule), 2021)[
        "grading_rule"
    ]["text_ja"]
    assert text[1] == (
        "達成状況（提案）: 評価年度の達成割合が、90.0%以上なら「A 順調に進捗した」、"
        "70.0%以上なら「B 一定の進捗があった」、40.0%以上なら「C 進捗が遅れた」、"
        "それ未満は「D 進捗が大きく遅れた」。"
    )
    assert "85.0%以上なら「Ⅱ 概ね効果的な構成である」" in text[3]
    assert any("99.9〜100.1%" in line for line in text)


# ---------------------------------------------------------------- counts and blocks


def test_not_evaluated_is_counted_apart_and_left_out_of_the_shares():
    tidy = three_goals({2021: results(exceeded=1, on_target=2, below=1, not_evaluated=2)})
    goal1 = assess(tidy, PLAN, 2021)["goals"][0]
    assert goal1["initiatives"] == 6
    assert goal1["counts"] == {"exceeded": 1, "on_target": 2, "below": 1, "not_evaluated": 2}
    assert goal1["shares_pct"] == {"exceeded": 25.0, "on_target": 50.0, "below": 25.0}


def test_nothing_evaluated_gives_none_shares_and_no_suggested_grade():
    tidy = three_goals({2021: results(not_evaluated=3)})
    goal1 = assess(tidy, PLAN, 2021)["goals"][0]
    assert goal1["shares_pct"] == {"exceeded": None, "on_target": None, "below": None}
    assert goal1["progress"]["suggested"] is None
    assert goal1["progress"]["final"] is None


def test_program_directions_and_external_cause_for_the_evaluated_year():
    tidy = tidy_from(
        {
            (1, 1): {2020: results(below=2), 2021: results(on_target=1, below=1)},
            (1, 2): {2020: results(on_target=2), 2021: results(exceeded=1, below=1)},
            (2, 3): {2020: results(on_target=1), 2021: results(on_target=1)},
        },
        reasons={"1-1-02": COVID, "1-2-02": "予算の制約のため"},
    )
    result = assess(tidy, PLAN, 2021)
    assert result["program"]["counts"] == {
        "exceeded": 1,
        "on_target": 2,
        "below": 2,
        "not_evaluated": 0,
    }
    assert result["program"]["shares_pct"] == {"exceeded": 20.0, "on_target": 40.0, "below": 40.0}
    assert result["external_cause"] == {
        "label": "新型コロナウイルス感染症の影響",
        "below": 2,
        "with_external_cause": 1,
        "share_pct": 50.0,
    }
    goal1 = result["goals"][0]
    assert [
        (d["direction"], d["initiatives"], d["counts"]["below"]) for d in goal1["directions"]
    ] == [
        (1, 2, 1),
        (2, 2, 1),
        (3, 0, 0),
    ]
    assert goal1["below_target"] == [
        {
            "initiative_id": "1-1-02",
            "name": "取組1-1-02",
            "direction": 1,
            "bureau": "総務企画局",
            "reason": COVID,
            "external_cause": True,
        },
        {
            "initiative_id": "1-2-02",
            "name": "取組1-2-02",
            "direction": 2,
            "bureau": "総務企画局",
            "reason": "予算の制約のため",
            "external_cause": False,
        },
    ]
    # goal 3 has no records at all: zero counts, no shares, no grade
    goal3 = result["goals"][2]
    assert goal3["initiatives"] == 0
    assert goal3["progress"]["suggested"] is None


def test_interim_year_stops_by_year_and_periods_at_that_year():
    tidy = three_goals({y: results(on_target=3, below=1) for y in PLAN.program_years})
    result = assess(tidy, PLAN, 2018)
    assert result["evaluation"] == "interim"
    assert [(b["goal"], b["fiscal_year"]) for b in result["by_year"]] == [
        (1, 2018),
        (2, 2018),
        (3, 2018),
    ]
    assert [b["fiscal_year"] for b in result["program_by_year"]] == [2018]
    assert [(p["name"], p["fiscal_years"]) for p in result["goals"][0]["periods"]] == [
        ("新型コロナウイルス感染症の影響前", [2018])
    ]
    result_2020 = assess(tidy, PLAN, 2020)
    assert [p["fiscal_years"] for p in result_2020["goals"][0]["periods"]] == [[2018, 2019], [2020]]
    assert result_2020["goals"][0]["periods"][1]["counts"]["below"] == 1
    # the program pools every goal: 3 goals x 2 years x 4 initiatives, 3 of 4 of goal 1's achieved
    before, after = assess(tidy, PLAN, 2021)["program_periods"]
    assert before["counts"] == {"exceeded": 0, "on_target": 22, "below": 2, "not_evaluated": 0}
    assert before["achieved_share_pct"] == 91.7
    assert after["fiscal_years"] == [2020, 2021]
    assert assess(tidy, PLAN, 2021)["evaluation"] == "final"


def test_initiatives_list_every_initiative_with_its_years_up_to_the_evaluated_one():
    tidy = tidy_from(
        {
            (1, 2): {2018: ["on_target", "below"], 2019: ["exceeded", "below"]},
            (2, 1): {2018: ["not_evaluated"], 2019: ["on_target"], 2020: ["below"]},
        },
        reasons={"1-2-02": "予算の制約のため $5"},
    )
    result = assess(tidy, PLAN, 2019)
    assert result["initiatives"] == [
        {
            "initiative_id": "1-2-01",
            "name": "取組1-2-01",
            "goal": 1,
            "direction": 2,
            "bureau": "総務企画局",
            "achievements": {"2018": "on_target", "2019": "exceeded"},
            "reason": None,
            "former_ids": [],
        },
        {
            "initiative_id": "1-2-02",
            "name": "取組1-2-02",
            "goal": 1,
            "direction": 2,
            "bureau": "総務企画局",
            "achievements": {"2018": "below", "2019": "below"},
            "reason": "予算の制約のため $5",
            "former_ids": [],
        },
        {
            "initiative_id": "2-1-01",
            "name": "取組2-1-01",
            "goal": 2,
            "direction": 1,
            "bureau": "総務企画局",
            "achievements": {"2018": "not_evaluated", "2019": "on_target"},
            "reason": None,
            "former_ids": [],
        },
    ]
    json.dumps(result.to_dict()["initiatives"])  # plain JSON


# ---------------------------------------------------------------- judgements


def test_without_judgements_final_is_the_suggestion():
    result = assess(three_goals({2021: results(on_target=3, below=1)}), PLAN, 2021)
    assert result["judgements_present"] is False
    assert result["goals"][0]["progress"] == {
        "suggested": "B",
        "final": "B",
        "suggested_label": "一定の進捗があった",
        "final_label": "一定の進捗があった",
        "source": "suggested",
        "differs": False,
        "reason": None,
        "assumption": False,
        "suggested_assumption": False,
        "final_assumption": False,
    }
    assert result["overall"]["progress"] == result["program"]["progress"]
    assert result["overall"]["statement"] is None
    assert result["overall"]["context"]["text"] is None


def test_committee_grade_overrides_and_is_flagged_when_it_differs():
    judged = supplements(
        judgements=[
            {
                "fiscal_year": 2021,
                "goal": 1,
                "progress": "C",
                "outlook": None,
                "reason": "委員会の理由",
            },
            {"fiscal_year": 2021, "goal": None, "progress": "B", "outlook": None, "reason": "総評"},
        ]
    )
    result = assess(three_goals({2021: results(on_target=3, below=1)}), PLAN, 2021, judged)
    goal1 = result["goals"][0]
    assert result["judgements_present"] is True
    assert goal1["progress"] == {
        "suggested": "B",
        "final": "C",
        "suggested_label": "一定の進捗があった",
        "final_label": "進捗が遅れた",
        "source": "committee",
        "differs": True,
        "reason": "委員会の理由",
        "assumption": False,
        "suggested_assumption": False,
        "final_assumption": False,
    }
    # no committee outlook: the suggestion stands
    assert goal1["outlook"]["source"] == "suggested"
    assert goal1["outlook"]["final"] == goal1["outlook"]["suggested"]
    # goal 2 has no judgement row
    assert result["goals"][1]["progress"]["source"] == "suggested"
    assert result["overall"]["statement"] == "総評"
    assert result["overall"]["progress"]["source"] == "committee"


def test_judgements_of_another_year_are_not_used():
    judged = supplements(
        judgements=[
            {"fiscal_year": 2020, "goal": 1, "progress": "D", "outlook": "Ⅲ", "reason": "x"}
        ]
    )
    result = assess(three_goals({2021: results(on_target=4)}), PLAN, 2021, judged)
    assert result["judgements_present"] is False
    assert result["goals"][0]["progress"]["final"] == "A"
    assert result["goals"][0]["progress"]["assumption"] is True
    assert result["goals"][0]["progress"]["final_assumption"] is True  # A is not published


# ---------------------------------------------------------------- highlights, indicators


def test_highlights_up_to_the_evaluated_year_and_indicators_of_that_year():
    extras = supplements(
        highlights=[
            {"fiscal_year": 2021, "goal": 1, "direction": 2, "initiative": "事業B", "result": "後"},
            {"fiscal_year": 2019, "goal": 1, "direction": 1, "initiative": "事業A", "result": "前"},
            {"fiscal_year": 2019, "goal": 2, "direction": 1, "initiative": "事業C", "result": "他"},
        ],
        indicators=[
            {"goal": 1, "name": "件数", "unit": "件", "better": "higher", "baseline": 10,
             "fiscal_year": 2020, "target": 40, "actual": 30, "illustrative": True},
            {"goal": 1, "name": "排出量", "unit": "t", "better": "lower", "baseline": 2.5,
             "fiscal_year": 2020, "target": 2, "actual": 2.5, "illustrative": False},
            {"goal": 1, "name": "件数", "unit": "件", "better": "higher", "baseline": 10,
             "fiscal_year": 2021, "target": 50, "actual": None, "illustrative": True},
        ],
    )  # fmt: skip
    tidy = three_goals({y: results(on_target=2) for y in PLAN.program_years})
    goal1 = assess(tidy, PLAN, 2020, extras)["goals"][0]
    assert goal1["highlights"] == [{"direction": 1, "initiative": "事業A", "result": "前"}]
    assert goal1["indicators"] == [
        {"name": "件数", "unit": "件", "better": "higher", "baseline": 10, "target": 40,
         "actual": 30, "achievement_rate_pct": 75.0, "achieved": False, "illustrative": True},
        {"name": "排出量", "unit": "t", "better": "lower", "baseline": 2.5, "target": 2,
         "actual": 2.5, "achievement_rate_pct": 80.0, "achieved": False, "illustrative": False},
    ]  # fmt: skip
    goal1_2021 = assess(tidy, PLAN, 2021, extras)["goals"][0]
    assert [h["initiative"] for h in goal1_2021["highlights"]] == ["事業A", "事業B"]
    assert goal1_2021["indicators"][0]["achievement_rate_pct"] is None
    assert goal1_2021["indicators"][0]["achieved"] is None


@pytest.mark.parametrize(
    ("target", "actual", "better", "rate"),
    [
        (190, 196, "higher", 103.2),
        (380, 28, "higher", 7.4),
        (22.0, 22.0, "lower", 100.0),
        (2200, 2150, "lower", 102.3),
        (8, 1, "higher", 12.5),
        (0, 5, "higher", None),
        (10, None, "higher", None),
    ],
)
def test_indicator_achievement_rate(target, actual, better, rate):
    assert achievement_rate_pct(target, actual, better) == rate


# ---------------------------------------------------------------- output form and errors


def test_output_is_plain_json_and_deterministic():
    tidy = three_goals({y: results(on_target=3, below=1) for y in PLAN.program_years})
    rejected = pd.DataFrame(
        [
            {"file": "a.csv", "row": 5, "column": "2021年度", "value": "x", "reason": "bad"},
            {"file": "a.csv", "row": 5, "column": "基本目標", "value": "9", "reason": "bad"},
        ]
    ).assign(initiative_id=pd.array(["K1", "K1"], dtype="string"), name=pd.NA)
    first = assess(tidy, PLAN, 2021, rejected=rejected)
    assert first.to_json() == assess(tidy, PLAN, 2021, rejected=rejected).to_json()
    assert Assessment.from_json(first.to_json()) == first
    assert first["data_quality"]["rejected_rows"] == 1
    assert first["data_quality"]["rejected"][0] == {
        "file": "a.csv",
        "row": 5,
        "initiative_id": "K1",
        "name": None,
        "column": "2021年度",
        "value": "x",
        "reason": "bad",
    }


def test_unknown_fiscal_year_is_refused_before_reading_records(tmp_path):
    with pytest.raises(UnknownFiscalYearError) as caught:
        assess_records(tmp_path / "no-such-folder", fiscal_year=2030)
    assert caught.value.exit_code == 2
    assert str(caught.value) == (
        "--fiscal-year 2030 は第２期実行プログラムの年度ではありません。"
        "指定できる年度: 2018, 2019, 2020, 2021"
    )


def test_cli_unknown_fiscal_year_exits_2_naming_allowed_years(tmp_path, capsys):
    code = main(["assess", "--fiscal-year", "2017", "--json", "--raw", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert "指定できる年度: 2018, 2019, 2020, 2021" in captured.err
    assert "Traceback" not in captured.err


def test_data_quality_names_the_initiative_of_each_rejected_row():
    from pathlib import Path

    raw = Path(__file__).parent / "fixtures" / "clean" / "with_rejects"
    quality = assess_records(raw, 2021, allow_rejects=True)["data_quality"]
    assert quality["rejected_rows"] == 11
    by_row = {(r["file"], r["row"]): r for r in quality["rejected"]}
    assert by_row[("initiatives_a.csv", 3)] == {
        "file": "initiatives_a.csv",
        "row": 3,
        "initiative_id": "A2",
        "name": "基本目標が計画にない",
        "column": "基本目標",
        "value": "4",
        "reason": "基本目標 4 は計画にありません。1、2、3 のいずれかを入力してください",
    }
    assert (
        by_row[("initiatives_a.csv", 8)]["initiative_id"],
        by_row[("initiatives_a.csv", 8)]["name"],
    ) == (None, "番号がない")
    assert (
        by_row[("initiatives_a.csv", 9)]["initiative_id"],
        by_row[("initiatives_a.csv", 9)]["name"],
    ) == ("A7", None)
