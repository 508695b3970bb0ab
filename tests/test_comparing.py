"""The comparison of two reports' data (kawaeval.evaluation.comparing) and how the change
record words it (kawaeval.report.changes), on small hand-made records."""

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from kawaeval.evaluation.comparing import compare
from kawaeval.evaluation.comparison import Snapshot
from kawaeval.evaluation.figure_changes import figures
from kawaeval.evaluation.initiative_changes import movement
from kawaeval.report.change_csv import changes_frame
from kawaeval.report.change_record import ChangeRecord, ReportRef
from kawaeval.report.change_tables import change_tables
from kawaeval.report.change_wording import difference_text, figure_text, grade_label, grade_value
from kawaeval.report.changes import changes_page, index_section
from kawaeval.report.combined import HTML_ONLY

COLUMNS = [
    "initiative_id",
    "goal",
    "direction",
    "name",
    "bureau",
    "fiscal_year",
    "achievement",
    "achievement_raw",
    "reason",
    "source_file",
    "source_row",
]


def tidy(*initiatives: dict) -> pd.DataFrame:
    """A tidy table as cleaning writes it: one row per initiative and year, text as strings,
    the repeating columns as categoricals."""
    rows = []
    for number, item in enumerate(initiatives, start=2):
        for year, achievement in item["achievements"].items():
            rows.append(
                {
                    "initiative_id": item["id"],
                    "goal": item.get("goal", 1),
                    "direction": item.get("direction", 1),
                    "name": item.get("name", f"取組{item['id']}"),
                    "bureau": item.get("bureau", "総務企画局"),
                    "fiscal_year": year,
                    "achievement": achievement,
                    "achievement_raw": "3",
                    "reason": item.get("reason"),
                    "source_file": item.get("file", "initiatives.csv"),
                    "source_row": item.get("row", number),
                }
            )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for column in ("initiative_id", "name"):
        frame[column] = frame[column].astype("string")
    for column in ("bureau", "achievement", "achievement_raw", "reason", "source_file"):
        frame[column] = frame[column].astype("category")
    return frame


YEARS = {2018: "on_target", 2019: "on_target", 2020: "below", 2021: "on_target"}
BASE = (
    {"id": "1-1-01", "achievements": YEARS, "reason": "理由A"},
    {"id": "1-1-02", "achievements": YEARS, "bureau": None},
    {"id": "1-2-01", "direction": 2, "achievements": YEARS},
)


def snapshot(assessment, *initiatives) -> Snapshot:
    return Snapshot(tidy(*initiatives), assessment)


def copy(assessment):
    return type(assessment).from_dict(assessment.to_dict())


# ---------------------------------------------------------------- initiatives


def test_the_same_data_compares_empty(assessment):
    result = compare(snapshot(assessment, *BASE), snapshot(copy(assessment), *BASE))
    assert result.empty
    assert result.summary() == dict.fromkeys(
        ("added", "removed", "changed", "moved", "figures", "grades", "texts", "others"), 0
    )


def test_every_changed_field_is_listed_with_where_it_now_comes_from(assessment):
    after = (
        {"id": "1-1-01", "achievements": {**YEARS, 2019: "below"}, "reason": "理由B", "row": 9},
        {"id": "1-1-02", "achievements": YEARS, "bureau": "港湾局", "file": "b.csv", "row": 4},
        {"id": "1-3-01", "direction": 3, "achievements": YEARS, "name": "新しい取組"},
    )
    result = compare(snapshot(assessment, *BASE), snapshot(assessment, *after))
    assert [
        (c.change, c.initiative_id, c.field, c.old_year, c.old, c.new, c.source_file, c.source_row)
        for c in result.initiatives
    ] == [
        ("changed", "1-1-01", "achievement", 2019, "on_target", "below", "initiatives.csv", 9),
        ("changed", "1-1-01", "reason", None, "理由A", "理由B", "initiatives.csv", 9),
        ("changed", "1-1-02", "bureau", None, None, "港湾局", "b.csv", 4),
        ("removed", "1-2-01", None, None, None, None, "initiatives.csv", 4),
        ("added", "1-3-01", None, None, None, None, "initiatives.csv", 4),
    ]
    added = result.initiatives[-1]
    assert added.name == "新しい取組" and added.direction == 3
    assert added.achievements == tuple(YEARS.items())


