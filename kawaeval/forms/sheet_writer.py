"""How an evaluation sheet is written: its columns, fills, borders and formats, a writer that
puts rows top to bottom and names the committee's open cells, the リスト sheet of grades, and
the parts every sheet has (what it evaluates, figures by year, the plan's words, the
fingerprint of the figures it was made from).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName

from kawaeval.common.text import display_width, era_year
from kawaeval.evaluation.model import (
    Assessment,
    GoalResult,
    GradeDecision,
    PeriodResult,
    PlanGrade,
    YearResult,
)
from kawaeval.forms.cells import HEADER_FILL, LOCKED_FILL, data_validation, text_cell
from kawaeval.plan import ACHIEVEMENTS
from kawaeval.records.committee import PROGRAM_WORD, SHEET, defined_name

LISTS_SHEET = "リスト"
COLUMNS = 7
"""Columns A-G: 年度 (or item), 取組数, the four achievements, 達成割合."""
WIDTHS = (28, 8, 12, 12, 12, 12, 10)
OPEN_FILL = PatternFill("solid", fgColor="FFF2CC")
SECTION_FILL = PatternFill("solid", fgColor="BDD7EE")
THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
OPEN = Protection(locked=False)
LINE_HEIGHT = 15.0
COUNT_FORMAT = '0"件"'
SHARE_FORMAT = "0.0%"


def grade_choice(code: str, label: str) -> str:
    """A grade as the drop-down lists it: ``B 一定の進捗があった``."""
    return f"{code} {label}"


def _choices(grades: list[PlanGrade]) -> list[str]:
    return [grade_choice(g.grade, g.label) for g in grades]


def decided_choice(decision: GradeDecision) -> str | None:
    """The committee's choice already given (carried into the sheet), as the list writes it."""
    if decision.source != "committee" or decision.final is None:
        return None
    return grade_choice(decision.final, decision.final_label)


def suggested_choice(decision: GradeDecision) -> str:
    if decision.suggested is None:
        return "－（提案なし）"
    mark = "※" if decision.suggested_assumption else ""
    return grade_choice(decision.suggested, decision.suggested_label) + mark


