"""Sentences drafted from the figures: 約N割, which categories a goal's sentence names, words of
change, periods or years, the program's year, directions with their verdicts, grades in words."""

from __future__ import annotations

import dataclasses

import pytest
from test_assessing import results, tidy_from

from kawaeval.evaluation import drafting
from kawaeval.evaluation.assessing import assess
from kawaeval.plan import Period, load_plan

PLAN = load_plan()
NO_PERIODS = dataclasses.replace(PLAN, periods=())


def on_target_years(overrides: dict[int, list[str]] | None = None) -> dict[int, list[str]]:
    """Every program year all on target, but for the years given."""
    years = {y: results(on_target=10) for y in PLAN.program_years}
    years.update(overrides or {})
    return years


def three_goals(goal1: dict[int, list[str]], plan=PLAN, year=2021):
    spec = {(1, 1): goal1, (2, 1): on_target_years(), (3, 1): on_target_years()}
    return assess(tidy_from(spec), plan, year)


@pytest.mark.parametrize(
    ("share", "words"),
    [
        (90.6, "約９割"),
        (81.3, "約８割"),
        (91.2, "約９割"),
        (60.3, "約６割"),
        (39.7, "約４割"),
        (99.2, "約10割"),
        (89.0, "約９割"),
        (80.7, "約８割"),
        (75.0, "約８割"),  # half-up on the printed share
        (74.9, "約７割"),
        (95.0, "約10割"),
        (5.0, "約１割"),
        (4.9, "１割未満"),
        (0.0, "１割未満"),
    ],
)
def test_approx_share_is_the_printed_share_to_the_nearest_tenth(share, words):
    assert drafting.approx_text(share) == words


def test_a_goal_with_results_above_target_names_both_achieved_categories_together():
    goal1 = on_target_years(
        {
            2018: results(exceeded=1, on_target=8, below=1),
            2019: results(on_target=9, below=1),
            2020: results(on_target=8, below=2),
            2021: results(on_target=8, below=2),
        }
    )
    text = three_goals(goal1).goal(1).achievement_text.text
    assert text == (
        "平成30(2018)年度及び令和元(2019)年度の達成度の状況は、「目標を上回った」と"
        "「ほぼ目標どおり」を合わせると約９割となったが、令和２(2020)年度及び令和３(2021)年度"
        "の達成度の状況は、「目標を上回った」と「ほぼ目標どおり」を合わせると約８割とやや落ち"
        "込んだ。"
    )


def test_otherwise_the_main_category_alone_and_a_large_below_share_beside_it():
    goal1 = on_target_years(
        {
            2018: results(on_target=9, below=1),
            2019: results(on_target=9, below=1),
            2020: results(on_target=6, below=4),
            2021: results(on_target=6, below=4),
        }
    )
    text = three_goals(goal1).goal(1).achievement_text.text
    assert text == (
        "平成30(2018)年度及び令和元(2019)年度の達成度の状況は、「ほぼ目標どおり」が約９割と"
        "なったが、令和２(2020)年度及び令和３(2021)年度の達成度の状況は、「ほぼ目標どおり」が"
        "約６割、「目標を下回った」が約４割と「目標を下回った」が増加した。"
    )


def test_words_of_change_follow_the_change_in_tenths():
    def sentence(before: int, after: int) -> str:
        goal1 = {
            2018: results(on_target=before, below=10 - before),
            2019: results(on_target=before, below=10 - before),
            2020: results(on_target=after, below=10 - after),
            2021: results(on_target=after, below=10 - after),
        }
        return three_goals(goal1).goal(1).achievement_text.text

    assert sentence(9, 9).endswith("の達成度の状況も、「ほぼ目標どおり」が約９割と同程度となった。")
    assert "となり、" in sentence(9, 9)
    assert sentence(9, 8).endswith("約８割とやや落ち込んだ。")
    assert sentence(10, 8).endswith("約８割と落ち込んだ。")
    # a fall of three tenths or more leaves 約３割 below target: that category is named
    assert sentence(9, 6).endswith("「目標を下回った」が約４割と「目標を下回った」が増加した。")
    assert sentence(8, 9).endswith("約９割とやや向上した。")
    assert sentence(8, 10).endswith("約10割と向上した。")
    assert sentence(6, 10).endswith("約10割と大きく向上した。")


