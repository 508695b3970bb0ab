"""The report's tables and text: exact figures, city wording, and record text kept as text."""

import re

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from kawaeval.common.text import era_year
from kawaeval.evaluation.model import Assessment
from kawaeval.exceptions import UsageError
from kawaeval.report import chapter_tables, frames, pages, presenting, rendering, tables, wording


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2018, "平成30(2018)年度"),
        (2019, "令和元(2019)年度"),
        (2020, "令和２(2020)年度"),
        (2021, "令和３(2021)年度"),
        (2028, "令和10(2028)年度"),
        (1989, "平成元(1989)年度"),
    ],
)
def test_era_year_is_written_as_the_city_writes_it(year, expected):
    assert era_year(year) == expected


def test_count_share_and_pct():
    assert wording.count_share(1, 0.9) == "1件(0.9%)"
    assert wording.count_share(87, 79.8) == "87件(79.8%)"
    assert wording.count_share(0, None) == "0件"
    assert wording.pct(75.0) == "75.0%"
    assert wording.pct(None) == "－"


def test_the_renderer_escapes_markup_quotes_and_dollars_of_every_value():
    markup = rendering.render("paragraph.html.j2", text='<script>alert("1")</script> $y$', css="")
    assert markup == ("<p>&lt;script&gt;alert(&#34;1&#34;)&lt;/script&gt; &#36;y&#36;</p>")
    assert rendering.render("paragraph.html.j2", text=None, css="") == "<p></p>"


def test_program_distribution_table_has_the_published_counts_and_shares(assessment):
    markup = presenting.program_distribution_table(assessment).html
    assert (
        '<tr><th scope="row">目標を上回って達成</th><td class="num">1件</td>'
        '<td class="num">0.9%</td></tr>'
    ) in markup
    assert '<td class="num">87件</td><td class="num">79.8%</td>' in markup
    assert '<td class="num">21件</td><td class="num">19.3%</td>' in markup
    assert '<th scope="row">取組数</th><td class="num">109件</td>' in markup
    assert "評価対象外" not in markup  # no not-evaluated initiative in the fixture


def test_not_evaluated_row_appears_only_when_there_are_some(assessment):
    block = assessment.program
    block.counts.not_evaluated = 2
    markup = presenting.distribution_table(block.counts, block.shares_pct, assessment).html
    assert '<th scope="row">評価対象外</th><td class="num">2件</td>' in markup
    assert '<th scope="row">取組数</th><td class="num">111件</td>' in markup


def test_distribution_summary_sentence(assessment):
    assert presenting.distribution_summary(assessment).html == (
        '<div class="kawaeval tex2jax_ignore mathjax_ignore"><p>令和３(2021)年度の取組数は109件で、'
        "各取組の達成度は「目標を上回って達成」1件(0.9%)、「ほぼ目標どおり」87件(79.8%)、"
        "「目標を下回った」21件(19.3%)でした。「目標を上回って達成」と「ほぼ目標どおり」を"
        "合わせた割合は80.7%です。</p></div>"
    )


def test_chapter_heading_labels_final_and_interim(assessment):
    final = presenting.chapter_heading(assessment, "第2章").html
    assert '<span class="kawaeval-badge">最終評価</span>' in final
    assert "第２期実行プログラム計画期間終了時点" in final
    assessment.evaluation = "interim"
    assessment.fiscal_year = 2019
    interim = presenting.chapter_heading(assessment, "第2章").html
    assert '<span class="kawaeval-badge">中間評価</span>' in interim
    assert "令和元(2019)年度（第２期実行プログラム計画期間中）" in interim


def test_judgement_notice_only_without_committee_judgements(assessment):
    assessment.judgements_present = False
    assert "最終評価は評価ルールによる提案評価と同じです" in (
        presenting.judgement_notice(assessment).html
    )
    assessment.judgements_present = True
    assert "文案" in presenting.judgement_notice(assessment).html  # the drafts are explained
    for text in presenting._texts(assessment):
        text.update(source="committee", drafted=False, supplied_by="評価シート")
    assert presenting.judgement_notice(assessment).html == (
        '<div class="kawaeval tex2jax_ignore mathjax_ignore"></div>'
    )


