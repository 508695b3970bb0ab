"""Workbooks (``.xlsx``, ``.xlsm``, ``.xls``, ``.ods``) read as text cells with python-calamine.

The sheet read is the visible one named 取組, else the first visible sheet; hidden sheets passed
over, hidden rows and columns (from the sheet's own XML, or xlrd for ``.xls``), formulas without
a saved result, and the record a form made by ``kawaeval template`` keeps on its very hidden
sheet are reported beside the cells.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd

from kawaeval.exceptions import InputFileError
from kawaeval.records.spellings import spelling_key

PREFERRED_SHEET = "取組"
FORM_SHEET = "kawaeval"
"""The very hidden sheet in which ``kawaeval template`` records what a form was made with."""

FORMAT_NAMES = {
    "csv": "CSV（テキスト）",
    "xlsx": "Excel ブック (.xlsx)",
    "xlsm": "Excel マクロ有効ブック (.xlsm)",
    "xls": "Excel 97-2003 ブック (.xls)",
    "ods": "OpenDocument スプレッドシート (.ods)",
}

PASSWORD_PROBLEM = (
    "パスワードで保護されています。パスワードを解除して保存してください "
    "(the workbook is password-protected: open it in Excel, remove the password under "
    "ファイル → 情報 → ブックの保護, and save it)"
)


@dataclass(frozen=True)
class FormInfo:
    """What a form made by ``kawaeval template`` records about itself (its hidden sheet)."""

    fiscal_year: int | None
    bureau: str | None
    initiatives: tuple[tuple[str, str], ...]  # (id, name) of each initiative it was made with


@dataclass
class WorkbookSheet:
    """The sheet read from a workbook as text cells (merged ranges as calamine gives them), and
    what the workbook says about it."""

    sheet: str
    frame: pd.DataFrame
    merged: list
    formulas: tuple[str, ...] = ()
    hidden_rows: tuple[int, ...] = ()
    hidden_columns: tuple[int, ...] = ()
    hidden_sheets: tuple[str, ...] = ()
    form: FormInfo | None = None


def cell_text(value) -> str:
    """A workbook cell as the text it shows: whole numbers without ``.0``, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime.datetime):
        return (
            value.isoformat(sep=" ")
            if value.time() != datetime.time()
            else (value.date().isoformat())
        )
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def _workbook_problem(path: Path, exc: Exception, actual: str) -> InputFileError:
    text = str(exc)
    if "password" in text.lower() or "encrypt" in text.lower():
        return InputFileError(path, PASSWORD_PROBLEM)
    return InputFileError(
        path,
        f"{FORMAT_NAMES[actual]} として読めません (not a readable workbook): {text}. "
        "Excel で開いて .xlsx として保存し直してください",
    )


def read_workbook(path: Path, data: bytes, actual: str) -> WorkbookSheet:
    """The sheet to read (the visible 取組, else the first visible sheet) as text cells, and
    what the workbook says about hidden rows, columns and sheets."""
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError as exc:
        raise InputFileError(path, PASSWORD_PROBLEM) from exc
    except Exception as exc:  # calamine raises several types for a damaged file
        raise _workbook_problem(path, exc, actual) from exc
    with workbook:
        sheets = [
            m
            for m in workbook.sheets_metadata
            if m.typ == python_calamine.SheetTypeEnum.WorkSheet and m.name != FORM_SHEET
        ]
        shown = [m.name for m in sheets if m.visible == python_calamine.SheetVisibleEnum.Visible]
        hidden = [m.name for m in sheets if m.name not in shown]
        if not shown:
            raise InputFileError(path, "表示されているシートがありません (no visible sheet)")
        sheet = next((n for n in shown if spelling_key(n) == PREFERRED_SHEET), shown[0])
        try:
            found = workbook.get_sheet_by_name(sheet)
            rows = found.to_python(skip_empty_area=False)
            merged = found.merged_cell_ranges or []
        except Exception as exc:
            raise _workbook_problem(path, exc, actual) from exc
        form = None
        if FORM_SHEET in workbook.sheet_names:
            try:
                form = _form_info(workbook.get_sheet_by_name(FORM_SHEET).to_python())
            except Exception:  # a damaged record of the form: read the sheet without it
                form = None
    width = max((len(r) for r in rows), default=0)
    frame = pd.DataFrame(
        [[cell_text(v) for v in r] + [""] * (width - len(r)) for r in rows], dtype=object
    )
    frame.columns = range(width)
    frame = frame.astype(pd.StringDtype("pyarrow")) if width else frame
    hidden_rows: tuple[int, ...] = ()
    hidden_columns: tuple[int, ...] = ()
    formulas: tuple[str, ...] = ()
    if actual in ("xlsx", "xlsm"):
        formulas = tuple(formulas_without_values(data, sheet))
        hidden_rows, hidden_columns = _xlsx_hidden(data, sheet)
    elif actual == "xls":
        hidden_rows, hidden_columns = _xls_hidden(data, sheet)
    elif actual == "ods":
        hidden_rows, hidden_columns = _ods_hidden(data, sheet, len(rows))
    # hidden sheets that would have been read if visible: those before the one read, or a
    # hidden 取組 (a hidden sheet after it, such as a form's lists, is no candidate)
    order = [m.name for m in sheets]
    passed_over = tuple(
        h
        for h in hidden
        if order.index(h) < order.index(sheet) or spelling_key(h) == PREFERRED_SHEET
    )
    return WorkbookSheet(
        sheet, frame, merged, formulas, hidden_rows, hidden_columns, passed_over, form
    )


