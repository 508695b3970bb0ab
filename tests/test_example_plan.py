"""Any plan: the example plan in docs/examples/ builds a report with none of Kawasaki's words."""

import tomllib

import openpyxl
import pytest
from bs4 import BeautifulSoup
from conftest import REPO

from kawaeval import cli
from kawaeval.api import assess
from kawaeval.paths import BUNDLED_PLAN
from kawaeval.plan import load_plan
from kawaeval.records.supplements import FILE_STEMS

EXAMPLE = REPO / "docs" / "examples" / "midori-machi"
# Words that name Kawasaki's plan or its context without being a field of plan.toml.
KAWASAKI_CONTEXT = ("川崎", "国際", "グローバル", "コロナ", "感染症", "実行プログラム")


def kawasaki_words() -> set[str]:
    """Every plan-specific word of the bundled Kawasaki plan, read from its plan.toml."""
    data = tomllib.loads(BUNDLED_PLAN.read_text(encoding="utf-8"))
    plan = data["plan"]
    words = {plan[k] for k in ("city", "name", "program", "vision", "vision_subtitle")}
    for goal in data["goals"]:
        words |= {goal["name"], goal["policy"], *(d["name"] for d in goal["directions"])}
    words |= set(data["achievement_labels"].values())
    words |= {g["label"] for g in (*data["progress_grades"], *data["outlook_grades"])}
    words |= {p["name"] for p in data.get("periods", [])}
    words |= {data["grading"]["external_cause_label"], *data["grading"]["external_cause_keywords"]}
    return words | set(KAWASAKI_CONTEXT)


@pytest.fixture(scope="module")
def example_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("example")
    code = cli.main(["build", "--raw", str(EXAMPLE), "--fiscal-year", "2024", "--out", str(out)])
    assert code == 0
    return out / "FY2024"


def _pages(report) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(report.glob("*.html"))}


def test_example_plan_is_another_plan():
    plan = load_plan(EXAMPLE)
    assert plan.source == EXAMPLE / "plan.toml"
    assert plan.program_years == (2022, 2023, 2024)
    assert [len(g.directions) for g in plan.goals] == [2, 3]
    assert plan.periods == ()
    optional = {stem for stems in FILE_STEMS.values() for stem in stems}
    assert not [p.name for p in EXAMPLE.iterdir() if p.stem in optional]


def test_grading_rule_text_speaks_the_example_plans_words():
    text = "\n".join(assess(2024, raw_dir=EXAMPLE)["grading_rule"]["text_ja"])
    assert "「目標未満の成果」の取組" in text
    assert "第１期アクションプランのこれまでの各年度" in text
    assert not [w for w in kawasaki_words() if w in text]


@pytest.mark.slow
def test_example_plan_builds_end_to_end(example_report):
    pages = _pages(example_report)
    assert sorted(pages) == [
        "01_plan.html",
        "02_achievement.html",
        "03_highlights.html",
        "04_overall.html",
        "05_goal1.html",
        "05_goal2.html",
        "06_appendix.html",
        "index.html",
        "summary.html",
    ]
    plan = load_plan(EXAMPLE)
    everything = "\n".join(BeautifulSoup(t, "html.parser").get_text(" ") for t in pages.values())
    for word in (plan.name, plan.program, plan.vision, *(g.name for g in plan.goals)):
        assert word in everything
    for goal in plan.goals:
        chapter = BeautifulSoup(pages[f"05_goal{goal.goal}.html"], "html.parser").get_text(" ")
        assert all(d.name in chapter for d in goal.directions)


@pytest.mark.slow
def test_example_report_has_none_of_the_kawasaki_plans_words(example_report):
    words = kawasaki_words()
    texts = _pages(example_report)
    book = openpyxl.load_workbook(example_report / "tables.xlsx")
    texts["tables.xlsx"] = "\n".join(
        [ws.title for ws in book.worksheets]
        + [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row]
    )
    leaks = {
        name: sorted(w for w in words if w in text)
        for name, text in texts.items()
        if any(w in text for w in words)
    }
    assert leaks == {}