def test_a_moved_file_or_row_or_a_new_spelling_alone_is_no_change(assessment):
    moved = [{**item, "file": "other.csv", "row": 40 + i} for i, item in enumerate(BASE)]
    result = compare(snapshot(assessment, *BASE), snapshot(assessment, *moved))
    assert result.initiatives == ()


def test_only_the_years_a_report_covers_are_compared(assessment):
    interim = copy(assessment)
    interim.fiscal_year = 2020  # covers 2018-2020
    later = [{**item, "achievements": {**YEARS, 2021: "exceeded"}} for item in BASE]
    assert compare(snapshot(interim, *BASE), snapshot(interim, *later)).initiatives == ()
    assert len(compare(snapshot(assessment, *BASE), snapshot(assessment, *later)).initiatives) == 3


def test_a_year_without_a_record_is_a_change_to_or_from_no_record(assessment):
    fewer = {2018: "on_target", 2019: "on_target", 2020: "below"}  # no FY2021 column
    after = ({**BASE[0], "achievements": fewer}, *BASE[1:])
    (change,) = compare(snapshot(assessment, *BASE), snapshot(assessment, *after)).initiatives
    assert (change.field, change.old_year, change.old, change.new) == (
        "achievement",
        2021,
        "on_target",
        None,
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("on_target", "below", "fell_below"),
        ("exceeded", "below", "fell_below"),
        ("below", "on_target", "recovered"),
        ("below", "exceeded", "recovered"),
        ("on_target", "exceeded", "moved_up"),
        ("exceeded", "on_target", "moved_down"),
        ("below", "not_evaluated", "no_longer_evaluated"),
        ("on_target", None, "no_longer_evaluated"),
        ("not_evaluated", "below", "newly_evaluated"),
        (None, "on_target", "newly_evaluated"),
        ("below", "below", None),
    ],
)
def test_how_an_achievement_moved_between_two_evaluated_years(old, new, expected):
    assert movement(old, new) == expected


def test_two_years_compare_their_evaluated_years(assessment):
    interim = copy(assessment)
    interim.fiscal_year = 2020
    interim.evaluation = "interim"
    result = compare(snapshot(interim, *BASE), snapshot(assessment, *BASE))
    assert result.across_years
    # every initiative was below target in 2020 and on target in 2021
    assert [(c.change, c.initiative_id, c.old_year, c.new_year) for c in result.initiatives] == [
        ("recovered", i["id"], 2020, 2021) for i in BASE
    ]
    assert result.figures == ()  # the same assessment, keyed by the evaluated year alone
    assert not any(key[0] == "period" for key in figures(assessment, across=True))


# ---------------------------------------------------------------- figures, grades, the rest


def test_a_moved_figure_is_listed_once_with_its_difference(assessment):
    after = copy(assessment)
    goal = after.goal(2)
    goal.counts.below += 1
    goal.shares_pct.below = round(goal.shares_pct.below + 0.9, 1)
    for row in after.by_year:
        if (row.goal, row.fiscal_year) == (2, 2021):
            row.counts.below += 1
            row.shares_pct.below = goal.shares_pct.below
    result = compare(snapshot(assessment, *BASE), snapshot(after, *BASE))
    assert [(f.scope, f.goal, f.old_year, f.field, f.old, f.new) for f in result.figures] == [
        ("goal", 2, 2021, "counts.below", assessment.goal(2).counts.below, goal.counts.below),
        (
            "goal",
            2,
            2021,
            "shares_pct.below",
            assessment.goal(2).shares_pct.below,
            goal.shares_pct.below,
        ),
    ]
    assert result.figures[0].difference == 1
    assert result.figures[1].difference == 0.9  # one decimal, not 0.9000000000000057