def test_grades_table_shows_final_grades_and_where_they_came_from(assessment):
    markup = presenting.grades_table(assessment).html
    assert "<td>B 一定の進捗があった</td>" in markup
    assert "<td>C 進捗が遅れた</td>" in markup
    assert markup.count("<td>Ⅱ 概ね効果的な構成である</td>") == 3
    # goal 2's outlook was changed by the committee from the suggested Ⅲ
    assert "評価委員会の判断（提案評価 Ⅲ 構成の見直しが必要である※ から変更）" in markup
    assert wording.ASSUMPTION_NOTE in markup  # Ⅲ is not a published label


def test_goal_grades_show_suggested_final_and_reason(assessment):
    markup = presenting.goal_grades(assessment, 2).html
    assert "<td>Ⅲ 構成の見直しが必要である※</td>" in markup
    assert wording.ASSUMPTION_NOTE in markup
    assert "<td>Ⅱ 概ね効果的な構成である</td>" in markup
    assert (
        "新型コロナウイルス感染症の影響を受ける以前の年度は概ね目標どおりに進捗していたため"
        in markup
    )
    assert "令和３(2021)年度の達成割合 58.8%" in markup
    # goal 1 shows only published labels: no mark, no footnote
    goal1 = presenting.goal_grades(assessment, 1).html
    assert "※" not in goal1


def test_below_target_table_escapes_record_text(assessment):
    row = assessment.goals[0].below_target[0]
    row.name = "<script>alert(1)</script>"
    row.reason = "**x** $y$"
    markup = presenting.below_target_table(assessment, 1).html
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>" in markup
    assert "<td>**x** &#36;y&#36;</td>" in markup
    assert "<script>" not in markup
    assert "3件のうち2件（66.7%）は「新型コロナウイルス感染症の影響」によるものです。" in markup


def test_below_target_table_without_rows(assessment):
    assert "令和３(2021)年度に「目標を下回った」取組はありません。" in (
        presenting.below_target_table(assessment, 3).html
    )


def test_highlights_escape_record_text(assessment):
    assessment.goals[0].highlights = [
        {"direction": 2, "initiative": "<b>事業</b>", "result": "成果 <img src=x onerror=alert(1)>"}
    ]
    markup = presenting.goal_highlights(assessment, 1).html
    assert "<strong>&lt;b&gt;事業&lt;/b&gt;</strong>（取組の方向性2）" in markup
    assert "成果 &lt;img src=x onerror=alert(1)&gt;" in markup
    assert "<img" not in markup


def test_indicators_mark_illustrative_values(assessment):
    markup = presenting.indicators_table(assessment, 1).html
    assert '<th scope="row">海外ビジネス商談件数（例示）</th>' in markup
    assert '<td class="num">80.0%</td><td>未達成</td>' in markup
    assert "参考指標は入力されていません。" in presenting.indicators_table(assessment, 2).html


def test_data_quality_lists_rejected_rows_escaped(assessment):
    assert presenting.data_quality(assessment).html == (
        '<div class="kawaeval tex2jax_ignore mathjax_ignore"></div>'
    )
    assessment.data_quality = {
        "rejected_rows": 1,
        "rejected": [
            {
                "file": "initiatives.csv",
                "row": 6,
                "column": "基本目標",
                "value": "<9>",
                "reason": "基本目標 9 は計画にありません",
                "initiative_id": None,
                "name": None,
            }
        ],
    }
    markup = presenting.data_quality(assessment).html
    assert "<h2>データ品質：受け付けなかった行</h2>" in markup
    assert (
        '<tr><th scope="row">initiatives.csv</th><td class="num">6</td><td>基本目標</td>'
        "<td>&lt;9&gt;</td><td>基本目標 9 は計画にありません</td><td></td><td></td></tr>"
    ) in markup


def test_data_quality_names_the_initiative_of_each_rejected_row(assessment):
    assessment.data_quality = {
        "rejected_rows": 1,
        "rejected": [
            {
                "file": "initiatives.csv",
                "row": 6,
                "column": "基本目標",
                "value": "9",
                "reason": "基本目標 9 は計画にありません",
                "initiative_id": "9-1-01",
                "name": "<交流> 事業",
            }
        ],
    }
    soup = BeautifulSoup(presenting.data_quality(assessment).html, "html.parser")
    headers = [th.get_text() for th in soup.select("thead th")]
    assert headers == ["ファイル", "行（Excel）", "列", "値", "理由", "取組番号", "取組名"]
    cells = [c.get_text() for c in soup.select("tbody tr")[0].find_all(["th", "td"])]
    assert cells[5:] == ["9-1-01", "<交流> 事業"]
    assert "&lt;交流&gt; 事業" in presenting.data_quality(assessment).html


