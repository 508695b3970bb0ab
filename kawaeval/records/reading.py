"""Read one initiatives file as text, exactly as written, whatever its name says.

The bytes decide how a file is read (:func:`sniff_format`): CSV (:mod:`kawaeval.records.csv_files`)
or a workbook (:mod:`kawaeval.records.workbooks`); a password, an HTML page, a Word file or UTF-16
text is refused naming the fix. Everything is read as strings (no type guessing) so that cleaning
sees what the bureau typed; each data row keeps its Excel row number for error messages, wherever
the header was found (:mod:`kawaeval.records.header`), and fully blank rows are left out.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import re
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from kawaeval.exceptions import InputFileError
from kawaeval.records.csv_files import (
    count_lines,
    detect_csv_encoding,
    looks_like_utf16,
    read_csv,
    read_csv_arrow,
)
from kawaeval.records.folder import INPUT_SUFFIXES
from kawaeval.records.header import find_header
from kawaeval.records.spellings import spelling_key
from kawaeval.records.workbooks import (
    FORMAT_NAMES,
    PASSWORD_PROBLEM,
    FormInfo,
    read_workbook,
)

_NOT_BLANK = re.compile(rb"[^\s]")


@dataclass(frozen=True)
class RawTable:
    """One initiatives file as written: header cells and data cells, all text.

    ``cells`` has positional column labels 0..n-1 (matching ``header``) and is indexed by the
    Excel row number of each data row. Fully blank rows are not records and are left out.
    """

    path: Path
    sha256: str
    encoding: str | None
    sheet: str | None
    header: tuple[str, ...]
    cells: pd.DataFrame
    # workbook cells (``D5``...) holding a formula without a saved result; cleaning refuses
    # those in the columns it reads
    formulas_without_values: tuple[str, ...] = ()
    header_rows: tuple[int, ...] = (1,)  # Excel rows of the header (two for a two-row header)
    format: str = "csv"
    hidden_rows: tuple[int, ...] = ()  # Excel rows hidden in the sheet that hold something
    hidden_columns: tuple[int, ...] = ()  # positions (0-based) of hidden columns in use
    hidden_sheets: tuple[str, ...] = ()  # hidden sheets passed over for a visible one
    form: FormInfo | None = None
    notes: tuple[str, ...] = field(default=())  # what the reader noticed (logged as warnings)

    @property
    def file(self) -> str:
        return self.path.name


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def sniff_format(data: bytes) -> str:
    """What the bytes are: ``xlsx``, ``xlsm``, ``ods``, ``xls``, ``encrypted``, ``html``,
    ``word``, ``zip``, ``ole`` or ``csv`` (text)."""
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
                if "mimetype" in names:
                    mimetype = archive.read("mimetype")
                    if b"opendocument.spreadsheet" in mimetype:
                        return "ods"
                if "xl/workbook.xml" in names:
                    types = (
                        archive.read("[Content_Types].xml")
                        if "[Content_Types].xml" in (names)
                        else b""
                    )
                    macro = b"macroEnabled" in types or "xl/vbaProject.bin" in names
                    return "xlsm" if macro else "xlsx"
                if "word/document.xml" in names:
                    return "word"
        except (zipfile.BadZipFile, KeyError, OSError):
            return "zip"
        return "zip"
    if data.startswith(_OLE_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            return "encrypted"
        if "WordDocument".encode("utf-16-le") in data:
            return "word"
        return "xls"
    head = data[:2048].lstrip(codecs.BOM_UTF8).lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml")) and (
        b"<table" in data[:65536].lower() or b"<html" in head
    ):
        return "html"
    return "csv"


def _format_of_name(path: Path) -> str:
    suffix = path.suffix.lower()
    return suffix.lstrip(".") if suffix in INPUT_SUFFIXES else "csv"


def read_initiative_file(path: Path) -> RawTable:
    """Read one initiatives file as text, with Excel row numbers.

    The bytes decide how it is read: a workbook saved with a ``.csv`` name (or an ``.xls``
    named ``.xlsx``) is read as the workbook it is, with a note saying what to rename it to.

    Raises
    ------
    InputFileError
        If the file is empty, text saved under a workbook name, password-protected, HTML,
        UTF-16 or otherwise undecodable, or has no header row.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(path, f"ファイルを開けません (cannot open): {exc.strerror}") from exc
    # The hash and the line count run beside the parse: hashlib lets go of the GIL, and so
    # does Arrow while it parses, so the two cores share the work.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kawaeval-hash") as background:
        digest = background.submit(_sha256, data)
        lines = background.submit(count_lines, data)
        return _read(path, data, digest, lines)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read(path: Path, data: bytes, digest: Future, lines: Future) -> RawTable:
    """:func:`read_initiative_file` once the bytes are in; ``digest`` and ``lines`` are being
    computed beside it."""
    named = _format_of_name(path)
    actual = sniff_format(data)
    notes: list[str] = []
    if actual == "encrypted":
        raise InputFileError(path, PASSWORD_PROBLEM)
    if actual == "html":
        raise InputFileError(
            path,
            "Web ページ (HTML) の形式で保存されています (an HTML page, not a workbook). "
            "Excel で開き、「Excel ブック (.xlsx)」として保存し直してください",
        )
    if actual in ("word", "zip", "ole"):
        raise InputFileError(
            path,
            "表計算のファイルではありません (not a spreadsheet). "
            "取組の表を Excel ブック (.xlsx) か CSV で保存してください",
        )
    if actual == "csv" and named != "csv":
        if looks_like_utf16(data) or _NOT_BLANK.search(data) is not None:
            raise InputFileError(
                path,
                f"名前は {path.suffix} ですが、中身はテキスト（CSV）です "
                f"(not an {path.suffix.lstrip('.').upper()} workbook: the file is text). "
                f"名前を「{path.stem}.csv」に変えるか、Excel で .xlsx として保存し直してください",
            )
    if actual != "csv" and actual != named and {actual, named} != {"xlsx", "xlsm"}:
        notes.append(
            f"名前は {path.suffix} ですが、中身は {FORMAT_NAMES[actual]} です。"
            f"そのとおりに読みました。名前を「{path.stem}.{actual}」に変えてください"
        )
    if actual == "csv" and looks_like_utf16(data):
        raise InputFileError(
            path,
            "UTF-16 で保存されています (saved as UTF-16, not UTF-8 or CP932). "
            "Excel の「Unicode テキスト」ではなく、「CSV UTF-8 (コンマ区切り)」"
            "として保存し直してください",
        )
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    if actual == "csv" and _NOT_BLANK.search(data, start) is None:
        raise InputFileError(path, "ファイルが空です (empty file)")
    book = None
    if actual == "csv":
        frame = read_csv_arrow(data, "utf-8-sig", lines.result)
        if frame is not None:
            encoding = "utf-8-sig"
        else:
            encoding = detect_csv_encoding(path, data)
            frame = read_csv(path, data, encoding, lines.result)
        merged: list = []
    else:
        encoding = None
        book = read_workbook(path, data, actual)
        frame, merged = book.frame, book.merged
    frame = frame.fillna("")
    filled = _non_blank(frame) if len(frame) else np.zeros(0, dtype=bool)
    if not filled.any():
        raise InputFileError(
            path,
            "ファイルが空です (empty file)"
            if book is None
            else (f"シート「{book.sheet}」が空です (the sheet is empty)"),
        )
    header_rows, header = find_header(frame, merged)
    first_data = header_rows[-1]  # frame position of the first data row
    cells = frame.iloc[first_data:]
    cells.index = pd.RangeIndex(first_data + 1, len(frame) + 1, name="source_row")
    cells = cells[filled[first_data:]]
    if book is None:
        return RawTable(
            path,
            digest.result(),
            encoding,
            None,
            header,
            cells,
            header_rows=header_rows,
            notes=tuple(notes),
        )
    used_rows = set(cells.index.tolist()) | set(header_rows)
    hidden_rows = tuple(r for r in book.hidden_rows if r in used_rows)
    used_columns = _used_columns(header, cells)
    hidden_columns = tuple(c for c in book.hidden_columns if c in used_columns)
    return RawTable(
        path,
        digest.result(),
        None,
        book.sheet,
        header,
        cells,
        book.formulas,
        header_rows=header_rows,
        format=actual,
        hidden_rows=hidden_rows,
        hidden_columns=hidden_columns,
        hidden_sheets=book.hidden_sheets,
        form=book.form,
        notes=tuple(notes),
    )


