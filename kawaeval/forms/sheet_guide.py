"""The evaluation sheets' 記入方法 sheet: what the committee fills in, where, and how the
returned sheet is read.
"""

from __future__ import annotations

import math

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from kawaeval.common.text import display_width
from kawaeval.evaluation.model import Assessment, GoalResult
from kawaeval.forms.cells import text_cell
from kawaeval.forms.sheet_writer import LINE_HEIGHT
from kawaeval.records.committee import SHEET, sheet_file_name

GUIDE_SHEET = "記入方法"


def write_guide(book: Workbook, assessment: Assessment, goal: GoalResult | None) -> None:
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