def test_the_categories_named_in_a_period_never_add_up_to_more_than_ten_tenths():
    """75.0 % and 25.0 % are each half-up 約８割 and 約３割; together they read 約８割 and 約２割,
    and 約２割 is too small to be named."""
    goal1 = {
        2018: results(on_target=10),
        2019: results(on_target=10),
        2020: results(on_target=6, below=2),
        2021: results(on_target=6, below=2),
    }
    text = three_goals(goal1).goal(1).achievement_text.text
    assert text.endswith("の達成度の状況は、「ほぼ目標どおり」が約８割と落ち込んだ。")
    span = drafting.Span((2020,), *_counts_and_shares(75.0, 25.0))
    assert drafting.tenths_of(span, ("on_target",)) == {
        ("on_target",): 8,
        ("below",): 2,
        ("exceeded",): 0,
    }


def _counts_and_shares(on_target: float, below: float):
    from kawaeval.evaluation.model import Counts, Shares

    counts = Counts(exceeded=0, on_target=3, below=1, not_evaluated=0)
    return counts, Shares(exceeded=0.0, on_target=on_target, below=below), on_target


def test_a_plan_without_periods_writes_a_sentence_per_year():
    goal1 = {
        2018: results(on_target=10),
        2019: results(on_target=10),
        2020: results(on_target=8, below=2),
        2021: results(on_target=9, below=1),
    }
    text = three_goals(goal1, NO_PERIODS).goal(1).achievement_text.text
    assert text == (
        "平成30(2018)年度の達成度の状況は、「ほぼ目標どおり」が約10割となった。"
        "令和元(2019)年度の達成度の状況は、「ほぼ目標どおり」が約10割と同程度となった。"
        "令和２(2020)年度の達成度の状況は、「ほぼ目標どおり」が約８割と落ち込んだ。"
        "令和３(2021)年度の達成度の状況は、「ほぼ目標どおり」が約９割とやや向上した。"
    )


def test_an_interim_year_writes_the_periods_so_far():
    goal1 = {2018: results(on_target=9, below=1), 2019: results(on_target=10)}
    spec = {(1, 1): goal1, (2, 1): goal1, (3, 1): goal1}
    assessment = assess(tidy_from(spec), PLAN, 2019)
    assert assessment.goal(1).achievement_text.text == (
        "平成30(2018)年度及び令和元(2019)年度の達成度の状況は、「ほぼ目標どおり」が約10割となった。"
    )
    assert assessment.program.achievement_text.text == (
        "第２期実行プログラム計画期間中の令和元(2019)年度の各取組の達成度については、"
        "「ほぼ目標どおり」の割合が約10割となった。"
    )


def test_three_periods_and_three_years_in_one_period():
    plan = dataclasses.replace(
        PLAN,
        periods=(
            Period("前期", (2018, 2019, 2020)),
            Period("後期", (2021,)),
        ),
    )
    goal1 = on_target_years({2021: results(on_target=7, below=3)})
    text = three_goals(goal1, plan).goal(1).achievement_text.text
    assert text.startswith("平成30(2018)年度、令和元(2019)年度及び令和２(2020)年度の")
    assert text.endswith(
        "令和３(2021)年度の達成度の状況は、「ほぼ目標どおり」が約７割、"
        "「目標を下回った」が約３割と「目標を下回った」が増加した。"
    )


def test_the_programs_sentence_is_about_the_evaluated_year():
    goal1 = on_target_years({2021: results(exceeded=2, on_target=5, below=3)})
    assessment = three_goals(goal1)
    # 2 + 5 + 20 achieved of 30: 90.0%
    assert assessment.program.achievement_text.text == (
        "第２期実行プログラム計画期間終了時点に当たる令和３(2021)年度の各取組の達成度については、"
        "「目標を上回った」と「ほぼ目標どおり」を合わせた割合が約９割となった。"
    )


