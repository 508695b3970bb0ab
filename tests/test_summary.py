"""The summary edition (概要版): summary.html in every report, its PDF with --pdf.

The summary is read as a reader reads it (its text, NFKC-normalised, so that the city's
full-width Ｂ and ９割 match the published figures) and checked against every figure, grade and
verdict the city's published summary states that belongs in it, in the seed's order.
"""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import require_system_tool

from kawaeval.api import assess
from kawaeval.evaluation.model import Assessment, Text
from kawaeval.report import editions, summary

# the editions report of tests/conftest.py, built once, on the worker of test_pdf and test_docx
pytestmark = pytest.mark.xdist_group("editions")

# The sections of the city's summary, in its order (written by hand from the seed's headings:
# its extracted text is jumbled).
SEED_ORDER = (
    "(1) 川崎市国際施策推進プランと川崎市総合計画との関係",
    "(2) 第2期実行プログラム",
    "取組体系",
    "進行管理",
    "評価の方法",
    "各取組における達成度の状況",
    "各基本目標における主な実績",
    "総合的な評価",
    "基本目標ごとの評価",
)
VERDICTS = {"some progress": "一定の進捗があった", "behind plan": "当初の予定よりも進捗は遅れた"}


def nfkc(text: str) -> str:
    """Text as compared: NFKC (Ｂ -> B, ９ -> 9, Ⅱ -> II, ： -> :), white space removed (a
    PDF's lines and a page's markup split text anywhere)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def in_order(text: str, parts) -> list[int]:
    """Where each part is found in ``text``, each after the one before (-1 when not)."""
    found, start = [], 0
    for part in parts:
        at = text.find(nfkc(part), start)
        found.append(at)
        if at >= 0:
            start = at + 1
    return found


@pytest.fixture(scope="module")
def kawasaki() -> Assessment:
    """The sample records' FY2021 assessment, with the bundled plan's [overview]."""
    return assess(2021)


@pytest.fixture(scope="module")
def page(kawasaki) -> BeautifulSoup:
    return BeautifulSoup(summary.summary_html(kawasaki), "html.parser")


def _main_text(soup: BeautifulSoup) -> str:
    return nfkc(soup.find("main").get_text())


# ---------------------------------------------------------------- the registry


def test_the_summary_page_is_an_edition_of_every_build_and_its_pdf_of_the_pdf_option(
    assessment,
):
    assert [e.key for e in editions.editions_for([])] == ["summary"]
    assert [e.key for e in editions.editions_for(["pdf"])] == ["summary", "pdf", "summary_pdf"]
    # the summary is linked first, and above the index's contents
    assert editions.downloads(assessment, ["pdf"])[0] == ("概要版（HTML）", "summary.html")
    assert editions.headlines(assessment, ["pdf", "docx"]) == [("概要版（HTML）", "summary.html")]
    assert editions.downloads(assessment, ["pdf"])[2] == (
        "概要版（PDF、印刷用）",
        "川崎市国際施策推進プラン_第２期実行プログラム_FY2021_概要.pdf",
    )


def test_the_index_page_links_the_summary_above_its_contents(assessment):
    from kawaeval.report.pages import index_page

    provenance = {
        "package_version": "0",
        "git_commit": None,
        "parameters": {},
        "inputs": [],
        "plan": ("plan.toml", "0" * 64),
        "source_date": None,
    }
    soup = BeautifulSoup(
        index_page(
            assessment,
            [("第1章", "01_plan.html")],
            provenance,
            editions.downloads(assessment, []),
            headlines=editions.headlines(assessment, []),
        ),
        "html.parser",
    )
    first = soup.find("main").find("a")
    assert first["href"] == "summary.html" and first.get_text() == "概要版（HTML）"
    # the HTML report's own: the PDF and Word editions made from the pages leave it out
    assert "kawaeval-html-only" in first.parent["class"]
    assert soup.select(".kawaeval-downloads a")[0]["href"] == "summary.html"


# ---------------------------------------------------------------- the page's content


def test_the_sections_follow_the_city_summary(page):
    found = in_order(_main_text(page), SEED_ORDER)
    assert -1 not in found, dict(zip(SEED_ORDER, found, strict=True))


def test_every_published_figure_of_the_summary_is_on_the_page(page, published):
    text = _main_text(page)
    document, structure = published["document"], published["structure"]
    for word in (
        document["plan_ja"],
        document["program_ja"],
        document["vision_ja"],
        document["vision_subtitle_ja"],
        "平成27(2015)年10月",  # plan_adopted, in the plan's words
        "令和7(2025)年度",  # the plan's last year
        "平成30(2018)年度から令和3(2021)年度までの4年間",
        *published["achievement_categories_ja"].values(),
    ):
        assert nfkc(word) in text, word
    # the year's distribution: 1件(0.9%) / 87件(79.8%) / 21件(19.3%), 約８割, of 109
    distribution = published["program_distribution_fy2021"]
    for key, count in distribution["counts"].items():
        assert f"{count}件({distribution['shares_pct_1dp'][key]}%)" in text
    assert f"取組数{structure['initiatives_total']}件" in text
    share = round(distribution["exceeded_plus_on_target_approx_share"] * 10)
    assert f"合わせた割合が約{share}割" in text
    # the main results, under their goals
    highlights = nfkc(page.select_one(".kawaeval-summary-highlights").get_text())
    for result in published["main_results"]:
        assert nfkc(result["initiative_ja"]) in highlights, result


def test_the_structure_is_drawn_as_text_with_its_counts(page, published):
    diagram = page.select_one(".kawaeval-structure")
    goals = diagram.select("li.kawaeval-structure-goal")
    assert len(goals) == 3
    for li, goal in zip(goals, published["structure"]["goals"], strict=True):
        text = nfkc(li.get_text())
        assert nfkc(goal["name_ja"]) in text and nfkc(goal["policy_ja"]) in text
        assert f"取組数{goal['initiatives']}件" in text
        for direction in goal["directions"]:
            assert nfkc(direction["name_ja"]) in text
    assert nfkc(published["document"]["vision_ja"]) in nfkc(diagram.get_text())


def test_each_goal_has_its_count_sentences_verdicts_and_badges(page, published):
    blocks = page.select("section.kawaeval-summary-goal")
    assert len(blocks) == 3
    verdicts = {
        (v["goal"], v["direction"]): v["progress"]
        for v in published["direction_progress_statements"]
    }
    shares = published["goal_year_shares_approx"]
    for block, goal, grades in zip(
        blocks, published["structure"]["goals"], published["goal_grades"], strict=True
    ):
        heading = nfkc(block.find("h5").get_text())
        assert heading == nfkc(
            f"基本目標{goal['goal']}{goal['name_ja']}（取組数：{goal['initiatives']}件）"
        )
        # the two badges as the city prints them: 達成状況 Ｂ, 方向性 Ⅱ (full-width letters)
        badges = {
            b.dt.get_text(): b.select_one(".kawaeval-summary-code").get_text()
            for b in block.select(".kawaeval-summary-badge")
        }
        assert badges == {
            "達成状況": chr(ord(grades["status"]) + 0xFEE0),
            "方向性": grades["direction"],
        }
        text = nfkc(block.get_text())
        assert nfkc(grades["status_ja"]) in text and nfkc(grades["direction_ja"]) in text
        for expected in (s for s in shares if s["goal"] == goal["goal"]):
            assert f"約{round(expected['approx_share'] * 10)}割" in text, expected
        for direction in goal["directions"]:
            item = block.select_one(
                f"#summary-goal-{goal['goal']}-direction-{direction['direction']}"
            )
            verdict = VERDICTS[verdicts[goal["goal"], direction["direction"]]]
            assert nfkc(direction["name_ja"]) in nfkc(item.get_text())
            assert item.select_one(".kawaeval-verdict").get_text() == verdict


def test_the_overall_evaluation_gives_the_committees_statement_and_the_goals_grades(page, kawasaki):
    overall = nfkc(page.select_one(".kawaeval-summary-overall").get_text())
    assert nfkc(kawasaki.overall.statement) in overall
    assert nfkc("３つの基本目標すべてにおいて「Ⅱ 概ね効果的な構成である」") in overall


def test_the_committees_text_replaces_the_draft(kawasaki):
    changed = kawasaki.model_copy(deep=True)
    direction = changed.goals[1].directions[0]
    draft = direction.narrative.text
    direction.narrative = Text(
        text="委員会の文：イベントの中止により、当初の予定よりも進捗は遅れた。",
        draft=draft,
        drafted=False,
        source="committee",
        supplied_by="judgements.csv",
    )
    soup = BeautifulSoup(summary.summary_html(changed), "html.parser")
    item = soup.select_one("#summary-goal-2-direction-1")
    assert "委員会の文：イベントの中止により" in item.get_text()
    assert draft not in item.get_text()
    assert item.select_one(".kawaeval-drafted") is None
    # a draft still shown says so
    assert soup.select_one("#summary-goal-2-direction-2 .kawaeval-drafted") is not None


def test_a_plan_without_its_prose_leaves_those_blocks_out(assessment):
    """The hand-written assessment's plan has no [overview]: the relation to the comprehensive
    plan and the plan's management are left out, the program and the method are said from the
    plan's years and scales."""
    assert assessment.plan.overview.relation == []
    text = _main_text(BeautifulSoup(summary.summary_html(assessment), "html.parser"))
    assert "総合計画" not in text and "進行管理" not in text
    assert nfkc("平成30(2018)年度から令和３(2021)年度までの４年間である") in text
    assert nfkc("「目標を上回って達成」・「ほぼ目標どおり」・「目標を下回った」の３区分") in text
    assert -1 not in in_order(text, SEED_ORDER[4:])


