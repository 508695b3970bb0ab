"""The committee's evaluation sheets (基本目標評価シート): one workbook per goal and one for the
whole program, filled from the assessment, open only where the committee decides.

``kawaeval sheets --fiscal-year YYYY --out DIR`` writes them, named as
:func:`kawaeval.records.committee.sheet_file_name` gives
(``基本目標評価シート_2021年度_基本目標1.xlsx``), so that the returned files, put into the raw
folder, are read as the committee's input (:mod:`kawaeval.records.committee`).

Each sheet shows the plan's words, the goal's figures by year and by direction, the reference
indicators, the main results, the below-target initiatives, the rule's suggestions and the
drafted sentences. The committee's cells (the final grades and verdicts, behind drop-down
lists, and the reasons and texts) are the only unlocked ones; each carries a workbook-level
defined name, which is what the reader looks for. The sheet records the figures it was made
from (``kawaeval_fingerprint``). The raw folder's own judgements (judgements.csv, returned
sheets) are carried in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName

from kawaeval.common.files import write_files
from kawaeval.common.spreadsheet import stable_xlsx_bytes
from kawaeval.common.text import display_width, era_year
from kawaeval.evaluation.model import Assessment, GoalResult, GradeDecision, PlanGrade, YearResult
from kawaeval.exceptions import OutputExistsError, TemplateOptionError
from kawaeval.forms.cells import HEADER_FILL, LOCKED_FILL, data_validation, text_cell
from kawaeval.records.committee import (
    FIELD_LABELS,
    PROGRAM_WORD,
    SHEET,
    defined_name,
    sheet_file_name,
)

GUIDE_SHEET = "記入方法"
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


@dataclass(frozen=True)
class SheetsResult:
    """The workbooks ``make_sheets`` wrote."""

    files: list[Path]


def grade_choice(code: str, label: str) -> str:
    """A grade as the drop-down lists it: ``B 一定の進捗があった``."""
    return f"{code} {label}"


def _choices(grades: list[PlanGrade]) -> list[str]:
    return [grade_choice(g.grade, g.label) for g in grades]


def _decided(decision: GradeDecision) -> str | None:
    """The committee's choice already given (carried into the sheet), as the list writes it."""
    if decision.source != "committee" or decision.final is None:
        return None
    return grade_choice(decision.final, decision.final_label)


def _suggested(decision: GradeDecision) -> str:
    if decision.suggested is None:
        return "－（提案なし）"
    mark = "※" if decision.suggested_assumption else ""
    return grade_choice(decision.suggested, decision.suggested_label) + mark


class _Writer:
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
                for i, k in enumerate(("exceeded", "on_target", "below", "not_evaluated"))
            ),
            self.cell(7, None if achieved is None else achieved / 100, number_format=SHARE_FORMAT),
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


def _lists(book: Workbook, assessment: Assessment) -> dict[str, tuple[str, str]]:
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


def _setup(sheet) -> None:
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


def _evaluation(assessment: Assessment) -> str:
    return "最終評価" if assessment.is_final else "中間評価"


def _year_rows(w: _Writer, rows: list[YearResult]) -> None:
    for r in rows:
        w.figures(era_year(r.fiscal_year), r.counts, r.achieved_share_pct)


def _figure_header(w: _Writer, assessment: Assessment, first: str = "年度") -> None:
    labels = assessment.plan.achievement_labels
    w.header(
        first,
        "取組数",
        labels.exceeded,
        labels.on_target,
        labels.below,
        labels.not_evaluated,
        "達成割合",
    )


def _meta(w: _Writer, assessment: Assessment, goal: GoalResult | None) -> None:
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
        rest=f"{era_year(assessment.fiscal_year)}（{_evaluation(assessment)}）",
    )
    year.number_format = "0"
    w.name(year, "fiscal_year")
    initiatives = goal.initiatives if goal is not None else assessment.program.initiatives
    w.label_value("取組数（評価年度）", initiatives, number_format=COUNT_FORMAT)
    w.next()


