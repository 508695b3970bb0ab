"""The change record of a report: ``changes.html`` and ``data/changes.csv``, made from a
comparison of two reports (:mod:`kawaeval.evaluation.comparing`), and the index page's section
on it.

A :class:`~kawaeval.report.change_record.ChangeRecord` holds the two reports' names, the
comparison, or why the older report could not be read; its tables
(:mod:`~kawaeval.report.change_tables`) are what the page and the workbook both render, and
:func:`~kawaeval.report.change_csv.changes_frame` is the CSV's one long table. The page is
byte-stable for the same pair of reports, every record text is escaped by the templates, and
the CSV goes through the formula-safe writer.

The change record is for reviewers of the HTML report: the index page's section on it carries
:data:`HTML_ONLY`, which the editions made from the pages (PDF, Word, summary) leave out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd
from markupsafe import Markup

from kawaeval.common.text import era_year
from kawaeval.evaluation.comparison import MOVEMENTS
from kawaeval.records.outputs import write_csv
from kawaeval.report.change_csv import changes_frame
from kawaeval.report.change_record import ChangeRecord
from kawaeval.report.change_tables import change_tables
from kawaeval.report.change_wording import CHANGE_LABELS, difference_text, figure_text
from kawaeval.report.combined import HTML_ONLY
from kawaeval.report.frames import ReportTable
from kawaeval.report.pages import page_nav, report_css
from kawaeval.report.rendering import MAX_LISTED, Column, Fragment, render, shown, table_html
from kawaeval.report.wording import report_title

CHANGES_PAGE = "changes.html"
CHANGES_CSV = "changes.csv"
"""In the report's ``data/`` folder."""


def _source_text(row: Mapping) -> str:
    if not row.get("ファイル"):
        return ""
    return f"{row['ファイル']} {row['行（Excel）']}行目"


def _place_text(row: Mapping) -> str:
    return f"{row['基本目標']}-{row['取組の方向性']}"


def _text_columns(frame: pd.DataFrame) -> list[Column]:
    """Each column as it is, but an initiative's goal and direction in one column (2-3) and
    its file and row in another (出典), so that names keep their width."""
    if "取組番号" not in frame.columns:
        return [shown(name) for name in frame.columns]
    columns = []
    for name in frame.columns:
        if name == "基本目標":
            columns.append(Column("基本目標-方向性", _place_text, nowrap=True))
        elif name == "ファイル":
            columns.append(Column("出典（ファイル・Excel行）", _source_text))
        elif name not in ("取組の方向性", "行（Excel）"):
            columns.append(shown(name, nowrap=name == "取組番号"))
    return columns


def _figure_columns(frame: pd.DataFrame) -> list[Column]:
    def value(name: str) -> Callable[[Mapping], str]:
        return lambda row: figure_text(row[name], row["単位"])

    columns = [shown("区分", span=True)]
    if "年度" in frame.columns:
        columns.append(shown("年度", nowrap=True))
    columns += [
        shown("項目"),
        Column("変更前", value("変更前"), True),
        Column("変更後", value("変更後"), True),
        Column("差", lambda row: difference_text(row["差"], row["単位"]), True),
    ]
    return columns


def _table_markup(table: ReportTable) -> tuple[Markup, int]:
    """A table of the record as HTML and the rows left out: at most
    :data:`kawaeval.report.rendering.MAX_LISTED` on the page; the CSV and the workbook hold
    every row."""
    frame = table.frame
    shown_rows = frame.head(MAX_LISTED)
    group = GROUPED.get(table.key)
    if table.key == "figure_changes":
        columns = _figure_columns(frame)
    else:
        columns = _text_columns(frame)
        if group is not None:
            columns[0] = shown(group, span=True)
    markup = table_html(shown_rows, columns, table.title, group=group)
    return markup, max(len(frame) - MAX_LISTED, 0)


GROUPED = {
    "initiatives_added_removed": "変更",
    "achievement_movements": "変化",
    "figure_changes": "区分",
    "grade_changes": "区分",
    "text_changes": "区分",
    "other_changes": "区分",
}
"""The column whose runs of equal values are written once (rowspan), per table."""