def test_goal_block_names_the_allowed_goals(assessment):
    assert frames.goal_block(assessment, 3)["initiatives"] == 59
    with pytest.raises(UsageError, match=r"goal must be one of: 1, 2, 3"):
        frames.goal_block(assessment, 4)


def test_load_assessment_from_json_checks_the_year(tmp_path, assessment):
    path = tmp_path / "a.json"
    path.write_text(assessment.to_json(), encoding="utf-8")
    assert presenting.load_assessment(2021, assessment_json=path) == assessment
    with pytest.raises(UsageError, match=r"a.json は 2021 年度の評価です"):
        presenting.load_assessment(2020, assessment_json=path)


def test_page_nav_links_are_relative_and_escaped():
    nav = pages.page_nav(("前の章 <1>", "01_plan.html"), None)
    links = (
        '<a rel="prev" href="01_plan.html">← 前の章 &lt;1&gt;</a> ｜ <a href="index.html">目次</a>'
    )
    assert nav.top == (
        f'<nav class="kawaeval-nav" aria-label="章の移動（ページの先頭）">{links}</nav>'
    )
    assert nav.bottom == (
        f'<nav class="kawaeval-nav" aria-label="章の移動（ページの末尾）">{links}</nav>'
    )


def test_index_page_folds_its_provenance_into_a_section_of_its_own(assessment):
    """The editions move the section to their end (kawaeval.report.combined)."""
    provenance = {
        "package_version": "0.1.0",
        "git_commit": None,
        "source_date": None,
        "parameters": {"fiscal_year": 2021},
        "plan": ("plan.toml", "ab" * 32),
        "inputs": [],
    }
    page = BeautifulSoup(pages.index_page(assessment, [], provenance), "html.parser")
    (section,) = page.select("main > section.kawaeval-provenance")
    assert section["aria-labelledby"] == "provenance"
    assert section.h2.get_text() == "作成情報" and section.h2["id"] == "provenance"
    assert section.details.summary.get_text().endswith("SHA-256")
    assert "open" not in section.details.attrs
    assert section.details.select("dl.kawaeval-prov dt")[0].get_text() == "kawaeval"
    assert section is page.main.find_all(recursive=False)[-1]  # the index's last block


def test_index_page_has_title_toc_key_figures_and_provenance(assessment):
    provenance = {
        "package_version": "0.1.0",
        "git_commit": None,
        "source_date": None,
        "parameters": {"fiscal_year": 2021, "raw_dir": "data/raw", "allow_rejects": False},
        "plan": ("kawaeval/data/plan.toml", "ab" * 32),
        "inputs": [("取組_<局>.csv", "cd" * 32)],
    }
    page = pages.index_page(assessment, [("第1章 計画", "01_plan.html")], provenance)
    assert page.startswith('<!DOCTYPE html>\n<html lang="ja">\n<head>\n<meta charset="utf-8">')
    assert (
        "<title>川崎市国際施策推進プラン 第２期実行プログラム 評価 "
        "令和３(2021)年度（最終評価）</title>"
    ) in page
    assert '<li><a href="01_plan.html">第1章 計画</a></li>' in page
    assert "<li>目標を上回って達成：1件(0.9%)</li>" in page
    assert "<li>ほぼ目標どおり：87件(79.8%)</li>" in page
    assert "<li>目標を下回った：21件(19.3%)</li>" in page
    assert "<dt>入力 取組_&lt;局&gt;.csv</dt><dd>SHA-256 " + "cd" * 32 + "</dd>" in page
    assert "<dd>fiscal_year = 2021, raw_dir = data/raw, allow_rejects = False</dd>" in page
    assert "<dt>git commit</dt><dd>not from a git checkout</dd>" in page
    assert "SOURCE_DATE_EPOCH" not in page
    provenance["git_commit"] = "f" * 40
    provenance["source_date"] = "2023-11-14"
    page = pages.index_page(assessment, [], provenance)
    assert "<dt>git commit</dt><dd>" + "f" * 40 + "</dd>" in page
    assert "<dt>作成日 (SOURCE_DATE_EPOCH)</dt><dd>2023-11-14</dd>" in page


