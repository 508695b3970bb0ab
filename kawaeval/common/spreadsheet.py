"""Spreadsheet files people open in Excel: formula-safe text and byte-stable workbooks.

Every CSV or XLSX that kawaeval writes for people (report data files, ``rejected.csv``,
``tables.xlsx``, the bureaus' input workbooks) passes its text through :func:`neutralise`,
so a record that begins with ``=`` never runs as a formula in a staff member's Excel
(OWASP, "CSV Injection"). ``tidy.parquet`` keeps the exact text.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make Excel (or LibreOffice) read a text cell as a formula."""
_TRIGGER_BYTES = pa.array([c.encode() for c in FORMULA_TRIGGERS], type=pa.binary())

EXCEL_CELL_LIMIT = 32_767
"""The most characters an Excel cell holds; openpyxl cuts longer text without a word."""
CUT_MARKER = "…［以下 {cut:,} 文字を省略。全文は報告書の HTML と data/tidy.parquet にあります］"

FIXED_TIME = datetime(2000, 1, 1)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def neutralise(value: object) -> object:
    """Prefix text that Excel would read as a formula with an apostrophe; other values as given."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def neutralise_arrow(text: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """:func:`neutralise` over a whole Arrow string column at once (for a million rows)."""
    # Every trigger is one ASCII byte, so the first byte of the UTF-8 text decides (no regex).
    binary = pa.large_binary() if pa.types.is_large_string(text.type) else pa.binary()
    first = pc.binary_slice(text.cast(binary), 0, 1)
    risky = pc.fill_null(pc.is_in(first, value_set=_TRIGGER_BYTES), False)
    if not pc.any(risky).as_py():
        return text
    apostrophe, nothing = pa.scalar("'", type=text.type), pa.scalar("", type=text.type)
    return pc.if_else(risky, pc.binary_join_element_wise(apostrophe, text, nothing), text)


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column labels) are neutralised; numbers stay."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if (
            series.dtype == object
            or pd.api.types.is_string_dtype(series.dtype)
            or isinstance(series.dtype, pd.CategoricalDtype)
        ):
            if isinstance(series.dtype, pd.CategoricalDtype):
                out[column] = series.cat.rename_categories(
                    [neutralise(c) for c in series.cat.categories]
                )
            else:
                out[column] = series.map(neutralise, na_action="ignore")
    out.columns = [neutralise(c) for c in out.columns]
    return out


def fit_cell(text: str, limit: int = EXCEL_CELL_LIMIT) -> tuple[str, int]:
    """``text`` as an Excel cell can hold it, and how many characters were cut (0 when whole).

    Text over Excel's limit is cut and ends with a visible marker saying how much is left out
    and where the whole text is, instead of being cut silently (as openpyxl does).
    """
    if len(text) <= limit:
        return text, 0
    cut = len(text) - limit
    while True:  # the marker's own length changes with the number it shows
        marker = CUT_MARKER.format(cut=cut)
        kept = limit - len(marker)
        if len(text) - kept == cut:
            return text[:kept] + marker, cut
        cut = len(text) - kept


def stable_xlsx_bytes(
    workbook, created: datetime = FIXED_TIME, zip_time: tuple = ZIP_TIME
) -> bytes:
    """Save an openpyxl workbook so that the same content gives the same bytes.

    openpyxl stamps the document properties and each zip entry with the current time;
    both are pinned here, to ``created`` and ``zip_time``.
    """
    from openpyxl.xml.functions import tostring

    workbook.properties.created = created
    workbook.properties.modified = created
    buffer = io.BytesIO()
    workbook.save(buffer)
    workbook.properties.modified = created
    core = tostring(workbook.properties.to_tree())
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = core if info.filename == "docProps/core.xml" else source.read(info)
            entry = zipfile.ZipInfo(info.filename, date_time=zip_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, data)
    return out.getvalue()
