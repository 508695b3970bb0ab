"""``tables.xlsx``: every table of the report as a sheet of numbers staff can paste from.

The sheets are written from the same frames as the report's HTML (``kawaeval.report.tables``),
so the two cannot disagree. One sheet per table in report order, after a contents sheet (目次)
whose entries link to them. Each sheet: the table's title in row 1, the Japanese column labels
in row 2 (frozen), the values below.

Numbers stay numbers. Integer columns are counts. Float columns are shares in percent (79.8) and
are stored as fractions (0.798) with the number format ``0.0%``, so Excel shows 79.8% and
computes with the true value; a frame can name its percentage columns in
``frame.attrs["shares"]`` when some of its float columns are not shares (then only those are
percentages and the other floats are plain numbers). Text is passed through
:func:`kawaeval.common.spreadsheet.neutralise` so that no cell runs as a formula, and the file
is byte-stable (:func:`kawaeval.common.spreadsheet.stable_xlsx_bytes`).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from kawaeval.common.spreadsheet import (
    EXCEL_CELL_LIMIT,
    fit_cell,
    neutralise,
    stable_xlsx_bytes,
)
from kawaeval.common.text import display_width
from kawaeval.report.chapters import chapter_titles as page_titles

if TYPE_CHECKING:
    from kawaeval.evaluation.model import Assessment
    from kawaeval.report.frames import ReportTable

log = logging.getLogger(__name__)

WORKBOOK_FILE = "tables.xlsx"
CONTENTS_SHEET = "目次"
CONTENTS_HEADERS = ("No.", "表", "章", "基本目標", "シート")
TITLE_ROW = 1
HEADER_ROW = 2
FIRST_DATA_ROW = 3
PERCENT_FORMAT = "0.0%"
COUNT_FORMAT = "#,##0"
NUMBER_FORMAT = "#,##0.###"

SHEET_NAME_MAX = 31
# Characters Excel refuses in a sheet name, replaced by their full-width forms.
_SHEET_NAME_FORBIDDEN = str.maketrans(
    {"[": "［", "]": "］", ":": "：", "*": "＊", "?": "？", "/": "／", "\\": "＼"}
)
_RESERVED_SHEET_NAMES = {"history"}  # Excel keeps "History" for itself
MIN_WIDTH = 6
MAX_WIDTH = 60


def sheet_names(titles: Sequence[str]) -> list[str]:
    """A valid, unique Excel sheet name per title, numbered in order (``01 タイトル``).

    Excel allows at most 31 characters, none of ``[]:*?/\\``, no leading or trailing
    apostrophe, and no two names equal ignoring case; the number keeps names unique and sorted
    even when long titles are cut.
    """
    width = max(2, len(str(len(titles))))
    names: list[str] = []
    taken = {CONTENTS_SHEET.casefold()} | _RESERVED_SHEET_NAMES
    for i, title in enumerate(titles, start=1):
        text = re.sub(r"\s+", " ", str(title).translate(_SHEET_NAME_FORBIDDEN)).strip()
        base = f"{i:0{width}d} {text}"[:SHEET_NAME_MAX].rstrip(" '")
        name, n = base, 2
        while name.casefold() in taken:
            suffix = f"({n})"
            name = base[: SHEET_NAME_MAX - len(suffix)].rstrip(" '") + suffix
            n += 1
        taken.add(name.casefold())
        names.append(name)
    return names


def percent_columns(frame: pd.DataFrame) -> list:
    """The columns written as percentages: ``attrs["shares"]`` (set by kawaeval.report.frames), else
    every float one."""
    named = frame.attrs.get("shares")
    if named is not None:
        return [c for c in frame.columns if c in set(named)]
    return [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c].dtype)]


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _cell_value(value: object, percent: bool) -> object:
    """A frame's value as openpyxl should store it: numbers as numbers, text neutralised."""
    if _missing(value):
        return None
    if isinstance(value, bool):
        return value
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        value = value.item()
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        # shares are percents with one decimal: store the fraction Excel formats as 0.0%
        return round(value / 100, 10) if percent else value
    return neutralise(str(value))


def _shown(value: object, number_format: str | None) -> str:
    """Roughly the text Excel shows for a stored value (for column widths only)."""
    if value is None:
        return ""
    if number_format == PERCENT_FORMAT and isinstance(value, float):
        return f"{value * 100:.1f}%"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _column_width(texts: Sequence[str]) -> float:
    lines = [line for text in texts for line in text.splitlines()]
    longest = max((display_width(line) for line in lines), default=0)
    return float(min(MAX_WIDTH, max(MIN_WIDTH, longest + 2)))