def _fingerprint(w: _Writer, assessment: Assessment, goal: int | None) -> None:
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


def _supplied(text) -> str | None:
    return text.text


TEXT_PROMPT = (
    "文案は評価ルールが数値から作ったものです。必要に応じて直してください。"
    "そのまま返すと、この文を採用します。"
)
REASON_PROMPT = (
    "提案と異なる評価を選んだ場合は、その理由を書いてください（確定版の作成に必要です）。"
)


def goal_workbook(assessment: Assessment, goal_number: int) -> Workbook:
    """The 基本目標評価シート of one goal."""
    goal = assessment.goal(goal_number)
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    lists = _lists(book, assessment)
    _setup(sheet)
    w = _Writer(book, sheet, lists)
    plan = assessment.plan
    labels = plan.achievement_labels
    w.title(
        f"基本目標評価シート　基本目標{goal.goal}　{era_year(assessment.fiscal_year)}",
        f"{plan.city} {plan.name} {plan.program}（{_evaluation(assessment)}）",
    )
    _meta(w, assessment, goal)

    w.section("１ 各取組の達成度の状況")
    _figure_header(w, assessment)
    _year_rows(w, assessment.goal_by_year(goal.goal))
    if goal.periods:
        w.next()
        _figure_header(w, assessment, "期間（延べ件数）")
        for p in goal.periods:
            label = f"{p.name}（{'・'.join(era_year(y) for y in p.fiscal_years)}）"
            w.figures(label, p.counts, p.achieved_share_pct)
    w.note(
        f"達成割合 ＝（「{labels.exceeded}」＋「{labels.on_target}」）÷ 評価した取組数"
        f"（「{labels.not_evaluated}」は分母に含めない）。"
    )
    w.free_text(
        "各取組の達成度の状況（文案）",
        _supplied(goal.achievement_text),
        ("achievement",),
        TEXT_PROMPT,
    )
    w.next()

    w.section("２ 取組の方向性ごとの評価")
    for d in goal.directions:
        w.merged(1, COLUMNS, f"取組の方向性{d.direction}　{d.name}", bold=True)
        w.next()
        _figure_header(w, assessment)
        _year_rows(w, d.by_year)
        results = [h for h in goal.highlights if h.direction == d.direction]
        for h in results:
            text = f"主な実績：{h.initiative} ― {h.result}"
            w.merged(1, COLUMNS, text, height_for=text)
            w.next()
        share = "－" if d.achieved_share_pct is None else f"{d.achieved_share_pct:.1f}%"
        w.choice_header()
        w.choice(
            "取組の方向性の進捗",
            f"{_suggested(d.progress)}（達成割合 {share}）"
            if d.progress.suggested
            else _suggested(d.progress),
            "verdict",
            _decided(d.progress),
            ("verdict", d.direction),
            "",
        )
        w.free_text(
            "進捗の判断の理由（提案と異なる場合）",
            d.progress.reason,
            ("verdict_reason", d.direction),
            REASON_PROMPT,
            lines=2,
        )
        w.free_text(
            f"取組の方向性{d.direction}の取組の状況（文案。取組の実績と進捗を書きます）",
            _supplied(d.narrative),
            ("narrative", d.direction),
            TEXT_PROMPT,
        )
        w.next()

    w.section("３ 参考指標")
    if goal.indicators:
        w.header("参考指標", "単位", "基準値", "目標値", "実績値", "達成率", "達成")
        for i in goal.indicators:
            values = [
                i.name,
                i.unit,
                i.baseline,
                i.target,
                i.actual,
                None if i.achievement_rate_pct is None else i.achievement_rate_pct / 100,
                {True: "達成", False: "未達成", None: "－"}[i.achieved],
            ]
            for column, value in enumerate(values, start=1):
                cell = w.cell(column, "－" if value is None else value)
                cell.border = BOX
                if column == 6 and value is not None:
                    cell.number_format = SHARE_FORMAT
            w.fit(1, 1, i.name)
            w.next()
        if any(i.illustrative for i in goal.indicators):
            w.note("（例示）の指標はサンプルの値であり、市の公表値ではありません。")
    else:
        w.note("参考指標は入力されていません。")
    w.next()

    w.section(f"４ {era_year(assessment.fiscal_year)}に「{labels.below}」取組")
    if goal.below_target:
        w.header("取組", "方向性", "所管", ("主な理由", 4))
        for r in goal.below_target:
            name = f"{r.initiative_id} {r.name}"
            reason = r.reason or "（理由の記載なし）"
            w.cell(1, name).border = BOX
            w.cell(2, r.direction).border = BOX
            w.cell(3, r.bureau or "").border = BOX
            w.merged(4, COLUMNS, reason).border = BOX
            w.fit(1, 1, name)
            w.fit(3, 3, r.bureau or "")
            w.fit(4, COLUMNS, reason)
            w.next()
    else:
        w.note("ありません。")
    w.next()

    w.section("５ 達成状況と今後の方向性")
    inputs = goal.rule_inputs
    basis = (
        f"評価ルールの入力：{era_year(assessment.fiscal_year)}の達成割合 "
        f"{_pct(inputs.achieved_share_pct)}、"
        f"各年度の最小 {_pct(inputs.min_year_achieved_share_pct)}"
    )
    if assessment.grading_rule.thresholds.external_cause_keywords:
        basis += f"、外部要因を考慮した割合 {_pct(inputs.adjusted_share_pct)}"
    w.note(basis + "。")
    w.choice_header()
    w.choice(
        FIELD_LABELS["progress"],
        _suggested(goal.progress),
        "progress",
        _decided(goal.progress),
        ("progress",),
        "",
    )
    w.choice(
        "今後の方向性（取組構成の妥当性）",
        _suggested(goal.outlook),
        "outlook",
        _decided(goal.outlook),
        ("outlook",),
        "",
    )
    w.free_text(
        "評価の理由（提案と異なる評価を選んだ場合は必ず書いてください）",
        goal.progress.reason or goal.outlook.reason,
        ("reason",),
        REASON_PROMPT,
        lines=3,
    )
    w.free_text(
        "達成状況と今後の方向性（文案）", _supplied(goal.grades_text), ("grades",), TEXT_PROMPT
    )
    _fingerprint(w, assessment, goal.goal)
    _guide(book, assessment, goal)
    book.active = 0
    return book