def test_moved_grades_and_reasons_are_listed(assessment):
    after = copy(assessment)
    after.goal(1).progress.update(final="C", final_label="進捗が遅れた", reason="委員会の理由")
    after.overall.statement = "新しい総合評価"
    result = compare(snapshot(assessment, *BASE), snapshot(after, *BASE))
    before = assessment.goal(1).progress
    assert [(g.scope, g.goal, g.subject, g.field, g.old, g.new) for g in result.grades] == [
        ("goal", 1, "progress", "final", before.final, "C"),
        ("goal", 1, "progress", "reason", before.reason, "委員会の理由"),
        ("program", None, "statement", "statement", assessment.overall.statement, "新しい総合評価"),
    ]
    final = result.grades[0]
    assert grade_value(final, "new") == "C 進捗が遅れた"
    assert grade_label(final) == "達成状況の最終評価"


def test_main_results_and_the_notice_are_other_changes(assessment):
    after = copy(assessment)
    after.goal(1).highlights = []
    after.notice = "<b>お知らせ</b>"
    result = compare(snapshot(assessment, *BASE), snapshot(after, *BASE))
    assert [(o.part, o.goal, o.field) for o in result.others] == [
        ("highlights", 1, "removed"),
        ("notice", None, "changed"),
    ]


# ---------------------------------------------------------------- the words and the page


def record(old, new, **kw) -> ChangeRecord:
    stamp = {"package_version": "0.1.0", "git_commit": "a" * 40, "source_date_epoch": "1700000000"}
    return ChangeRecord(
        ReportRef("履歴 1（1-0123456789ab）", stamp, old.assessment.fiscal_year, False),
        ReportRef("今回の報告書", {**stamp, "git_commit": "b" * 40}, 2021, True),
        new.assessment,
        compare(old, new),
        **kw,
    )


def test_figures_and_differences_read_as_the_city_writes_them():
    assert figure_text(12, "件") == "12件"
    assert figure_text(64.7, "%") == "64.7%"
    assert figure_text(3540.0, "件") == "3,540件"
    assert figure_text(True, "") == "達成"
    assert figure_text(None, "%") == "－"
    assert difference_text(-1, "件") == "−1件"
    assert difference_text(2.7, "%") == "+2.7ポイント"
    assert difference_text(0, "件") == "±0件"


def test_the_page_names_both_reports_by_their_stamps_and_escapes_record_text(assessment):
    after = copy(assessment)
    after.notice = "<script>alert(1)</script> $x$"
    hostile = ({**BASE[0], "name": '<img src=x onerror="alert(2)">'}, *BASE[1:])
    made = record(snapshot(assessment, *BASE), snapshot(after, *hostile))
    html = changes_page(made)
    assert html == changes_page(made)  # byte-stable
    page = BeautifulSoup(html, "html.parser")
    assert page.find("script") is None and page.find("img") is None
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &#36;x&#36;" in html
    sources = page.find("caption", string="比較した報告書").find_parent("table")
    cells = [[c.get_text() for c in tr.find_all(["th", "td"])] for tr in sources.find_all("tr")]
    assert ["git commit", "aaaaaaaaaaaa", "bbbbbbbbbbbb"] in cells
    assert ["作成日（SOURCE_DATE_EPOCH）", "2023-11-14", "2023-11-14"] in cells
    assert page.find("a", href="index.html") is not None
    assert (
        BeautifulSoup(changes_page(made, back_link=False), "html.parser").find(
            "a", href="index.html"
        )
        is None
    )