def test_fragment_shows_as_html_with_a_fixed_plain_text():
    fragment = rendering.Fragment("<p>x</p>")
    assert fragment._repr_html_() == "<p>x</p>"
    assert repr(fragment) == "<kawaeval report fragment>"


def test_plan_structure_counts_each_direction_and_each_goal(assessment):
    html = presenting.plan_structure(assessment)._repr_html_()
    rows = html.split("<tr>")[2:]
    assert len(rows) == 9
    assert '<td class="num">5件</td><td rowspan="3" class="num">16件</td>' in rows[0]
    assert rows[5].endswith('<td class="num">10件</td></tr>')  # 34件 is said once, above
    assert "合計 109件" in html


def test_plan_structure_says_each_goal_once_over_its_directions(assessment):
    soup = BeautifulSoup(presenting.plan_structure(assessment).html, "html.parser")
    for goal in assessment["plan"]["goals"]:
        cells = soup.find_all(string=goal["name"])
        assert len(cells) == 1
        assert cells[0].parent["rowspan"] == str(len(goal["directions"]))
        assert len(soup.find_all(string=goal["policy"])) == 1
    # every row still has its direction and count
    assert [len(tr.find_all(["th", "td"])) for tr in soup.select("tbody tr")][:3] == [6, 2, 2]


def test_every_count_of_a_direction_table_links_to_its_appendix_group(assessment):
    soup = BeautifulSoup(presenting.direction_table(assessment, 2).html, "html.parser")
    rows = soup.select("tbody tr")
    assert len(rows) == 3
    for direction, row in enumerate(rows, start=1):
        counts = row.select("td")
        assert len(counts) == 4
        for cell in counts:
            (link,) = cell.find_all("a")
            assert link["href"] == f"06_appendix.html#goal-2-direction-{direction}"
            assert "件" in link.get_text()
    block = next(g for g in assessment["goals"] if g["goal"] == 2)
    assert rows[0].select("td a")[0].get_text() == f"{block['directions'][0]['initiatives']}件"


def test_counts_with_their_unit_and_badges_do_not_wrap():
    css = re.sub(r"/\*.*?\*/", "", pages.report_css(), flags=re.S)
    assert ".kawaeval-badge" in css
    rules = {
        selector.strip(): body
        for block in css.split("}")
        if "{" in block
        for selector_list, body in [block.split("{", 1)]
        for selector in selector_list.split(",")
    }
    assert "white-space: nowrap" in rules["table.kawaeval-table td.num"]
    assert "white-space: nowrap" in rules[".kawaeval-badge"]
    assert "white-space: nowrap" in rules[".kawaeval-count"]


def _many_below_target(assessment: dict, per_direction: int) -> dict:
    """Goal 1 with thousands of below-target initiatives, as 20,000 records would give."""
    goal = assessment["goals"][0]
    goal["below_target"] = [
        {
            "initiative_id": f"1-{d}-{i:05d}",
            "name": f"国際交流推進事業 第{i}号 <{d}>",
            "direction": d,
            "bureau": "市民文化局",
            "reason": "新型コロナウイルス感染症の影響により事業を縮小したため、目標を下回った",
            "external_cause": i % 2 == 0,
        }
        for d in (1, 2, 3)
        for i in range(per_direction)
    ]
    return assessment


def test_a_long_below_target_list_is_grouped_by_direction_and_folded(assessment):
    _many_below_target(assessment, 1500)
    markup = presenting.below_target_table(assessment, 1).html
    assert len(markup.encode("utf-8")) < 5_000_000
    soup = BeautifulSoup(markup, "html.parser")
    groups = soup.select("details.kawaeval-group")
    assert len(groups) == 3
    summary = groups[0].summary.get_text()
    assert summary == "取組の方向性1 世界をけん引するビジネス拠点の創出（1500件）"
    assert not any(g.has_attr("open") for g in groups)
    # complete: every initiative is listed, in the page and in the frame
    ids = [th.get_text() for th in soup.select("tbody th")]
    assert len(ids) == 4500 and ids[-1] == "1-3-01499"
    assert len(chapter_tables.below_target(assessment, 1)) == 4500
    assert "&lt;3&gt;" in markup
    assert "令和３(2021)年度に目標を下回った取組（4500件）" in markup
    assert "ほか" not in markup