class SheetWriter:
    """Writes a sheet top to bottom, one row at a time, and names the committee's cells."""

    def __init__(self, book: Workbook, sheet, lists: dict[str, str]):
        self.book = book
        self.sheet = sheet
        self.row = 1
        self.lists = lists

    # ------------------------------------------------------------ cells

    def cell(self, column: int, value, bold=False, fill=None, number_format=None, wrap=True):
        cell = self.sheet.cell(self.row, column)
        if value is not None:
            text_cell(cell, value) if isinstance(value, str) else setattr(cell, "value", value)
        cell.alignment = Alignment(wrap_text=wrap, vertical="top")
        if bold:
            cell.font = Font(bold=True)
        if fill is not None:
            cell.fill = fill
        if number_format:
            cell.number_format = number_format
        return cell

    def merged(self, first: int, last: int, value, height_for: str | None = None, **style):
        cell = self.cell(first, value, **style)
        if last > first:
            self.sheet.merge_cells(
                start_row=self.row, start_column=first, end_row=self.row, end_column=last
            )
        if height_for is not None:
            self.fit(first, last, height_for)
        return cell

    def fit(self, first: int, last: int, text: str, minimum_lines: int = 1) -> None:
        """A row tall enough for ``text`` wrapped across columns ``first``-``last``."""
        width = sum(WIDTHS[first - 1 : last]) - 1
        lines = sum(max(1, math.ceil(display_width(part) / width)) for part in text.split("\n"))
        height = max(lines, minimum_lines) * LINE_HEIGHT + 4
        current = self.sheet.row_dimensions[self.row].height or LINE_HEIGHT
        self.sheet.row_dimensions[self.row].height = max(current, height)

    def next(self, rows: int = 1) -> None:
        self.row += rows

    def name(self, cell, field_name: str, direction: int | None = None) -> None:
        name = defined_name(field_name, direction)
        reference = f"'{self.sheet.title}'!${get_column_letter(cell.column)}${cell.row}"
        self.book.defined_names[name] = DefinedName(name, attr_text=reference)

    # ------------------------------------------------------------ blocks

    def title(self, text: str, note: str) -> None:
        self.merged(1, COLUMNS, text).font = Font(bold=True, size=14)
        self.sheet.row_dimensions[self.row].height = 24
        self.next()
        self.merged(1, COLUMNS, note)
        self.next(2)

    def section(self, text: str) -> None:
        self.merged(1, COLUMNS, text, bold=True, fill=SECTION_FILL)
        self.next()

    def label_value(self, label: str, value, number_format=None, rest: str | None = None):
        self.cell(1, label, bold=True, fill=HEADER_FILL)
        cell = self.cell(2, value, number_format=number_format)
        cell.alignment = Alignment(horizontal="left", vertical="top")
        if rest is not None:
            self.merged(3, COLUMNS, rest, height_for=rest)
        self.next()
        return cell

    def note(self, text: str) -> None:
        self.merged(1, COLUMNS, text, height_for=text).font = Font(size=9, color="555555")
        self.next()

    def header(self, *labels: str | tuple[str, int]) -> None:
        """A header row; a label given as (label, columns) spans that many columns."""
        column = 1
        for label in labels:
            text, span = label if isinstance(label, tuple) else (label, 1)
            cell = self.merged(column, column + span - 1, text, bold=True, fill=HEADER_FILL)
            cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
            for c in range(column, column + span):
                self.sheet.cell(self.row, c).border = BOX
            column += span
        self.sheet.row_dimensions[self.row].height = 30
        self.next()

    def figures(self, label: str, counts, achieved: float | None) -> None:
        """One row of counts: label, total, each achievement, the achieved share."""
        cells = [
            self.cell(1, label),
            self.cell(2, counts.total, number_format=COUNT_FORMAT),
            *(
                self.cell(3 + i, counts[k], number_format=COUNT_FORMAT)
                for i, k in enumerate(ACHIEVEMENTS)
            ),
            self.cell(
                3 + len(ACHIEVEMENTS),
                None if achieved is None else achieved / 100,
                number_format=SHARE_FORMAT,
            ),
        ]
        if achieved is None:
            cells[-1].value = "－"
        for cell in cells:
            cell.border = BOX
        self.fit(1, 1, label)
        self.next()

    def choice_header(self) -> None:
        self.cell(1, "項目", bold=True, fill=HEADER_FILL)
        self.merged(2, 4, "提案（評価ルール）", bold=True, fill=HEADER_FILL)
        self.merged(5, COLUMNS, "評価委員会の判断（一覧から選ぶ）", bold=True, fill=HEADER_FILL)
        self.next()

    def choice(self, label: str, suggestion: str, kind: str, given: str | None, name, hint):
        """提案 and the committee's drop-down, side by side; returns the open cell."""
        self.cell(1, label, bold=True, fill=HEADER_FILL)
        self.merged(2, 4, suggestion, height_for=suggestion, fill=LOCKED_FILL)
        cell = self.merged(5, COLUMNS, given, height_for=given, fill=OPEN_FILL)
        cell.protection = OPEN
        for column in range(6, COLUMNS + 1):
            self.sheet.cell(self.row, column).protection = OPEN
        formula, choices = self.lists[kind]
        dv = data_validation(
            "list",
            formula,
            label,
            f"一覧から選んでください。提案（{suggestion}）のとおりとする場合も選びます。{hint}",
            f"一覧（{choices}）から選んでください。",
        )
        dv.add(cell.coordinate)
        self.sheet.add_data_validation(dv)
        self.name(cell, *name)
        self.next()
        return cell

    def free_text(self, label: str, text: str | None, name, prompt: str, lines: int = 4):
        """A labelled, unlocked text cell across the sheet (the label on its own row)."""
        self.merged(1, COLUMNS, label, bold=True, fill=HEADER_FILL)
        self.next()
        cell = self.merged(1, COLUMNS, text, fill=OPEN_FILL)
        cell.protection = OPEN
        for column in range(2, COLUMNS + 1):
            self.sheet.cell(self.row, column).protection = OPEN
        self.fit(1, COLUMNS, text or "", minimum_lines=lines)
        dv = data_validation(None, None, label[:30], prompt)
        dv.add(cell.coordinate)
        self.sheet.add_data_validation(dv)
        self.name(cell, *name)
        self.next()
        return cell


