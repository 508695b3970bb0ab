"""The appendix 付録 取組一覧: every initiative of the records, grouped, counted and escaped."""

from __future__ import annotations

import copy

import pytest
from bs4 import BeautifulSoup

from kawaeval.evaluation.assessing import assess_records
from kawaeval.paths import SAMPLE_RAW_DIR
from kawaeval.report import appendix
from kawaeval.report.chapters import appendix_anchor, appendix_link
from kawaeval.report.rendering import MAX_LISTED
from kawaeval.report.tables import report_table


@pytest.fixture(scope="module")
def sample() -> dict:
    return assess_records(SAMPLE_RAW_DIR, 2021)


def _soup(assessment: dict) -> BeautifulSoup:
    return BeautifulSoup(appendix.initiatives_appendix(assessment).html, "html.parser")


def test_frame_has_one_row_per_initiative_in_plan_order(sample):
    frame = appendix.initiatives_frame(sample)
    assert len(frame) == sample["program"]["initiatives"]
    assert frame["initiative_id"].is_unique
    assert list(frame.columns) == [
        "goal",
        "goal_name",
        "direction",
        "direction_name",
        "initiative_id",
        "shown_id",
        "former_ids",
        "name",
        "bureau",
        "achievement_2018",
        "achievement_2019",
        "achievement_2020",
        "achievement_2021",
        "reason",
    ]
    keys = list(zip(frame["goal"], frame["direction"], frame["initiative_id"], strict=True))
    assert keys == sorted(keys)


def test_group_counts_equal_the_direction_counts_of_the_assessment(sample):
    counts = appendix.group_counts(appendix.initiatives_frame(sample), 2021)
    expected = [
        (g["goal"], d["direction"], d["initiatives"], *d["counts"].values())
        for g in sample["goals"]
        for d in g["directions"]
    ]
    got = [tuple(int(v) for v in row) for row in counts.itertuples(index=False)]
    assert got == expected
    assert list(counts.columns) == [
        "goal",
        "direction",
        "initiatives",
        "exceeded",
        "on_target",
        "below",
        "not_evaluated",
    ]


def test_every_initiative_of_the_records_is_listed_under_its_direction(sample):
    soup = _soup(sample)
    for entry in sample["initiatives"]:
        group = soup.find(id=appendix_anchor(entry["goal"], entry["direction"])).parent
        ids = [th.get_text() for th in group.select("tbody th[scope=row]")]
        assert entry["initiative_id"] in ids
    rows = soup.select("table.kawaeval-appendix-table tbody tr")
    assert len(rows) == len(sample["initiatives"]) == 109


def test_every_direction_has_its_anchor_and_counts(sample):
    soup = _soup(sample)
    labels = sample["plan"]["achievement_labels"]
    for goal in sample["goals"]:
        for d in goal["directions"]:
            heading = soup.find(id=f"goal-{goal['goal']}-direction-{d['direction']}")
            assert heading is not None and heading.name == "h3"
            assert f"{d['name']}（{d['initiatives']}件）" in heading.get_text()
            counts = heading.find_next_sibling("p", class_="kawaeval-counts").get_text()
            for key in ("exceeded", "on_target", "below"):
                assert f"{labels[key]} {d['counts'][key]}件" in counts
            assert appendix_link(goal["goal"], d["direction"]) == (
                f"06_appendix.html#goal-{goal['goal']}-direction-{d['direction']}"
            )


def test_each_year_and_the_reason_are_shown(sample):
    soup = _soup(sample)
    entry = next(e for e in sample["initiatives"] if e["reason"])
    row = next(tr for tr in soup.select("tbody tr") if tr.th.get_text() == entry["initiative_id"])
    marks = [td.get_text() for td in row.select("td.kawaeval-mark")]
    assert marks == [appendix.MARKS[entry["achievements"][str(y)]] for y in range(2018, 2022)]
    assert row.find_all("td")[-1].get_text() == entry["reason"]
    assert [th.get_text() for th in soup.select("thead th.kawaeval-year")][:4] == [
        "平成30年度",
        "令和元年度",
        "令和２年度",
        "令和３年度",
    ]


def test_interim_year_shows_only_the_years_up_to_it():
    soup = _soup(assess_records(SAMPLE_RAW_DIR, 2019))
    assert [th.get_text() for th in soup.select("table")[0].select("th.kawaeval-year")] == [
        "平成30年度",
        "令和元年度",
    ]


def test_record_text_is_escaped_and_dollar_is_not_tex(sample):
    entry = sample["initiatives"][0]
    entry["name"] = '<script>alert("x")</script> & $x^2$'
    entry["reason"] = "<b>理由</b> $100"
    entry["bureau"] = None
    html = appendix.initiatives_appendix(sample).html
    assert "<script>" not in html and "<b>理由" not in html
    assert "&lt;script&gt;" in html and "&amp; &#36;x^2&#36;" in html
    assert "&#36;100" in html and "$" not in html
    assert "None" not in html
    assert "tex2jax_ignore" in html


def test_a_very_long_list_shows_a_readable_part_and_says_where_the_rest_is():
    """Tens of thousands of initiatives: each direction lists its share of the page's rows."""
    assessment = copy.deepcopy(assess_records(SAMPLE_RAW_DIR, 2021))
    template = assessment["initiatives"]
    assessment["initiatives"] = [
        {**template[i % len(template)], "initiative_id": f"X-{i:05d}"} for i in range(12_000)
    ]
    html = appendix.initiatives_appendix(assessment).html
    listed = html.count('<th scope="row">')
    room = -(-MAX_LISTED // 9)  # each of the 9 directions lists at most this many
    sizes = appendix.initiatives_frame(assessment).groupby(["goal", "direction"]).size()
    assert listed == sum(min(size, room) for size in sizes)
    assert html.count("ほか") == sum(size > room for size in sizes) > 0
    assert "tables.xlsx" in html
    assert len(html.encode()) < 5 * 1024 * 1024
    frame = report_table(assessment, "initiatives")
    assert sorted(frame["取組番号"]) == [f"X-{i:05d}" for i in range(12_000)]  # all in the workbook
