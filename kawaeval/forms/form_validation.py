"""The input form's entry checks: the ranges of its リスト sheet (goals, directions, labels), a
drop-down or a check with an input message and a Japanese error on every input column, and the
colour of a direction that does not belong to its row's goal.
"""

from __future__ import annotations

from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter

from kawaeval.forms.cells import data_validation

LISTS_SHEET = "リスト"

MISMATCH_FILL = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")  # dxf: bgColor


def list_range(column: int, first: int, count: int) -> str:
    letter = get_column_letter(column)
    return f"'{LISTS_SHEET}'!${letter}${first}:${letter}${first + count - 1}"


def lookup_range(count: int) -> str:
    return f"'{LISTS_SHEET}'!$C$2:$D${1 + count}"


def add_validations(sheet, plan, cols, last_row, goals, directions, labels, fiscal_year) -> None:
    """A drop-down or a check, an input message and a Japanese error on every input column."""

    def area(column: int) -> str:
        letter = get_column_letter(column)
        return f"{letter}2:{letter}{last_row}"

    goal_list = " / ".join(f"{g.goal} {g.name}" for g in plan.goals)
    id_letter = get_column_letter(cols.id)
    checks = [
        (
            cols.id,
            data_validation(
                "custom",
                f"SUMPRODUCT(--EXACT(${id_letter}$2:${id_letter}${last_row},{id_letter}2))=1",
                "取組番号",
                "取組ごとに重ならない番号を入力してください（例: 1-2-03）。"
                "昨年度から続く取組は番号を変えないでください。",
                "この取組番号はすでに使われています。取組ごとに重ならない番号にしてください。",
            ),
        ),
        (
            cols.goal,
            data_validation(
                "list",
                list_range(1, 2, len(goals)),
                "基本目標",
                f"一覧から基本目標の番号を選んでください。{goal_list}",
                f"基本目標は一覧の番号（{'、'.join(goals)}）から選んでください。",
            ),
        ),
        (
            cols.direction,
            data_validation(
                "list",
                list_range(3, 2, len(directions)),
                "取組の方向性",
                "一覧から「基本目標-方向性」を選んでください（例: 1-2）。"
                "基本目標の列と同じ番号で始まるものを選びます。"
                "名称は右の列に表示されます（一覧は「記入方法」シート）。",
                "取組の方向性は一覧の「基本目標-方向性」（"
                + "、".join(code for code, _ in directions)
                + "）から選んでください。",
            ),
        ),
        (
            cols.name,
            data_validation(
                None, None, "取組名", "取組の名称を入力してください（空欄にはできません）。"
            ),
        ),
        (
            cols.bureau,
            data_validation(
                None, None, "所管局", "取組を所管する局・本部の名称を入力してください。"
            ),
        ),
        (
            cols.reason,
            data_validation(
                None,
                None,
                "主な理由",
                "達成度が「目標を下回った」年度があるとき、その主な理由を入力してください。",
            ),
        ),
    ]
    choices = "、".join(labels)
    for year, column in cols.years.items():
        if fiscal_year is not None and year < fiscal_year:
            prompt = f"{year}年度の結果です（前年度までの結果のため変更できません）。"
        elif fiscal_year is not None and year > fiscal_year:
            prompt = f"{year}年度の達成度は、その年度の照会で記入します。"
        else:
            prompt = (
                f"{year}年度の達成度を一覧から選んでください。"
                f"評価しない場合は「{plan.achievement_labels['not_evaluated']}」または空欄。"
            )
        checks.append(
            (
                column,
                data_validation(
                    "list",
                    list_range(5, 2, len(labels)),
                    f"{year}年度の達成度",
                    prompt,
                    f"達成度は一覧（{choices}）から選んでください。",
                ),
            )
        )
    for column, dv in checks:
        dv.add(area(column))
        sheet.add_data_validation(dv)


def add_mismatch_highlight(sheet, cols, last_row) -> None:
    """Colour a direction whose goal part differs from the goal column (clean would reject it)."""
    goal = get_column_letter(cols.goal)
    direction = get_column_letter(cols.direction)
    formula = (
        f'AND(${goal}2<>"",${direction}2<>"",LEFT(${direction}2,LEN(${goal}2)+1)<>${goal}2&"-")'
    )
    sheet.conditional_formatting.add(
        f"{direction}2:{direction}{last_row}", FormulaRule(formula=[formula], fill=MISMATCH_FILL)
    )