def write_lists(book: Workbook, assessment: Assessment) -> dict[str, tuple[str, str]]:
    """The hidden sheet of drop-down choices: progress (A), outlook (B), verdicts (C)."""
    sheet = book.create_sheet(LISTS_SHEET)
    plan = assessment.plan
    found = {}
    for column, (kind, grades) in enumerate(
        (
            ("progress", plan.progress_grades),
            ("outlook", plan.outlook_grades),
            ("verdict", plan.direction_grades),
        ),
        start=1,
    ):
        choices = _choices(grades)
        for row, choice in enumerate(choices, start=1):
            text_cell(sheet.cell(row, column), choice)
        letter = get_column_letter(column)
        found[kind] = (
            f"'{LISTS_SHEET}'!${letter}$1:${letter}${len(choices)}",
            "、".join(choices),
        )
        sheet.column_dimensions[letter].width = 40
    sheet.sheet_state = "hidden"
    sheet.protection.sheet = True
    return found


def setup_sheet(sheet) -> None:
    for column, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.page_setup.orientation = "portrait"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:2"
    sheet.page_margins.left = sheet.page_margins.right = 0.5
    sheet.protection.sheet = True
    sheet.protection.formatRows = False  # heights may be changed to read a long text
    sheet.protection.formatColumns = False


def new_sheet(assessment: Assessment, heading: str) -> SheetWriter:
    """A new workbook with its evaluation sheet (named ``SHEET``, A4, protected) and the
    リスト sheet, its title rows written: ``heading`` over the plan, program and evaluation."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    lists = write_lists(book, assessment)
    setup_sheet(sheet)
    w = SheetWriter(book, sheet, lists)
    plan = assessment.plan
    w.title(heading, f"{plan.city} {plan.name} {plan.program}（{evaluation_kind(assessment)}）")
    return w


def evaluation_kind(assessment: Assessment) -> str:
    return "最終評価" if assessment.is_final else "中間評価"


def year_rows(w: SheetWriter, rows: list[YearResult]) -> None:
    for r in rows:
        w.figures(era_year(r.fiscal_year), r.counts, r.achieved_share_pct)


def period_rows(w: SheetWriter, assessment: Assessment, periods: Sequence[PeriodResult]) -> None:
    """The periods' figures (延べ件数) under their own header, when the plan has periods."""
    if not periods:
        return
    w.next()
    figure_header(w, assessment, "期間（延べ件数）")
    for p in periods:
        label = f"{p.name}（{'・'.join(era_year(y) for y in p.fiscal_years)}）"
        w.figures(label, p.counts, p.achieved_share_pct)


def figure_header(w: SheetWriter, assessment: Assessment, first: str = "年度") -> None:
    labels = assessment.plan.achievement_labels
    w.header(
        first,
        "取組数",
        *(labels[k] for k in ACHIEVEMENTS),
        "達成割合",
    )


def write_meta(w: SheetWriter, assessment: Assessment, goal: GoalResult | None) -> None:
    plan = assessment.plan
    if goal is None:
        cell = w.label_value("対象", PROGRAM_WORD, rest=f"{plan.program}の全取組")
    else:
        cell = w.label_value("基本目標", goal.goal, rest=goal.name)
        w.label_value(
            "取組方針", None, rest=next(g.policy for g in plan.goals if g.goal == goal.goal)
        )
    w.name(cell, "goal")
    year = w.label_value(
        "年度",
        assessment.fiscal_year,
        rest=f"{era_year(assessment.fiscal_year)}（{evaluation_kind(assessment)}）",
    )
    year.number_format = "0"
    w.name(year, "fiscal_year")
    initiatives = goal.initiatives if goal is not None else assessment.program.initiatives
    w.label_value("取組数（評価年度）", initiatives, number_format=COUNT_FORMAT)
    w.next()


def write_fingerprint(w: SheetWriter, assessment: Assessment, goal: int | None) -> None:
    w.next()
    w.cell(1, "作成時の数値の識別子").font = Font(size=9, color="555555")
    cell = w.merged(2, COLUMNS, assessment.figures_fingerprint(goal))
    cell.font = Font(size=9, color="555555")
    w.name(cell, "fingerprint")
    w.next()
    w.note(
        "この識別子は、シートを作成した時点の取組数・達成度・参考指標を表します。返送後に記録の数値"
        "が変わると、報告書で「委員会は以前の数値で評価した」と表示します。"
    )


def supplied(text) -> str | None:
    return text.text


TEXT_PROMPT = (
    "文案は評価ルールが数値から作ったものです。必要に応じて直してください。"
    "そのまま返すと、この文を採用します。"
)
REASON_PROMPT = (
    "提案と異なる評価を選んだ場合は、その理由を書いてください（確定版の作成に必要です）。"
)