def test_the_chart_has_the_figures_in_its_alt_text(page, published):
    (img,) = page.select(".kawaeval-summary-distribution img")
    distribution = published["program_distribution_fy2021"]
    for key, label in published["achievement_categories_ja"].items():
        count, share = distribution["counts"][key], distribution["shares_pct_1dp"][key]
        assert f"{label} {count}件({share}%)" in img["alt"]
    assert img["src"].startswith("data:image/png;base64,")


# ---------------------------------------------------------------- the built report


@pytest.mark.slow
def test_every_build_writes_the_summary_page_linked_first_from_the_index(editions_report):
    assert (editions_report / "summary.html").is_file()
    soup = BeautifulSoup((editions_report / "index.html").read_text("utf-8"), "html.parser")
    assert soup.find("main").find("a")["href"] == "summary.html"
    assert soup.select(".kawaeval-downloads a")[0]["href"] == "summary.html"
    # the summary leads back to the whole report
    page = BeautifulSoup((editions_report / "summary.html").read_text("utf-8"), "html.parser")
    assert page.find("html")["lang"] == "ja"
    assert [a["href"] for a in page.select("nav a")] == ["index.html"]


def _pdf(report: Path) -> Path:
    assessment = Assessment.from_json((report / "data" / "assessment.json").read_bytes())
    path = report / summary.summary_pdf_name(assessment)
    assert path.is_file(), sorted(p.name for p in report.iterdir())
    return path


