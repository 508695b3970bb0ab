"""The input form's workbook: its 取組 sheet (the contract's headers, earlier years' results
filled in and locked, widths, protection), its リスト and 記入方法 sheets, the very hidden record
of what it was made with, and its bytes (the same inputs give the same bytes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, Protection
from openpyxl.utils import get_column_letter

from kawaeval.common.spreadsheet import stable_xlsx_bytes
from kawaeval.common.text import display_width, era_year
from kawaeval.exceptions import PlanDefinitionError
from kawaeval.forms.cells import HEADER_FILL, LOCKED_FILL, text_cell
from kawaeval.forms.form_validation import (
    LISTS_SHEET,
    add_mismatch_highlight,
    add_validations,
    lookup_range,
)
from kawaeval.plan import ACHIEVEMENTS, Plan
from kawaeval.records.spellings import parse_achievement, parse_fiscal_year_header
from kawaeval.records.workbooks import FORM_SHEET, PREFERRED_SHEET

SHEET = PREFERRED_SHEET

GUIDE_SHEET = "記入方法"
FILE_PREFIX = "取組_"
"""Workbooks are named 取組_*.xlsx, so that returned into the raw folder they are read as is."""

HEADER_ID = "取組番号"
HEADER_GOAL = "基本目標"
HEADER_DIRECTION = "取組の方向性"
HEADER_DIRECTION_NAME = "方向性の名称（自動表示）"
HEADER_NAME = "取組名"
HEADER_BUREAU = "所管局"
HEADER_REASON = "主な理由"

BLANK_ROWS = 200
"""Empty rows, with validation, in a blank template."""
SPARE_ROWS = 20
"""Empty rows, with validation, below the carried-forward records (for new initiatives)."""

TEXT_FORMAT = "@"

NOT_EVALUATED_MEANS = (
    "その年度は事業を実施しなかったなどの理由で、達成度を評価しない取組。"
    "件数は別に数え、達成度の割合の分母には含めない"
)
ACHIEVEMENT_MEANINGS = {
    "exceeded": "その年度の目標を上回って達成した",
    "on_target": "その年度の目標をほぼ達成した",
    "below": "その年度の目標に届かなかった（「主な理由」に理由を書いてください）",
    "not_evaluated": "その年度は達成度を評価しない（下の説明を参照）",
}


@dataclass(frozen=True)
class TemplateRow:
    """One initiative as the template shows it; ``achievements`` maps a year to its label."""

    initiative_id: str
    goal: int
    direction: int
    name: str
    bureau: str | None = None
    reason: str | None = None
    achievements: dict[int, str] = field(default_factory=dict)


# ---------------------------------------------------------------- spellings the template writes


def year_header(year: int) -> str:
    """The header of a year's achievement column: era and Western year (``令和3(2021)年度``).

    Both are shown because the city writes era years; ``clean`` reads the form (checked here).
    """
    header = era_year(year, full_width=False)
    if parse_fiscal_year_header(header) != year:  # pragma: no cover - cleaning would disagree
        return f"{year}年度"
    return header


def direction_code(goal: int, direction: int) -> str:
    """A direction as the drop-down writes it: goal-direction (``1-2``), a form ``clean`` reads."""
    return f"{goal}-{direction}"


def achievement_choices(plan: Plan) -> list[str]:
    """The plan's achievement labels in scale order, each checked to read back as its category.

    Raises
    ------
    PlanDefinitionError
        If ``clean`` would read one of the plan's labels as another category.
    """
    labels = [plan.achievement_labels[c] for c in ACHIEVEMENTS]
    for category, label in zip(ACHIEVEMENTS, labels, strict=True):
        if parse_achievement(label, plan) != category:
            raise PlanDefinitionError(
                plan.source,
                f"達成度の表記「{label}」は {category} として読めません。"
                "achievement_labels の表記を見直してください",
            )
    return labels


@dataclass(frozen=True)
class _Columns:
    """Column numbers (1-based) of the input sheet."""

    years: dict[int, int]
    id: int = 1
    goal: int = 2
    direction: int = 3
    direction_name: int = 4
    name: int = 5
    bureau: int = 6

    @property
    def reason(self) -> int:
        return self.bureau + len(self.years) + 1


def build_workbook(
    plan: Plan,
    rows: list[TemplateRow] | None = None,
    fiscal_year: int | None = None,
    title_note: str = "",
    bureau: str | None = None,
) -> Workbook:
    """The input workbook: a blank form (``fiscal_year`` None) or the rows carried forward.

    In a carried-forward workbook only ``fiscal_year``'s achievement column is open among the
    years: earlier results are filled, grey and locked, later years grey and locked (the sheet
    is protected without a password; every other cell of the rows stays editable). It records
    on a very hidden sheet the year, the bureau and the initiatives it was made with, so that
    ``clean`` can tell when a returned form lacks some or was sent back unfilled.
    """
    rows = list(rows or [])
    goals = [str(g.goal) for g in plan.goals]
    directions = [
        (direction_code(d.goal, d.direction), d.name) for g in plan.goals for d in g.directions
    ]
    labels = achievement_choices(plan)
    years = list(plan.program_years)
    cols = _Columns({y: 7 + i for i, y in enumerate(years)})
    last_row = 1 + (len(rows) + SPARE_ROWS if fiscal_year is not None else BLANK_ROWS)

    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    lists = book.create_sheet(LISTS_SHEET)
    guide = book.create_sheet(GUIDE_SHEET)

    # The lists the drop-downs read: goals (A, B), directions (C, D), achievement labels (E).
    for column, header in enumerate(
        ("基本目標", "基本目標の名称", "取組の方向性", "方向性の名称", "達成度"), start=1
    ):
        text_cell(lists.cell(1, column), header)
        lists.cell(1, column).font = Font(bold=True)
    for i, g in enumerate(plan.goals, start=2):
        lists.cell(i, 1).value = g.goal
        text_cell(lists.cell(i, 2), g.name)
    for i, (code, name) in enumerate(directions, start=2):
        text_cell(lists.cell(i, 3), code)
        text_cell(lists.cell(i, 4), name)
    for i, label in enumerate(labels, start=2):
        text_cell(lists.cell(i, 5), label)
    for column in range(1, 6):
        letter = get_column_letter(column)
        lists.column_dimensions[letter].width = _width(
            [lists.cell(r, column).value for r in range(1, lists.max_row + 1)]
        )
    lists.sheet_state = "hidden"
    lists.protection.sheet = True

    # The header.
    headers = {
        cols.id: HEADER_ID,
        cols.goal: HEADER_GOAL,
        cols.direction: HEADER_DIRECTION,
        cols.direction_name: HEADER_DIRECTION_NAME,
        cols.name: HEADER_NAME,
        cols.bureau: HEADER_BUREAU,
        cols.reason: HEADER_REASON,
    } | {column: year_header(year) for year, column in cols.years.items()}
    for column, header in sorted(headers.items()):
        cell = sheet.cell(1, column)
        text_cell(cell, header)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.freeze_panes = "A2"

    # The rows: carried-forward records, then empty rows ready to fill.
    open_cell = Protection(locked=False)
    for r in range(2, last_row + 1):
        for column in range(1, cols.reason + 1):
            cell = sheet.cell(r, column)
            if column == cols.direction_name:
                cell.value = (
                    f"=IFERROR(VLOOKUP({get_column_letter(cols.direction)}{r},"
                    f'{lookup_range(len(directions))},2,FALSE),"")'
                )
                cell.fill = LOCKED_FILL
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                continue
            if column != cols.goal:  # the goal is a number, as the list gives it
                cell.number_format = TEXT_FORMAT
            year = next((y for y, c in cols.years.items() if c == column), None)
            if year is not None and fiscal_year is not None and year != fiscal_year:
                cell.fill = LOCKED_FILL
            else:
                cell.protection = open_cell
            if column in (cols.name, cols.reason):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    for r, row in enumerate(rows, start=2):
        text_cell(sheet.cell(r, cols.id), row.initiative_id)
        sheet.cell(r, cols.goal).value = row.goal
        text_cell(sheet.cell(r, cols.direction), direction_code(row.goal, row.direction))
        text_cell(sheet.cell(r, cols.name), row.name)
        if row.bureau is not None:
            text_cell(sheet.cell(r, cols.bureau), row.bureau)
        if row.reason is not None:
            text_cell(sheet.cell(r, cols.reason), row.reason)
        for year, label in row.achievements.items():
            if year in cols.years and (fiscal_year is None or year < fiscal_year):
                text_cell(sheet.cell(r, cols.years[year]), label)

    add_validations(sheet, plan, cols, last_row, goals, directions, labels, fiscal_year)
    add_mismatch_highlight(sheet, cols, last_row)
    widest = {cols.direction_name: 50, cols.name: 50, cols.reason: 60}  # these wrap beyond
    for column in range(1, cols.reason + 1):
        letter = get_column_letter(column)
        values = [sheet.cell(r, column).value for r in range(1, 2 + len(rows))]
        if column == cols.direction_name:
            values = [headers[column], *(name for _, name in directions)]
        elif column in cols.years.values():
            values = [*values, *labels]
        sheet.column_dimensions[letter].width = min(_width(values), widest.get(column, 30))
    sheet.row_dimensions[1].height = 36
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"

    sheet.protection.sheet = True
    sheet.protection.formatColumns = False  # widths and heights may still be changed
    sheet.protection.formatRows = False

    _write_guide(guide, plan, directions, labels, fiscal_year, title_note)
    if fiscal_year is not None:
        _write_record(book.create_sheet(FORM_SHEET), fiscal_year, bureau, rows)
    book.active = 0
    return book


def _write_record(sheet, fiscal_year: int, bureau: str | None, rows: list[TemplateRow]) -> None:
    """What the form was made with (read back by :mod:`kawaeval.records.workbooks`)."""
    sheet.cell(1, 1).value = "fiscal_year"
    sheet.cell(1, 2).value = fiscal_year
    text_cell(sheet.cell(2, 1), "bureau")
    if bureau is not None:
        text_cell(sheet.cell(2, 2), bureau)
    text_cell(sheet.cell(3, 1), "initiatives")
    for r, row in enumerate(rows, start=4):
        text_cell(sheet.cell(r, 1), row.initiative_id)
        text_cell(sheet.cell(r, 2), row.name)
    sheet.sheet_state = "veryHidden"
    sheet.protection.sheet = True


def _width(values) -> float:
    """A column width that fits the widest value (Excel's unit is about one half-width char)."""
    widest = max((display_width(v) for v in values if v is not None and v != ""), default=8)
    return float(max(8, widest + 2))


def _write_guide(guide, plan: Plan, directions, labels, fiscal_year, title_note) -> None:
    """The 記入方法 sheet: each column, the scale, 評価対象外, the goals and directions."""
    not_evaluated = plan.achievement_labels["not_evaluated"]
    years = list(plan.program_years)
    lines: list[tuple[str, ...]] = [
        (f"{plan.city} {plan.name} {plan.program} 取組の記入方法{title_note}",),
        (),
    ]
    if fiscal_year is not None:
        grey = ["方向性の名称"]
        if fiscal_year > years[0]:
            grey.insert(0, "前年度までの結果")
        if fiscal_year < years[-1]:
            grey.insert(-1, "翌年度以降の欄")
        lines.append(
            (
                f"{year_header(fiscal_year)}の達成度を記入してください。"
                f"灰色の欄（{'、'.join(grey)}）は変更できません。",
            )
        )
    else:
        lines.append((f"取組ごとに1行、{years[0]}〜{years[-1]}年度の達成度を記入してください。",))
    lines += [
        (
            f"シート「{SHEET}」の見出し（1行目）とシート名は変えないでください。"
            f"ファイル名は「{FILE_PREFIX}」で始まる名前のまま返送してください。",
        ),
        (),
        ("列", "記入する内容"),
        (HEADER_ID, "取組ごとに重ならない番号（例: 1-2-03）。昨年度から続く取組は番号を変えない。"),
        (HEADER_GOAL, "一覧から基本目標の番号を選ぶ（下の「基本目標と取組の方向性」を参照）。"),
        (
            HEADER_DIRECTION,
            "一覧から「基本目標-方向性」の形で選ぶ（例: 1-2）。基本目標の列と同じ番号で始まるもの"
            "を選ぶ。違う番号で始まると赤く表示される。",
        ),
        (HEADER_DIRECTION_NAME, "取組の方向性を選ぶと名称が自動で表示される。入力は不要。"),
        (HEADER_NAME, "取組の名称。空欄にはできない。"),
        (HEADER_BUREAU, "取組を所管する局・本部の名称。"),
    ]
    for year in years:
        if fiscal_year is not None and year < fiscal_year:
            what = "前年度までの結果（記入済み・変更不可）。"
        elif fiscal_year is not None and year > fiscal_year:
            what = "翌年度以降の欄（今回は記入しない）。"
        else:
            what = f"{year}年度の達成度を一覧から選ぶ（下の「達成度の区分」を参照）。"
        lines.append((year_header(year), what))
    lines += [
        (
            HEADER_REASON,
            "達成度が「目標を下回った」年度があるとき、その主な理由。"
            + (
                "前年度までの記入が入っているので、今年度の結果に合わせて直す。"
                if fiscal_year
                else ""
            ),
        ),
        (),
        ("達成度の区分", "意味"),
    ]
    lines += [
        (label, ACHIEVEMENT_MEANINGS[c]) for c, label in zip(ACHIEVEMENTS, labels, strict=True)
    ]
    lines += [
        (
            f"「{not_evaluated}」とは",
            f"{NOT_EVALUATED_MEANS}。一覧の「{not_evaluated}」を選ぶか、"
            "空欄のままにする（空欄も評価対象外として扱う）。",
        ),
        (),
        ("基本目標と取組の方向性", "名称"),
    ]
    for g in plan.goals:
        lines.append((f"基本目標{g.goal}", g.name))
        for code, name in directions:
            if code.startswith(f"{g.goal}-"):
                lines.append((code, name))
    bold = {"列", "達成度の区分", "基本目標と取組の方向性"}
    for r, line in enumerate(lines, start=1):
        for c, value in enumerate(line, start=1):
            cell = guide.cell(r, c)
            text_cell(cell, value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if r == 1 or line[0] in bold:
                cell.font = Font(bold=True)
    guide.column_dimensions["A"].width = 26
    guide.column_dimensions["B"].width = 90


# ---------------------------------------------------------------- files on disk


def template_bytes(
    plan: Plan, rows=None, fiscal_year: int | None = None, title_note="", bureau=None
) -> bytes:
    """The workbook's bytes; the same inputs give the same bytes (no timestamps)."""
    return stable_xlsx_bytes(build_workbook(plan, rows, fiscal_year, title_note, bureau))