def test_a_directions_text_states_its_figures_and_ends_with_its_verdict():
    goal1 = on_target_years({2021: results(exceeded=1, on_target=5, below=3, not_evaluated=1)})
    direction = three_goals(goal1).goal(1).direction(1)
    assert direction.achieved_share_pct == 66.7
    assert direction.progress.suggested == "C"
    assert direction.narrative.text == (
        "令和３(2021)年度は、取組９件（「評価対象外」の１件を除く）のうち「目標を上回った」が１件、"
        "「ほぼ目標どおり」が５件、「目標を下回った」が３件で、「目標を上回った」と"
        "「ほぼ目標どおり」を合わせた割合は約７割となったことから、当初の予定よりも進捗は遅れた。"
    )
    assert direction.narrative.drafted and direction.narrative.source == "rule"
    other = three_goals(on_target_years()).goal(2).direction(1)
    assert other.narrative.text == (
        "令和３(2021)年度は、取組10件すべてが「ほぼ目標どおり」となったことから、順調に進捗した。"
    )


@pytest.mark.parametrize(
    ("share", "verdict"),
    [(100.0, "A"), (99.9, "B"), (70.0, "B"), (69.9, "C"), (40.0, "C"), (39.9, "D"), (0.0, "D")],
)
def test_the_direction_rule_at_and_around_each_threshold(share, verdict):
    from kawaeval.evaluation.grading import suggest_direction

    assert suggest_direction(PLAN, share) == verdict
    assert suggest_direction(PLAN, None) is None
    assert suggest_direction(dataclasses.replace(PLAN, direction_rule=None), share) is None


def test_without_a_direction_rule_no_verdict_is_suggested_and_the_text_has_none():
    plan = dataclasses.replace(PLAN, direction_rule=None)
    direction = three_goals(on_target_years(), plan).goal(1).direction(1)
    assert direction.progress.suggested is None and direction.progress.final is None
    assert direction.narrative.text == (
        "令和３(2021)年度は、取組10件すべてが「ほぼ目標どおり」となった。"
    )


def test_grades_in_words_for_a_goal_and_for_all_goals():
    assessment = three_goals(on_target_years({2021: results(on_target=6, below=4)}))
    assert assessment.goal(1).grades_text.text == (
        "これらの結果、基本目標１の達成状況は「Ｃ 進捗が遅れた」とした。"
        "今後の方向性（今後の取組構成の妥当性）は、「Ⅱ 概ね効果的な構成である」とした。"
    )
    names = {g.goal: g.name for g in PLAN.goals}
    # goals of one grade together, the best grade first
    assert assessment.overall.goals_text.text == (
        f"達成状況は、基本目標２「{names[2]}」及び基本目標３「{names[3]}」を「Ａ 順調に進捗した」、"
        f"基本目標１「{names[1]}」を「Ｃ 進捗が遅れた」とした。"
        f"今後の方向性（今後の取組構成の妥当性）は、基本目標２「{names[2]}」及び基本目標３"
        f"「{names[3]}」を「Ⅰ 効果的な構成である」、基本目標１「{names[1]}」を"
        "「Ⅱ 概ね効果的な構成である」とした。"
    )
    same = three_goals(on_target_years())
    assert same.overall.goals_text.text == (
        "達成状況は、３つの基本目標すべてにおいて「Ａ 順調に進捗した」とした。"
        "今後の方向性（今後の取組構成の妥当性）は、３つの基本目標すべてにおいて"
        "「Ⅰ 効果的な構成である」とした。"
    )


def test_a_committee_text_replaces_the_draft_and_keeps_it():
    text = drafting.compose("文案です。", "委員会の文です。", "シート セル A1")
    assert text.to_dict() == {
        "text": "委員会の文です。",
        "draft": "文案です。",
        "drafted": False,
        "source": "committee",
        "supplied_by": "シート セル A1",
    }
    assert drafting.compose("文案です。", None).drafted is True
    assert drafting.compose(None, None).to_dict() == {
        "text": None,
        "draft": None,
        "drafted": False,
        "source": None,
        "supplied_by": None,
    }
