"""Cells and checks that the workbooks people fill share (the bureaus' input form and the
committee's evaluation sheets): the header and locked fills, text written as text (a formula's
quote prefix, a cell's length limit) and a data validation with Excel's message limits.
"""

from __future__ import annotations

import logging

from openpyxl.styles import PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from kawaeval.common.spreadsheet import EXCEL_CELL_LIMIT, fit_cell, neutralise

log = logging.getLogger("kawaeval.forms.input_form")
"""The name the forms' warnings have carried since the input form was one module."""

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
LOCKED_FILL = PatternFill("solid", fgColor="D9D9D9")

# Excel's limits on data-validation messages (characters).
_TITLE_MAX = 32
_MESSAGE_MAX = 255


def text_cell(cell, value) -> None:
    """Put text in a cell as text; text Excel would read as a formula gets the quote prefix;
    text longer than a cell holds is cut with a visible marker and a warning."""
    if isinstance(value, str):
        value, cut = fit_cell(value)
        if cut:
            log.warning(
                "シート「%s」のセル %s の文字数が Excel の上限（%s 文字）を超えるため、"
                "%s 文字を省略しました（元のファイルの全文は変わりません）",
                cell.parent.title,
                cell.coordinate,
                f"{EXCEL_CELL_LIMIT:,}",
                f"{cut:,}",
            )
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if neutralise(value) != value:
            cell.quotePrefix = True


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def data_validation(kind, formula, title, prompt, error=None, allow_blank=True) -> DataValidation:
    dv = DataValidation(
        type=kind,
        formula1=formula,
        allow_blank=allow_blank,
        showInputMessage=True,
        promptTitle=_clip(title, _TITLE_MAX),
        prompt=_clip(prompt, _MESSAGE_MAX),
    )
    if error is not None:
        dv.showErrorMessage = True
        dv.errorStyle = "stop"
        dv.errorTitle = _clip(f"{title}の入力エラー", _TITLE_MAX)
        dv.error = _clip(error, _MESSAGE_MAX)
    return dv
