"""Back-test: the sample records reproduce every figure and grade the city published.

Everything goes through the public command line (``kawaeval assess --json`` and
``kawaeval clean``); expected values are read from published_figures.json.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO

from kawaeval.cli import main

SHARED_FIGURES = REPO.parent / "shared" / "reference" / "published_figures.json"
FIXTURE_FIGURES = Path(__file__).parent / "fixtures" / "published_figures.json"
FIGURES_PATH = SHARED_FIGURES if SHARED_FIGURES.is_file() else FIXTURE_FIGURES
PUBLISHED = json.loads(FIGURES_PATH.read_text(encoding="utf-8"))
PROGRAM_YEARS = PUBLISHED["document"]["program_fiscal_years"]
FINAL_YEAR = PUBLISHED["document"]["evaluation_fiscal_year"]


def run_cli(args: list[str]) -> str:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    assert code == 0, err.getvalue()
    return out.getvalue()


@pytest.fixture(scope="module")
def assessments() -> dict[int, dict]:
    return {
        year: json.loads(run_cli(["assess", "--fiscal-year", str(year), "--json"]))
        for year in PROGRAM_YEARS
    }


@pytest.fixture(scope="module")
def final(assessments) -> dict:
    return assessments[FINAL_YEAR]


@pytest.fixture(scope="module")
def tidy(tmp_path_factory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("processed")
    run_cli(["clean", "--out", str(out)])
    return pd.read_csv(out / "achievements.csv", encoding="utf-8-sig", dtype=str)


def goal_of(assessment: dict, goal: int) -> dict:
    return next(g for g in assessment["goals"] if g["goal"] == goal)


def test_program_counts_and_shares(final):
    published = PUBLISHED["program_distribution_fy2021"]
    assert final["fiscal_year"] == FINAL_YEAR
    assert final["program"]["initiatives"] == PUBLISHED["structure"]["initiatives_total"]
    counts = final["program"]["counts"]
    assert {k: counts[k] for k in published["counts"]} == published["counts"]
    assert final["program"]["shares_pct"] == published["shares_pct_1dp"]
    achieved = (counts["exceeded"] + counts["on_target"]) / final["program"]["initiatives"]
    assert abs(achieved - published["exceeded_plus_on_target_approx_share"]) <= 0.05


def test_goal_initiative_counts_and_structure(final):
    for goal in PUBLISHED["structure"]["goals"]:
        block = goal_of(final, goal["goal"])
        assert block["initiatives"] == goal["initiatives"]
        assert block["name"] == goal["name_ja"]
        assert [(d["direction"], d["name"]) for d in block["directions"]] == [
            (d["direction"], d["name_ja"]) for d in goal["directions"]
        ]
    assert sum(g["initiatives"] for g in final["goals"]) == final["program"]["initiatives"]
    labels = final["plan"]["achievement_labels"]
    assert {k: labels[k] for k in PUBLISHED["achievement_categories_ja"]} == PUBLISHED[
        "achievement_categories_ja"
    ]
    assert final["plan"]["vision"] == PUBLISHED["document"]["vision_ja"]


@pytest.mark.parametrize(
    "statement",
    PUBLISHED["goal_year_shares_approx"],
    ids=lambda s: f"goal{s['goal']}-{s['fiscal_years'][0]}-{s['measure']}",
)
def test_goal_year_shares_within_published_tolerance(final, statement):
    rows = [
        b
        for b in final["by_year"]
        if b["goal"] == statement["goal"] and b["fiscal_year"] in statement["fiscal_years"]
    ]
    assert len(rows) == len(statement["fiscal_years"])
    pooled = {k: sum(r["counts"][k] for r in rows) for k in ("exceeded", "on_target", "below")}
    measured = sum(pooled[k] for k in statement["measure"].split("+")) / sum(pooled.values())
    if statement["approx_share"] == 1.0:
        assert measured >= 0.95
    else:
        assert abs(measured - statement["approx_share"]) <= 0.05


@pytest.mark.parametrize("published", PUBLISHED["goal_grades"], ids=lambda g: f"goal{g['goal']}")
def test_goal_grades_final_and_suggested(final, published):
    block = goal_of(final, published["goal"])
    for key, grade, label in (
        ("progress", published["status"], published["status_ja"]),
        ("outlook", published["direction"], published["direction_ja"]),
    ):
        assert block[key]["suggested"] == grade
        assert block[key]["final"] == grade
        assert block[key]["suggested_label"] == label
        assert block[key]["final_label"] == label
        assert block[key]["source"] == "committee"
        assert block[key]["differs"] is False
        assert block[key]["assumption"] is False


def test_overall_statement_and_grade(final):
    assert final["judgements_present"] is True
    assert final["overall"]["statement"]
    assert final["overall"]["progress"]["final"] == "B"
    assert final["overall"]["progress"]["suggested"] == "B"


def test_named_initiatives_are_recorded_under_their_goal(tidy):
    named = PUBLISHED["main_results"] + PUBLISHED["named_initiatives_other"]
    goals_by_name = tidy.groupby("name")["goal"].agg(lambda s: sorted(set(s)))
    for item in named:
        assert goals_by_name[item["initiative_ja"]] == [str(item["goal"])]


def test_main_results_appear_as_highlights_of_their_goal(final):
    for item in PUBLISHED["main_results"]:
        highlights = goal_of(final, item["goal"])["highlights"]
        assert item["initiative_ja"] in [h["initiative"] for h in highlights]


@pytest.mark.parametrize("year", [2020, 2021])
def test_tourism_below_target_in_2020_and_2021(assessments, year):
    other = PUBLISHED["named_initiatives_other"][0]
    below = goal_of(assessments[year], other["goal"])["below_target"]
    tourism = [b for b in below if b["name"] == other["initiative_ja"]]
    assert len(tourism) == 1
    assert tourism[0]["external_cause"] is True


def test_fy2021_below_target_results_are_mostly_covid(final):
    external = final["external_cause"]
    assert external["below"] == PUBLISHED["program_distribution_fy2021"]["counts"]["below"]
    assert external["with_external_cause"] / external["below"] > 0.5
    assert external["label"] == "新型コロナウイルス感染症の影響"


def test_every_program_year_is_assessed_with_by_year_up_to_it(assessments):
    for year, assessment in assessments.items():
        assert assessment["fiscal_year"] == year
        assert assessment["evaluation"] == ("final" if year == FINAL_YEAR else "interim")
        years = [y for y in PROGRAM_YEARS if y <= year]
        assert sorted({b["fiscal_year"] for b in assessment["by_year"]}) == years
        assert [b["fiscal_year"] for b in assessment["program_by_year"]] == years
        assert assessment["data_quality"] == {
            "rejected_rows": 0,
            "rejected": [],
            "warnings": [],
        }
    # the committee judged the final year only: interim years show the suggestion as final
    assert assessments[2018]["judgements_present"] is False
    assert goal_of(assessments[2018], 1)["progress"]["source"] == "suggested"


# The words of the published direction statements (the summary writes them at the end of each
# 〇取組の方向性 paragraph: 「…など、一定の進捗があった。」「…当初の予定よりも進捗は遅れた。」).
DIRECTION_WORDS = {
    "some progress": "一定の進捗があった",
    "behind plan": "当初の予定よりも進捗は遅れた",
}


@pytest.mark.parametrize(
    "statement",
    PUBLISHED["direction_progress_statements"],
    ids=lambda s: f"goal{s['goal']}-direction{s['direction']}",
)
def test_direction_verdicts_suggested_and_final(final, statement):
    block = goal_of(final, statement["goal"])
    direction = next(d for d in block["directions"] if d["direction"] == statement["direction"])
    progress = direction["progress"]
    words = DIRECTION_WORDS[statement["progress"]]
    assert progress["suggested_label"] == words
    assert progress["final_label"] == words
    # the sample's judgements.csv has no direction rows: the suggestion stands, shown as such
    assert progress["source"] == "suggested"
    assert progress["differs"] is False
    assert progress["assumption"] is False
    # the drafted text of the direction ends with its verdict, as the city's paragraph does
    assert direction["narrative"]["drafted"] is True
    assert direction["narrative"]["text"].endswith(f"{words}。")


def test_direction_counts_by_year_add_up_to_the_goals(assessments):
    for assessment in assessments.values():
        for block in assessment["goals"]:
            goal_rows = [r for r in assessment["by_year"] if r["goal"] == block["goal"]]
            for i, row in enumerate(goal_rows):
                summed = {
                    k: sum(d["by_year"][i]["counts"][k] for d in block["directions"])
                    for k in row["counts"]
                }
                assert summed == row["counts"]
                assert {d["by_year"][i]["fiscal_year"] for d in block["directions"]} == {
                    row["fiscal_year"]
                }


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def approx_words(share: float) -> str:
    """約N割 with N as the city writes it: ９割 (one digit full-width), 10割."""
    tenths = round(share * 10)
    return f"約{str(tenths).translate(FULL_WIDTH) if tenths < 10 else tenths}割"


def era(year: int) -> str:
    n = year - 2018 if year >= 2019 else year - 1988
    number = "元" if n == 1 else str(n).translate(FULL_WIDTH) if n < 10 else str(n)
    return f"{'令和' if year >= 2019 else '平成'}{number}({year})年度"


@pytest.mark.parametrize(
    "statement",
    PUBLISHED["goal_year_shares_approx"],
    ids=lambda s: f"goal{s['goal']}-{s['fiscal_years'][0]}-{s['measure']}",
)
def test_each_published_share_is_in_the_goals_drafted_sentence(final, statement):
    """約N割 of that goal, period and measure, with the city's N, in the draft of the goal's
    〇各取組の達成度の状況: the clause of the period (its years) names the measure."""
    text = goal_of(final, statement["goal"])["achievement_text"]
    assert text["drafted"] is True and text["source"] == "rule"
    sentence = text["text"]
    years = "及び".join(era(y) for y in statement["fiscal_years"])
    clauses = sentence.split("の達成度の状況")
    starts = [i for i, c in enumerate(clauses[:-1]) if c.endswith(years)]
    assert len(starts) == 1, sentence
    clause = clauses[starts[0] + 1]
    short = final["plan"]["achievement_short_labels"]
    words = approx_words(statement["approx_share"])
    if statement["measure"] == "exceeded+on_target":
        phrase = f"「{short['exceeded']}」と「{short['on_target']}」を合わせると{words}"
    else:
        phrase = f"「{short[statement['measure']]}」が{words}"
    assert phrase in clause, (phrase, clause)


def test_the_programs_sentence_states_the_published_share(final):
    published = PUBLISHED["program_distribution_fy2021"]
    text = final["program"]["achievement_text"]["text"]
    short = final["plan"]["achievement_short_labels"]
    words = approx_words(published["exceeded_plus_on_target_approx_share"])
    assert (
        f"{era(FINAL_YEAR)}の各取組の達成度については、"
        f"「{short['exceeded']}」と「{short['on_target']}」を合わせた割合が{words}"
    ) in text
    # the evaluated year, the program's last: 計画期間終了時点, as the summary says
    assert text.startswith(f"{PUBLISHED['document']['program_ja']}計画期間終了時点に当たる")


def test_the_short_labels_are_the_ones_the_summary_quotes(final):
    seed = SHARED_FIGURES.parent.parent / "seed"
    texts = "".join(p.read_text(encoding="utf-8") for p in sorted(seed.glob("*.txt")))
    if not texts:
        pytest.skip("no shared/seed beside the checkout")
    short = final["plan"]["achievement_short_labels"]
    for key in ("exceeded", "on_target", "below"):
        assert f"「{short[key]}」" in texts


@pytest.mark.skipif(not SHARED_FIGURES.is_file(), reason="no shared/ folder beside the checkout")
def test_committed_copy_of_the_published_figures_is_the_shared_reference():
    assert FIXTURE_FIGURES.read_bytes() == SHARED_FIGURES.read_bytes()