def _pct(value: float | None) -> str:
    return "－" if value is None else f"{value:.1f}%"


def program_workbook(assessment: Assessment) -> Workbook:
    """The sheet of the whole program: its figures, every goal's and direction's standing, the
    sentences on them, and the committee's overall judgement."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    lists = _lists(book, assessment)
    _setup(sheet)
    w = _Writer(book, sheet, lists)
    plan = assessment.plan
    w.title(
        f"基本目標評価シート　{plan.program}全体　{era_year(assessment.fiscal_year)}",
        f"{plan.city} {plan.name} {plan.program}（{_evaluation(assessment)}）",
    )
    _meta(w, assessment, None)

    w.section("１ 各取組の達成度の状況（全取組）")
    _figure_header(w, assessment)
    _year_rows(w, assessment.program_by_year)
    if assessment.program_periods:
        w.next()
        _figure_header(w, assessment, "期間（延べ件数）")
        for p in assessment.program_periods:
            label = f"{p.name}（{'・'.join(era_year(y) for y in p.fiscal_years)}）"
            w.figures(label, p.counts, p.achieved_share_pct)
    w.free_text(
        "各取組の達成度の状況（文案）",
        _supplied(assessment.program.achievement_text),
        ("achievement",),
        TEXT_PROMPT,
    )
    w.next()

    w.section("２ 基本目標ごとの達成状況と今後の方向性")
    w.note(
        "各基本目標と取組の方向性の評価は、それぞれの基本目標評価シートで判断します。"
        "下の表はこのシートを作成した時点の値です（提案、または委員会の判断）。"
    )
    w.header("基本目標", "達成割合", ("達成状況", 2), ("今後の方向性", 2), "根拠")
    for g in assessment.goals:
        w.cell(1, f"基本目標{g.goal} {g.name}").border = BOX
        w.cell(
            2,
            None if g.achieved_share_pct is None else g.achieved_share_pct / 100,
            number_format=SHARE_FORMAT,
        ).border = BOX
        w.merged(3, 4, _final(g.progress)).border = BOX
        w.merged(5, 6, _final(g.outlook)).border = BOX
        w.cell(7, _source(g.progress)).border = BOX
        w.fit(1, 1, f"基本目標{g.goal} {g.name}")
        w.next()
    w.next()
    w.header("取組の方向性", "達成割合", ("進捗", 4), "根拠")
    for g in assessment.goals:
        for d in g.directions:
            label = f"{g.goal}-{d.direction} {d.name}"
            w.cell(1, label).border = BOX
            w.cell(
                2,
                None if d.achieved_share_pct is None else d.achieved_share_pct / 100,
                number_format=SHARE_FORMAT,
            ).border = BOX
            w.merged(3, 6, _final(d.progress)).border = BOX
            w.cell(7, _source(d.progress)).border = BOX
            w.fit(1, 1, label)
            w.next()
    w.free_text(
        "基本目標ごとの達成状況と今後の方向性（文案）",
        _supplied(assessment.overall.goals_text),
        ("goals",),
        TEXT_PROMPT + "基本目標のシートで評価を変えた場合は、この文も合わせて直してください。",
    )
    w.next()

    w.section("３ 社会経済環境の変化")
    w.free_text(
        "計画期間中の社会経済環境の変化（任意。書いた場合は報告書の総合的な評価に載ります）",
        _supplied(assessment.overall.context),
        ("context",),
        "計画期間中に取組を取り巻く環境がどう変わったかを書いてください（任意）。",
        lines=3,
    )
    w.next()

    w.section("４ 総合的な評価")
    program = assessment.program
    w.choice_header()
    w.choice(
        "全体の達成状況",
        _suggested(program.progress),
        "progress",
        _decided(program.progress),
        ("progress",),
        "",
    )
    w.free_text(
        "総合的な評価（委員会の評価の文）",
        assessment.overall.statement,
        ("reason",),
        "プログラム全体の総合的な評価を書いてください。"
        "提案と異なる達成状況を選んだ場合は、その理由も。",
    )
    _fingerprint(w, assessment, None)
    _guide(book, assessment, None)
    book.active = 0
    return book


def _final(decision: GradeDecision) -> str:
    if decision.final is None:
        return "－"
    return grade_choice(decision.final, decision.final_label) + (
        "※" if decision.final_assumption else ""
    )


def _source(decision: GradeDecision) -> str:
    return "委員会" if decision.source == "committee" else "提案"


def _guide(book: Workbook, assessment: Assessment, goal: GoalResult | None) -> None:
    """The 記入方法 sheet: what to fill, what the choices mean, and how to return the file."""
    guide = book.create_sheet(GUIDE_SHEET)
    plan = assessment.plan
    name = sheet_file_name(assessment.fiscal_year, None if goal is None else goal.goal)
    lines: list[tuple[str, ...]] = [
        (f"{plan.city} {plan.name} {plan.program} 評価シートの記入方法",),
        (),
        (
            f"シート「{SHEET}」の黄色の欄に記入してください。ほかの欄（灰色や白の欄）は"
            "記録から作成したもので、変更できません（シートの保護はパスワードなしで解除できますが、"
            "解除しないでください）。",
        ),
        (
            "達成状況・今後の方向性・進捗は、一覧から選びます。提案（評価ルールによる案）の"
            "とおりとする場合も選んでください。空欄のままの項目は、報告書では提案のまま"
            "（委員会の判断なし）として扱います。",
        ),
        (
            "提案と異なる評価を選んだ場合は、その理由を書いてください。理由のない変更があると、"
            "確定版（kawaeval build --final）は作成できません。",
        ),
        (
            "文案は評価ルールが数値から作ったものです。必要に応じて直してください。"
            "文案のまま返すと、その文を委員会の文として採用します。空欄にすると、報告書は"
            "評価ルールの文案（文案である旨の表示付き）のままになります。",
        ),
        (
            f"記入後は、ファイル名（{name}）を変えずに評価担当課へ返してください。"
            "評価担当課は、返されたファイルを元データのフォルダ（data/raw/）に置きます。",
        ),
        (),
        ("選択肢", "意味"),
    ]
    for title, grades in (
        ("達成状況", plan.progress_grades),
        ("今後の方向性", plan.outlook_grades),
        ("取組の方向性の進捗", plan.direction_grades),
    ):
        for g in grades:
            note = "（市の公表資料に記載のない仮の名称）" if g.assumption else ""
            lines.append((f"{title}：{g.grade}", f"{g.label}{note}"))
    lines += [(), ("評価ルール", "")]
    lines += [(text,) for text in assessment.grading_rule.text_ja]
    for row, line in enumerate(lines, start=1):
        for column, value in enumerate(line, start=1):
            cell = guide.cell(row, column)
            text_cell(cell, value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if row == 1 or line[0] in ("選択肢", "評価ルール"):
                cell.font = Font(bold=True)
        if len(line) == 1:
            guide.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
            width = 26 + 90
            guide.row_dimensions[row].height = (
                max(1, math.ceil(display_width(line[0]) / width)) * LINE_HEIGHT + 4
            )
    guide.column_dimensions["A"].width = 26
    guide.column_dimensions["B"].width = 90
    guide.page_setup.paperSize = guide.PAPERSIZE_A4
    guide.page_setup.fitToWidth = 1
    guide.page_setup.fitToHeight = 0
    guide.sheet_properties.pageSetUpPr.fitToPage = True
    guide.protection.sheet = True


def sheet_workbooks(assessment: Assessment) -> dict[str, bytes]:
    """Every sheet's file name and bytes: one per goal, then the program's; the same
    assessment gives the same bytes (no timestamps)."""
    files = {
        sheet_file_name(assessment.fiscal_year, g.goal): stable_xlsx_bytes(
            goal_workbook(assessment, g.goal)
        )
        for g in assessment.goals
    }
    files[sheet_file_name(assessment.fiscal_year, None)] = stable_xlsx_bytes(
        program_workbook(assessment)
    )
    return files


def make_sheets(
    out_dir: Path,
    raw_dir: Path,
    fiscal_year: int,
    allow_rejects: bool = False,
    force: bool = False,
) -> SheetsResult:
    """Assess ``fiscal_year`` from the raw folder and write its evaluation sheets into
    ``out_dir``.

    Raises
    ------
    UnknownFiscalYearError
        If the year is not a program year (exit 2).
    TemplateOptionError, OutputExistsError
        If ``out_dir`` is a file or the raw folder itself (where a sheet counts as returned by
        the committee), or a sheet exists there already without ``force`` (exit 2).
    KawaevalError
        Whatever assessing the raw folder raises (exit 1).
    OutputWriteError
        If a workbook cannot be written; nothing is half-written.
    """
    from kawaeval.evaluation.assessing import assess_records

    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise TemplateOptionError("--out", f"{out_dir} はファイルです。フォルダを指定してください")
    if out_dir.resolve() == Path(raw_dir).resolve():
        raise TemplateOptionError(
            "--out",
            f"{out_dir} は元データのフォルダ（--raw）です。そこに置いたシートは委員会が返した"
            "ものとして読まれ、文案がそのまま採用されます。別のフォルダを指定してください",
        )
    assessment = assess_records(Path(raw_dir), fiscal_year, allow_rejects=allow_rejects)
    contents = {out_dir / name: data for name, data in sheet_workbooks(assessment).items()}
    for path in contents:
        if path.exists() and not force:
            raise OutputExistsError(path)
    write_files(contents)
    return SheetsResult(list(contents))