def _write_table_sheet(sheet, table: ReportTable) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    frame = table.frame
    percents = set(percent_columns(frame))
    sheet.cell(TITLE_ROW, 1, neutralise(str(table.title))).font = Font(bold=True)
    widths: list[list[str]] = []
    for j, column in enumerate(frame.columns, start=1):
        label = neutralise(str(column))
        header = sheet.cell(HEADER_ROW, j, label)
        header.font = Font(bold=True)
        header.alignment = Alignment(wrap_text=True, vertical="top")
        series = frame[column]
        is_percent = column in percents
        if is_percent:
            number_format = PERCENT_FORMAT
        elif pd.api.types.is_integer_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
            series.dtype
        ):
            number_format = COUNT_FORMAT
        elif pd.api.types.is_float_dtype(series.dtype):
            number_format = NUMBER_FORMAT
        else:
            number_format = None
        texts = [label]
        for i, value in enumerate(series.tolist()):
            stored = _cell_value(value, is_percent)
            if isinstance(stored, str):
                stored, cut = fit_cell(stored)
                if cut:
                    log.warning(
                        "tables.xlsx: シート「%s」のセル %s%s の文字数が Excel の上限（%s 文字）を"
                        "超えるため、%s 文字を省略しました（全文は報告書の HTML と "
                        "data/tidy.parquet にあります）",
                        sheet.title,
                        get_column_letter(j),
                        FIRST_DATA_ROW + i,
                        f"{EXCEL_CELL_LIMIT:,}",
                        f"{cut:,}",
                    )
            cell = sheet.cell(FIRST_DATA_ROW + i, j, stored)
            if isinstance(stored, str):
                cell.data_type = "s"  # text, never a formula, whatever it begins with
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            elif number_format is not None and stored is not None:
                cell.number_format = number_format
            texts.append(_shown(stored, number_format))
        widths.append(texts)
    for j, texts in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(j)].width = _column_width(texts)
    sheet.freeze_panes = sheet.cell(FIRST_DATA_ROW, 1).coordinate


def chapter_titles(assessment: Assessment) -> dict[str, str]:
    """Each chapter's page name (``05_goal2``) and its title, for the contents sheet."""
    return page_titles([(g.goal, g.name) for g in assessment.plan.goals])


def _write_contents(
    sheet,
    tables: Sequence[ReportTable],
    names: Sequence[str],
    heading,
    chapters: Mapping[str, str],
) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.hyperlink import Hyperlink

    sheet.cell(TITLE_ROW, 1, neutralise(heading or "表の一覧")).font = Font(bold=True)
    for j, label in enumerate(CONTENTS_HEADERS, start=1):
        sheet.cell(HEADER_ROW, j, label).font = Font(bold=True)
    texts = [[h] for h in CONTENTS_HEADERS]
    for i, (table, name) in enumerate(zip(tables, names, strict=True)):
        row = FIRST_DATA_ROW + i
        chapter = neutralise(chapters.get(table.chapter, table.chapter))
        values = (i + 1, neutralise(str(table.title)), chapter, table.goal, name)
        for j, value in enumerate(values, start=1):
            cell = sheet.cell(row, j, value)
            if isinstance(value, str):
                cell.data_type = "s"
            texts[j - 1].append("" if value is None else str(value))
        link = sheet.cell(row, 2)
        quoted = name.replace("'", "''")
        link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{quoted}'!A1")
        link.style = "Hyperlink"
    for j, column in enumerate(texts, start=1):
        sheet.column_dimensions[get_column_letter(j)].width = _column_width(column)
    sheet.freeze_panes = sheet.cell(FIRST_DATA_ROW, 1).coordinate


def tables_workbook(
    tables: Sequence[ReportTable],
    heading: str | None = None,
    chapters: Mapping[str, str] | None = None,
) -> bytes:
    """The workbook of ``tables`` (report order) as bytes: a contents sheet, then one per table.

    ``heading`` is the contents sheet's title (e.g. the plan and fiscal year); ``chapters`` maps
    chapter names to the titles the contents sheet shows (:func:`chapter_titles`). The same tables
    give the same bytes.
    """
    from openpyxl import Workbook

    workbook = Workbook()
    contents = workbook.active
    contents.title = CONTENTS_SHEET
    names = sheet_names([t.title for t in tables])
    _write_contents(contents, tables, names, heading, chapters or {})
    for table, name in zip(tables, names, strict=True):
        _write_table_sheet(workbook.create_sheet(name), table)
    return stable_xlsx_bytes(workbook)


def workbook_heading(assessment: Assessment) -> str:
    """The contents sheet's title: plan, program and fiscal year of the assessment."""
    plan = assessment.plan
    parts = [plan.name, plan.program, f"{assessment.fiscal_year}年度"]
    return " ".join(p for p in parts if p) + " 表の一覧"


def write_tables_workbook(
    assessment: Assessment, path: Path, extra: Sequence[ReportTable] = ()
) -> Path:
    """Write ``tables.xlsx`` (every table of the report for ``assessment``, then ``extra``:
    the change record's, when the report has one) to ``path``."""
    from kawaeval.report.tables import report_tables

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    titles = chapter_titles(assessment)
    if extra:
        from kawaeval.report.change_tables import CHANGES_CHAPTER

        titles[CHANGES_CHAPTER[0]] = CHANGES_CHAPTER[1]
    tables = [*report_tables(assessment), *extra]
    path.write_bytes(tables_workbook(tables, workbook_heading(assessment), titles))
    return path