def test_a_page_lists_at_most_so_many_and_says_where_the_rest_are(assessment, monkeypatch):
    monkeypatch.setattr(presenting, "MAX_LISTED", 90)
    _many_below_target(assessment, 40)
    soup = BeautifulSoup(presenting.below_target_table(assessment, 1).html, "html.parser")
    groups = soup.select("details.kawaeval-group")
    assert [len(g.select("tbody tr")) for g in groups] == [30, 30, 30]
    assert [g.summary.get_text()[-5:] for g in groups] == ["（40件）"] * 3
    assert groups[2].select_one(".kawaeval-note").get_text() == (
        "ほか10件は、この報告書の data フォルダの取組データ（achievements.csv）にあります。"
    )
    assert len(chapter_tables.below_target(assessment, 1)) == 120  # the frame is complete


def test_a_short_below_target_list_stays_one_table_with_each_direction_once(assessment):
    rows = assessment["goals"][0]["below_target"]
    rows.append(rows[0].model_copy(update={"initiative_id": "1-1-09", "name": "追加の取組"}))
    soup = BeautifulSoup(presenting.below_target_table(assessment, 1).html, "html.parser")
    assert soup.select("details") == []
    assert [tr.find(["th", "td"]).get_text() for tr in soup.select("tbody tr")] == [
        "1",
        "1-1-09",
        "2",
        "3",
    ]
    assert soup.select("tbody th")[0]["rowspan"] == "2"
    assert [td.get_text() for td in soup.select("td.nowrap")] == [
        "1-1-03",
        "1-1-09",
        "1-2-05",
        "1-3-02",
    ]


def test_period_overview_compares_the_achieved_share_of_program_and_goals(assessment):
    html = presenting.period_overview_table(assessment)._repr_html_()
    assert "新型コロナウイルス感染症の影響前（平成30(2018)年度・令和元(2019)年度）" in html
    for group, blocks in [("全取組", assessment["program_periods"])] + [
        (f"基本目標{g['goal']}", g["periods"]) for g in assessment["goals"]
    ]:
        cells = "".join(f'<td class="num">{b["achieved_share_pct"]:.1f}%</td>' for b in blocks)
        assert f'<th scope="row">{group}</th>{cells}' in html


def test_period_overview_waits_for_two_periods(assessment):
    interim = assessment.model_copy(update={"program_periods": assessment.program_periods[:1]})
    assert presenting.PERIODS_NOT_YET in presenting.period_overview_table(interim)._repr_html_()


def test_a_committee_reason_given_for_both_grades_is_shown_once(assessment):
    goal = assessment["goals"][0]
    for key in ("progress", "outlook"):
        goal[key].update(source="committee", reason="両方に同じ理由")
    markup = presenting.goal_grades(assessment, 1).html
    assert markup.count("両方に同じ理由") == 1
    assert "<td>（同上）</td>" in markup


def test_a_goal_with_nothing_evaluated_shows_a_dash_not_none(assessment):
    for key in ("progress", "outlook"):
        assessment["goals"][0][key].update(
            suggested=None, final=None, suggested_label=None, final_label=None
        )
    for markup in (
        presenting.grades_table(assessment).html,
        presenting.goal_grades(assessment, 1).html,
    ):
        assert "None" not in markup
        assert wording.NO_GRADE in markup


def test_interim_year_with_one_period_says_the_comparison_comes_later(assessment):
    assessment["goals"][0]["periods"] = assessment["goals"][0]["periods"][:1]
    markup = presenting.periods_table(assessment, 1).html
    assert presenting.PERIODS_NOT_YET in markup
    assert "<table" not in markup


def test_no_external_cause_is_said_plainly(assessment):
    assessment["external_cause"].update(with_external_cause=0, share_pct=0.0)
    markup = presenting.external_cause_summary(assessment).html
    assert "によるものはありませんでした" in markup
    assert "0件（0.0%）" not in markup