def _used_columns(header: tuple[str, ...], cells: pd.DataFrame) -> set[int]:
    used = {i for i, h in enumerate(header) if spelling_key(h)}
    for position in range(cells.shape[1]):
        if position not in used and not _blank(cells.iloc[:, position]).all():
            used.add(position)
    return used


def column_letter(position: int) -> str:
    """Excel's letter of a 0-based column position (0 -> ``A``, 26 -> ``AA``)."""
    letters = ""
    number = position + 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# ---------------------------------------------------------------- blank rows


def _non_blank(cells: pd.DataFrame) -> np.ndarray:
    """Rows with at least one cell holding more than spaces (full-width spaces count as spaces)."""
    keep = np.ones(len(cells), dtype=bool)
    if cells.shape[1] == 0:
        return keep
    candidates = np.flatnonzero(_blank(cells.iloc[:, 0]))
    for column in range(1, cells.shape[1]):
        if not len(candidates):
            break
        candidates = candidates[_blank(cells.iloc[candidates, column])]
    keep[candidates] = False
    return keep


def _blank(values: pd.Series) -> np.ndarray:
    return values.astype(pd.StringDtype("pyarrow")).str.strip().eq("").to_numpy(dtype=bool)


def describe_rows(rows) -> str:
    """Excel rows as ranges: ``5, 7–9, 12``."""
    rows = sorted(set(int(r) for r in rows))
    parts = []
    start = previous = None
    for row in rows:
        if start is None:
            start = previous = row
        elif row == previous + 1:
            previous = row
        else:
            parts.append(f"{start}" if start == previous else f"{start}–{previous}")
            start = previous = row
    if start is not None:
        parts.append(f"{start}" if start == previous else f"{start}–{previous}")
    return ", ".join(parts)


__all__ = [
    "RawTable",
    "column_letter",
    "describe_rows",
    "read_initiative_file",
    "sniff_format",
]