def summary(record: ChangeRecord) -> list[tuple[str, int]]:
    """(what, how many) for the page's and the index's summary; kinds with none left out."""
    if record.comparison is None:
        return []
    counts = record.comparison.summary()
    moved = [c.change for c in record.comparison.initiatives if c.change in MOVEMENTS]
    kinds = [
        ("取組の追加", counts["added"]),
        ("取組の削除", counts["removed"]),
        ("取組の記録の変更", counts["changed"]),
        *((f"達成度が変わった取組（{CHANGE_LABELS[m]}）", moved.count(m)) for m in MOVEMENTS),
        ("評価の変化", counts["grades"]),
        ("文章の変化", counts["texts"]),
        ("数値の変化", counts["figures"]),
        ("その他の変更", counts["others"]),
    ]
    return [(what, n) for what, n in kinds if n]


BASIS = {
    "previous": "{second}と、{first}（取組の記録か評価の内容が異なる直近の報告書）の違いです。"
    "同じ入力から作り直した報告書でも、比べる相手は変わりません。",
    "since": "{second}と、作成時に指定した報告書（--since）の違いです。",
    "diff": "{first}と{second}の違いです。",
}
SOURCES_NOTE = (
    "取組の記録の変更には、その取組がいま記載されているファイルと行を示します"
    "（ファイルや行が移っただけのものは変更に含めません）。"
)


def _intro(record: ChangeRecord) -> str:
    first, second = record.headings
    if record.across_years:
        c = record.comparison
        return (
            f"{first}（{era_year(c.old_year)}）と{second}（{era_year(c.new_year)}）の評価年度を"
            "比べ、達成度が変わった取組と、全取組・基本目標・取組の方向性ごとの数値と評価の"
            "変化を示します。"
        )
    text = BASIS[record.basis].format(first=first, second=second)
    return text if record.comparison is None else text + SOURCES_NOTE


def changes_title(record: ChangeRecord) -> str:
    """The page's title: 変更の記録 and the report it belongs to."""
    return f"変更の記録：{report_title(record.assessment)}"


def changes_page(record: ChangeRecord, back_link: bool = True) -> str:
    """``changes.html``: a self-contained page of the record (links back to the index page
    when ``back_link``: in a report, not in ``kawaeval diff --out``)."""
    tables = change_tables(record)
    sections = []
    for table in tables:
        markup, more = _table_markup(table)
        sections.append({"key": table.key, "table": markup, "more": more})
    nav = page_nav(None, None) if back_link else None
    page = render(
        "changes.html.j2",
        title=changes_title(record),
        css=Markup(report_css()),
        nav_top=Markup(nav.top) if nav else "",
        nav_bottom=Markup(nav.bottom) if nav else "",
        intro=_intro(record),
        problem=record.problem if record.comparison is None else None,
        empty=record.comparison is not None and record.comparison.empty,
        summary=summary(record),
        sections=sections,
        first=record.headings[0],
        csv=f"data/{CHANGES_CSV}",
    )
    return str(page) + "\n"


def index_section(record: ChangeRecord | None) -> Fragment:
    """The index page's 変更の記録: a link and a one-line summary, or why there is none."""
    return Fragment(
        render(
            "changes_index.html.j2",
            css=HTML_ONLY,
            record=record,
            old=None if record is None else record.old.label,
            first=None if record is None else record.headings[0],
            problem=None if record is None or record.comparison is not None else record.problem,
            empty=record is not None and record.comparison is not None and record.comparison.empty,
            summary=[] if record is None else summary(record),
            page=CHANGES_PAGE,
        )
    )


def write_change_record(folder: Path, record: ChangeRecord, back_link: bool = True) -> None:
    """Write ``changes.html`` into ``folder`` and ``changes.csv`` into ``folder/data``; the page
    links back to the index page when ``back_link`` (in a report, not for ``kawaeval diff``)."""
    folder = Path(folder)
    (folder / "data").mkdir(parents=True, exist_ok=True)
    page = changes_page(record, back_link)
    (folder / CHANGES_PAGE).write_text(page, encoding="utf-8", newline="\n")
    write_csv(changes_frame(record), folder / "data" / CHANGES_CSV)