def test_report_text_is_japanese_without_english_glosses(assessment):
    assessment["judgements_present"] = False
    assert "No committee" not in presenting.judgement_notice(assessment).html


def test_the_raw_folders_notice_heads_every_page(assessment):
    assessment["notice"] = "再構成したサンプルです <b>"
    expected = '<p class="kawaeval-notice">再構成したサンプルです &lt;b&gt;</p>'
    assert expected in presenting.chapter_heading(assessment, "第1章").html
    assert expected in presenting.goal_heading(assessment, 2).html
    assert expected in pages.index_page(assessment, [], _PROVENANCE)
    assessment["notice"] = None
    assert "kawaeval-notice" not in presenting.chapter_heading(assessment, "第1章").html


_PROVENANCE = {
    "package_version": "0.1.0",
    "git_commit": None,
    "source_date": None,
    "parameters": {"fiscal_year": 2021, "raw_dir": "data/raw", "allow_rejects": False},
    "plan": ("kawaeval/data/plan.toml", "ab" * 32),
    "inputs": [],
}


KAWASAKI_WORDS = ("川崎", "国際", "グローバル", "実行プログラム", "新型コロナ", "プレゼンス")


def _other_plan(assessment: Assessment) -> Assessment:
    """The fixture turned into another city's plan: two goals, no highlights, indicators,
    periods or judgements, no external cause."""
    plan = assessment["plan"]
    plan.update(
        city="緑野市",
        name="緑野市環境基本計画",
        program="前期推進計画",
        program_years=[2022, 2023, 2024],
        vision="",
        vision_subtitle="",
        vision_heading="",
        periods=[],
    )
    plan["goals"] = [
        {
            "goal": g,
            "name": f"目標{g}の名前",
            "policy": f"方針{g}",
            "directions": [{"direction": d, "name": f"方向{g}-{d}"} for d in (1, 2, 3)],
        }
        for g in (1, 2)
    ]
    assessment["fiscal_year"] = 2024
    assessment["program_by_year"] = assessment["program_by_year"][:3]
    for i, row in enumerate(assessment["program_by_year"]):
        row["fiscal_year"] = 2022 + i
    assessment["by_year"] = [r for r in assessment["by_year"] if r["goal"] in (1, 2)]
    for row in assessment["by_year"]:
        row["fiscal_year"] += 4
    assessment["by_year"] = [r for r in assessment["by_year"] if r["fiscal_year"] <= 2024]
    assessment["goals"] = assessment["goals"][:2]
    assessment["program_periods"] = []
    assessment["judgements_present"] = False
    assessment["external_cause"]["label"] = "外部要因"
    assessment["grading_rule"]["thresholds"]["external_cause_keywords"] = []
    assessment["grading_rule"]["text_ja"] = ["達成割合で提案する。"]
    for goal, planned in zip(assessment["goals"], plan["goals"], strict=True):
        goal["name"] = planned["name"]
        goal["highlights"] = []
        goal["indicators"] = []
        goal["periods"] = []
        for d, p in zip(goal["directions"], planned["directions"], strict=True):
            d["name"] = p["name"]
        for row in goal["below_target"]:
            row.update(name="取組", bureau="環境局", reason="遅れ", external_cause=False)
        for key in ("progress", "outlook"):
            goal[key].update(source="suggested", differs=False, reason=None)
    return assessment


def _every_fragment(assessment: Assessment) -> str:
    parts = [
        presenting.chapter_heading(assessment, "第1章"),
        presenting.judgement_notice(assessment),
        presenting.plan_overview(assessment),
        presenting.plan_structure(assessment),
        presenting.grading_rule(assessment),
        presenting.distribution_summary(assessment),
        presenting.program_distribution_table(assessment),
        presenting.program_trend_table(assessment),
        presenting.all_highlights(assessment),
        presenting.grades_table(assessment),
        presenting.external_cause_summary(assessment),
        presenting.goal_cause_table(assessment),
        presenting.period_overview_table(assessment),
        presenting.overall_judgement(assessment),
    ]
    for goal in (g["goal"] for g in assessment["goals"]):
        parts += [
            presenting.goal_heading(assessment, goal),
            presenting.goal_by_year_table(assessment, goal),
            presenting.direction_table(assessment, goal),
            presenting.periods_table(assessment, goal),
            presenting.below_target_table(assessment, goal),
            presenting.indicators_table(assessment, goal),
            presenting.goal_highlights(assessment, goal),
            presenting.goal_grades(assessment, goal),
        ]
    return "".join(p.html for p in parts) + pages.index_page(assessment, [], _PROVENANCE)