def test_no_difference_and_an_unreadable_report_say_so(assessment):
    same = record(snapshot(assessment, *BASE), snapshot(assessment, *BASE), basis="since")
    text = BeautifulSoup(changes_page(same), "html.parser").get_text()
    assert "前回の報告書から、取組の記録と評価に変更はありません。" in text
    unreadable = ChangeRecord(
        ReportRef("履歴 2（2-0123456789ab）"),
        ReportRef("今回の報告書"),
        assessment,
        problem="tidy.parquet がありません。",
    )
    page = BeautifulSoup(changes_page(unreadable), "html.parser")
    assert page.find(class_="kawaeval-notice").get_text() == (
        "前回の報告書は読み込めないため、比較できません。tidy.parquet がありません。"
    )
    assert [c.key for c in change_tables(unreadable)] == ["change_sources"]
    frame = changes_frame(unreadable)
    assert list(frame["change"]) == ["not_compared"]
    section = index_section(unreadable).html
    assert HTML_ONLY in section and "読み込めないため、比較できません" in section
    assert "最初の報告書" in index_section(None).html


def test_a_changed_text_and_who_wrote_it_are_listed(assessment):
    after = copy(assessment)
    goal = after.goal(2)
    goal.achievement_text.update(text="委員会の文", source="committee", drafted=False)
    direction = after.goal(1).directions[0]
    direction.narrative.source = (
        "committee" if direction.narrative.source != "committee" else "rule"
    )
    result = compare(snapshot(assessment, *BASE), snapshot(after, *BASE))
    texts = [(o.goal, o.direction, o.field, o.new) for o in result.others if o.part == "text"]
    # the program's, then the overall's, then goal by goal (each goal's, then its directions')
    assert texts == [
        (1, direction.direction, "narrative.source", direction.narrative.source),
        (2, None, "achievement_text", "委員会の文"),
    ]
    made = record(snapshot(assessment, *BASE), snapshot(after, *BASE))
    (table,) = [t for t in change_tables(made) if t.key == "text_changes"]
    assert "各取組の達成度の状況（文）" in list(table.frame["項目"])
    assert result.summary()["texts"] == 2 and result.summary()["others"] == 0


def test_whatever_else_differs_in_an_assessment_is_listed(assessment):
    after = copy(assessment)
    after.judgements_present = not assessment.judgements_present
    result = compare(snapshot(assessment, *BASE), snapshot(after, *BASE))
    assert [(o.part, o.field) for o in result.others] == [("assessment", "judgements_present")]
    assert not result.empty
    # a plan's wording the comparison does not name one by one
    after = copy(assessment)
    after.plan.achievement_labels.below = "目標に届かなかった"
    result = compare(snapshot(assessment, *BASE), snapshot(after, *BASE))
    assert ("plan", "other") in [(o.part, o.field) for o in result.others]


def test_a_renumbered_initiative_is_one_change_of_its_id(assessment):
    """1-2-03 became 1-1-05 (旧取組番号): its new row names the old id; in the tidy table each
    year's row comes from the file row that has its result, under that year's direction."""
    name = "多言語相談事業"
    before = tidy(
        {"id": "1-2-03", "direction": 2, "achievements": YEARS, "row": 7, "name": name},
        *BASE[:2],
    )
    after = tidy(
        {
            "id": "1-1-05",
            "direction": 2,
            "achievements": {2018: "on_target"},
            "row": 7,
            "name": name,
        },
        *BASE[:2],
    )
    later = tidy(
        {
            "id": "1-1-05",
            "name": name,
            "direction": 1,
            "achievements": {2019: "on_target", 2020: "below", 2021: "below"},
            "row": 12,
        }
    )
    after = pd.concat([after, later], ignore_index=True)
    for frame in (before, after):
        frame["former_ids"] = pd.Series(
            ["1-2-03" if i == "1-1-05" else None for i in frame["initiative_id"]], dtype="string"
        )
    result = compare(Snapshot(before, assessment), Snapshot(after, assessment))
    assert [
        (c.change, c.initiative_id, c.field, c.old_year, c.old, c.new, c.source_row)
        for c in result.initiatives
    ] == [
        ("changed", "1-1-05", "initiative_id", None, "1-2-03", "1-1-05", 12),
        ("changed", "1-1-05", "direction", None, 2, 1, 12),
        ("changed", "1-1-05", "achievement", 2021, "on_target", "below", 12),
    ]