def _form_info(rows: list[list]) -> FormInfo | None:
    """The record ``kawaeval template`` keeps on its hidden sheet: key/value rows, then the
    initiatives (id, name) under a row ``initiatives``."""
    fiscal_year = bureau = None
    initiatives: list[tuple[str, str]] = []
    in_list = False
    for row in rows:
        cells = [cell_text(v) for v in row] + ["", ""]
        key, value = cells[0], cells[1]
        if in_list:
            if key:
                initiatives.append((key, value))
        elif key == "fiscal_year" and value:
            fiscal_year = int(value)
        elif key == "bureau":
            bureau = value or None
        elif key == "initiatives":
            in_list = True
    if fiscal_year is None and not initiatives:
        return None
    return FormInfo(fiscal_year, bureau, tuple(initiatives))


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATION = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PACKAGE_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_HAS_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_TEXT_RESULTS = ("str", "s", "inlineStr")
_HIDDEN_ROW = re.compile(rb"<(?:\w+:)?row\b[^>]*>")
_HIDDEN_COL = re.compile(rb"<(?:\w+:)?col\b[^>]*>")
_ATTRIBUTE = re.compile(rb'\s(\w+)="([^"]*)"')


def formulas_without_values(data: bytes, sheet: str) -> list[str]:
    """Cells (``C5``...) of ``sheet`` that hold a formula but no saved result, in sheet order.

    Excel writes each formula's last result in ``<v>`` and readers use that; a workbook saved
    by a program that does not calculate (openpyxl, for one) has an empty or no ``<v>``.
    """
    try:
        xml = _sheet_xml(data, sheet)
        if not _HAS_FORMULA.search(xml):
            return []
        missing = []
        for _, element in ElementTree.iterparse(io.BytesIO(xml)):
            if element.tag != f"{_MAIN}c":
                continue
            if element.find(f"{_MAIN}f") is not None:
                value = element.find(f"{_MAIN}v")
                empty = value is None or not (value.text or "")
                if empty and not (value is not None and element.get("t") in _TEXT_RESULTS):
                    missing.append(element.get("r", "?"))
            element.clear()
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return []  # a layout this check does not know; the cells were read by calamine
    return missing


def _sheet_xml(data: bytes, sheet: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        part = _sheet_part(book, sheet)
        return book.read(part) if part is not None else b""


def _hidden_flag(value: bytes | None) -> bool:
    return value in (b"1", b"true")


def _xlsx_hidden(data: bytes, sheet: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(Excel rows, 0-based columns) that the sheet's XML marks hidden."""
    try:
        xml = _sheet_xml(data, sheet)
    except (KeyError, zipfile.BadZipFile):
        return (), ()
    if b"hidden=" not in xml:
        return (), ()
    rows, columns = [], []
    for tag in _HIDDEN_ROW.finditer(xml):
        attributes = dict(_ATTRIBUTE.findall(tag[0]))
        if _hidden_flag(attributes.get(b"hidden")) and attributes.get(b"r", b"").isdigit():
            rows.append(int(attributes[b"r"]))
    for tag in _HIDDEN_COL.finditer(xml):
        attributes = dict(_ATTRIBUTE.findall(tag[0]))
        if _hidden_flag(attributes.get(b"hidden")):
            first, last = int(attributes.get(b"min", 1)), int(attributes.get(b"max", 1))
            columns.extend(range(first - 1, min(last, first + 16383)))
    return tuple(rows), tuple(columns)


def _xls_hidden(data: bytes, sheet: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Hidden rows and columns of an ``.xls`` sheet, which xlrd reports with formatting_info."""
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
        found = book.sheet_by_name(sheet)
    except Exception:  # xlrd cannot read it: calamine did; hidden rows are then unknown
        return (), ()
    rows = tuple(r + 1 for r, info in sorted(found.rowinfo_map.items()) if info.hidden)
    columns = tuple(c for c, info in sorted(found.colinfo_map.items()) if info.hidden)
    book.release_resources()
    return rows, columns


_ODS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"


def _ods_hidden(data: bytes, sheet: str, rows_read: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Hidden (collapsed or filtered) rows and columns of an ``.ods`` sheet."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            xml = book.read("content.xml")
    except (KeyError, zipfile.BadZipFile):
        return (), ()
    rows: list[int] = []
    columns: list[int] = []
    row = column = 0
    inside = False
    for event, element in ElementTree.iterparse(io.BytesIO(xml), events=("start", "end")):
        if element.tag == f"{_ODS_TABLE}table":
            if event == "start":
                inside = element.get(f"{_ODS_TABLE}name") == sheet
            elif inside:
                break
            continue
        if not inside or event != "start":
            if event == "end" and element.tag.endswith("}table-row"):
                element.clear()
            continue
        hidden = element.get(f"{_ODS_TABLE}visibility") in ("collapse", "filter")
        if element.tag == f"{_ODS_TABLE}table-row":
            repeat = int(element.get(f"{_ODS_TABLE}number-rows-repeated", 1))
            if hidden:
                rows.extend(range(row + 1, min(row + repeat, rows_read) + 1))
            row += repeat
        elif element.tag == f"{_ODS_TABLE}table-column":
            repeat = int(element.get(f"{_ODS_TABLE}number-columns-repeated", 1))
            if hidden:
                columns.extend(range(column, min(column + repeat, column + 16384)))
            column += repeat
    return tuple(rows), tuple(columns)


def _sheet_part(book: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip entry of the sheet named ``sheet`` (from the workbook and its relationships)."""
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    relation = next(
        (s.get(_RELATION) for s in workbook.iter(f"{_MAIN}sheet") if s.get("name") == sheet), None
    )
    rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    target = next(
        (
            r.get("Target")
            for r in rels.iter(f"{_PACKAGE_RELS}Relationship")
            if r.get("Id") == relation
        ),
        None,
    )
    if target is None:
        return None
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