def test_another_plan_shows_its_own_words_and_none_of_kawasakis(assessment):
    markup = _every_fragment(_other_plan(assessment))
    for word in KAWASAKI_WORDS:
        assert word not in markup, word
    assert "緑野市環境基本計画 前期推進計画" in markup
    assert "前期推進計画期間中の新たな取組" not in markup  # no highlights: one plain line
    assert "主な実績は入力されていません。" in markup


def test_absent_data_leaves_out_its_sections(assessment):
    other = _other_plan(assessment)
    assert presenting.plan_overview(other).html.count("<h2>") == 1  # no vision, no heading
    assert presenting.periods_table(other, 1).html.endswith('mathjax_ignore"></div>')
    assert presenting.period_overview_table(other).html.endswith('mathjax_ignore"></div>')
    assert presenting.indicators_table(other, 1).html.endswith('mathjax_ignore"></div>')
    assert presenting.goal_highlights(other, 1).html.endswith('mathjax_ignore"></div>')
    assert "外部要因" not in presenting.below_target_table(other, 1).html
    assert "外部要因" not in presenting.goal_grades(other, 1).html
    assert "評価委員会の理由" not in presenting.goal_grades(other, 1).html
    rule = presenting.grading_rule(other).html
    assert "参考指標" not in rule and "主な実績" not in rule
    assert "達成状況（A〜D）と今後の方向性（Ⅰ〜Ⅲ）" in rule  # from the plan's grades


def test_the_vision_heading_comes_from_the_plan(assessment):
    assert "<h2>めざすグローバル都市像</h2>" in presenting.plan_overview(assessment).html
    assessment["plan"]["vision_heading"] = "めざす環境像"
    assert "<h2>めざす環境像</h2>" in presenting.plan_overview(assessment).html
    assert "グローバル都市像" not in presenting.plan_overview(assessment).html


def test_the_highlights_chapter_says_what_the_results_are_in_the_plans_words(assessment):
    markup = presenting.all_highlights(assessment).html
    assert "<p>第２期実行プログラム期間中の新たな取組又は拡充した取組等の主な実績は" in markup


_RENDERERS = {
    "plan_structure": lambda a, g: presenting.plan_structure(a),
    "program_distribution": lambda a, g: presenting.program_distribution_table(a),
    "program_trend": lambda a, g: presenting.program_trend_table(a),
    "highlights": lambda a, g: presenting.all_highlights(a),
    "grades": lambda a, g: presenting.grades_table(a),
    "direction_verdicts": lambda a, g: presenting.direction_verdicts_table(a),
    "below_target_causes": lambda a, g: presenting.goal_cause_table(a),
    "period_overview": lambda a, g: presenting.period_overview_table(a),
    "goal_trend": presenting.goal_by_year_table,
    "direction_distribution": presenting.direction_table,
    "direction_trend": presenting.directions,
    "goal_periods": presenting.periods_table,
    "below_target": presenting.below_target_table,
    "indicators": presenting.indicators_table,
    "goal_grades": presenting.goal_grades,
}


def test_every_table_of_the_report_shows_the_figures_of_its_frame(assessment):
    """The HTML is rendered from the frames, so every count, share and text cell is in it."""
    listed = tables.report_tables(assessment)
    assert {t.key for t in listed} == set(_RENDERERS)
    for table in listed:
        markup = _RENDERERS[table.key](assessment, table.goal).html
        text = BeautifulSoup(markup, "html.parser").get_text()
        shares = set(table.frame.attrs["shares"])
        for column in table.frame.columns:
            for value in table.frame[column]:
                if column in shares:
                    assert pd.isna(value) or f"{value:.1f}%" in text, (table.key, column)
                elif isinstance(value, str):
                    assert value in text, (table.key, column, value)
                elif column.endswith("件）") or column.endswith("取組数") or column == "件数":
                    assert f"{value}件" in text, (table.key, column, value)