def _tool(command: str, *args: str) -> str:
    require_system_tool(command, "poppler-utils")
    return subprocess.run([command, *args], capture_output=True, text=True, check=True).stdout


@pytest.mark.slow
def test_the_summary_pdf_holds_every_published_figure_in_the_seeds_order(
    editions_report, published
):
    path = _pdf(editions_report)
    assert path.name == "川崎市国際施策推進プラン_第２期実行プログラム_FY2021_概要.pdf"
    # -raw: the text in the order it was laid out (the columns of the main results apart)
    text = nfkc(_tool("pdftotext", "-raw", str(path), "-"))
    found = in_order(text, SEED_ORDER)
    assert -1 not in found, dict(zip(SEED_ORDER, found, strict=True))
    distribution = published["program_distribution_fy2021"]
    for key, count in distribution["counts"].items():
        assert f"{count}件({distribution['shares_pct_1dp'][key]}%)" in text
    for result in published["main_results"]:
        assert nfkc(result["initiative_ja"]) in text
    # each goal: its count, its grades; each direction: its name, then its verdict
    verdicts = {
        (v["goal"], v["direction"]): VERDICTS[v["progress"]]
        for v in published["direction_progress_statements"]
    }
    evaluation = text[text.find(nfkc("基本目標ごとの評価")) :]
    for goal, grades in zip(published["structure"]["goals"], published["goal_grades"], strict=True):
        parts = [f"基本目標{goal['goal']}{goal['name_ja']}", f"(取組数:{goal['initiatives']}件)"]
        parts += ["達成状況", grades["status"], grades["status_ja"], "方向性", "II"]
        for direction in goal["directions"]:
            parts += [direction["name_ja"], verdicts[goal["goal"], direction["direction"]]]
        found = in_order(evaluation, parts)
        assert -1 not in found, dict(zip(parts, found, strict=True))
    pages = int(re.search(r"^Pages:\s+(\d+)$", _tool("pdfinfo", str(path)), re.M).group(1))
    assert 2 <= pages <= 6
    assert re.search(
        r"^Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", _tool("pdfinfo", str(path)), re.M
    )


@pytest.mark.slow
def test_the_summary_pdf_is_tagged_with_alt_text_on_its_chart(editions_report):
    pikepdf = pytest.importorskip("pikepdf")
    path = _pdf(editions_report)
    page = BeautifulSoup((editions_report / "summary.html").read_text("utf-8"), "html.parser")
    with pikepdf.open(path) as document:
        root = document.Root
        assert bool(root.MarkInfo.Marked) is True
        assert "/StructTreeRoot" in root
        assert str(root.Lang) == "ja"
        assert str(document.docinfo.Title) == page.title.get_text()
        elements, queue = [], [root.StructTreeRoot]
        while queue:
            node = queue.pop(0)
            kids = node.get("/K")
            if kids is None:
                continue
            for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
                if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                    elements.append(kid)
                    queue.append(kid)
        figures = [str(e.get("/Alt", "")) for e in elements if e.S == "/Figure"]
        kinds = {str(e.S) for e in elements}
    assert figures == [img["alt"] for img in page.select("main img")]
    assert {"/H1", "/H2", "/H3", "/H4", "/H5", "/L", "/LI"} <= kinds


@pytest.mark.slow
def test_the_summary_is_byte_identical_on_a_second_build(editions_report, editions_rebuilt):
    for name in ("summary.html", _pdf(editions_report).name):
        assert (editions_report / name).read_bytes() == (editions_rebuilt / name).read_bytes()
