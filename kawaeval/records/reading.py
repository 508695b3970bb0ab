"""Find the files in the raw folder and read the initiatives files as text, exactly as written.

Every file of the raw folder is either read or named with the reason it is not
(:func:`survey_folder`). An initiatives file is read by what its bytes are, whatever its name
says: CSV (UTF-8, UTF-8 with BOM, CP932), or a workbook (``.xlsx``, ``.xlsm``, ``.xls``,
``.ods``) read with python-calamine from its first visible sheet (the visible one named 取組
when there is one). Everything is read as strings (no type guessing) so that cleaning sees what
the bureau typed; each data row keeps its Excel row number for error messages, wherever the
header was found (a title block above it is skipped; a header on two rows is joined).
"""

from __future__ import annotations

import codecs
import csv
import datetime
import hashlib
import io
import logging
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from kawaeval.exceptions import InputFileError
from kawaeval.records.committee import is_committee_sheet
from kawaeval.records.spellings import (
    ACHIEVEMENT_WORDS,
    ACTUAL_WORDS,
    LOOKS_LIKE_A_YEAR,
    REQUIRED_ROLES,
    TARGET_WORDS,
    header_role,
    read_year_header,
    spelling_key,
    visible,
)

log = logging.getLogger(__name__)

INPUT_PREFIXES = ("initiatives", "取組")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
INPUT_SUFFIXES = (".csv", *WORKBOOK_SUFFIXES)
PREFERRED_SHEET = "取組"
FORM_SHEET = "kawaeval"
"""The very hidden sheet in which ``kawaeval template`` records what a form was made with."""
CSV_ENCODINGS = ("utf-8-sig", "cp932")
EXPECTED_NAMES = "initiatives*.csv|xlsx|xlsm|xls|ods / 取組*.csv|xlsx|xlsm|xls|ods"
HEADER_SEARCH_ROWS = 20
"""The header is looked for in the first rows (a title block may stand above it)."""
SPREADSHEET_SUFFIXES = (*INPUT_SUFFIXES, ".xlsb", ".xltx", ".xltm", ".tsv", ".numbers", ".txt")
SUPPLEMENT_STEMS = {
    "judgements": ("judgements", "委員会評価"),
    "highlights": ("highlights", "主な実績"),
    "indicators": ("indicators", "参考指標"),
}
SUPPLEMENT_SUFFIXES = (".csv", ".xlsx")
NOTICE_FILE = "notice.txt"
PLAN_FILE = "plan.toml"
SYSTEM_FILES = ("thumbs.db", "desktop.ini", ".ds_store")
_NOT_BLANK = re.compile(rb"[^\s]")
KIND_WORDS = {*ACHIEVEMENT_WORDS, *ACTUAL_WORDS, *TARGET_WORDS}

FORMAT_NAMES = {
    "csv": "CSV（テキスト）",
    "xlsx": "Excel ブック (.xlsx)",
    "xlsm": "Excel マクロ有効ブック (.xlsm)",
    "xls": "Excel 97-2003 ブック (.xls)",
    "ods": "OpenDocument スプレッドシート (.ods)",
}


@dataclass(frozen=True)
class FormInfo:
    """What a form made by ``kawaeval template`` records about itself (its hidden sheet)."""

    fiscal_year: int | None
    bureau: str | None
    initiatives: tuple[tuple[str, str], ...]  # (id, name) of each initiative it was made with


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


# ---------------------------------------------------------------- the raw folder


@dataclass(frozen=True)
class FolderEntry:
    """One entry of the raw folder and what kawaeval does with it."""

    name: str
    role: str  # initiatives, plan, judgements, highlights, indicators, notice, readme, ...
    read: bool
    level: str  # "info" (expected there) or "warning" (looks like records, not read)
    reason: str

    def as_dict(self) -> dict:
        return {
            "file": self.name,
            "role": self.role,
            "read": self.read,
            "level": self.level,
            "reason": self.reason,
        }


def _normal_name(path: Path) -> str:
    return unicodedata.normalize("NFKC", path.name).lower()


def is_initiatives_file(path: Path) -> bool:
    """Whether a file name is one the contract reads as an initiatives table."""
    name = _normal_name(path)
    if name.startswith(("~$", ".")):  # Excel lock files and hidden files
        return False
    return name.startswith(INPUT_PREFIXES) and name.endswith(INPUT_SUFFIXES)


def _supplement_kind(name: str) -> str | None:
    for kind, stems in SUPPLEMENT_STEMS.items():
        if any(name == f"{stem}{suffix}" for stem in stems for suffix in SUPPLEMENT_SUFFIXES):
            return kind
    return None


def classify(path: Path) -> FolderEntry:
    """What a file or folder of the raw folder is, whether it is read, and why."""
    name = _normal_name(path)
    shown = path.name
    if path.is_dir():
        inside = [
            p
            for p in path.rglob("*")
            if p.is_file() and _normal_name(p).endswith(SPREADSHEET_SUFFIXES)
        ]
        if inside:
            return FolderEntry(
                shown,
                "folder",
                False,
                "warning",
                f"フォルダの中の表（{inside[0].name} など {len(inside)} 件）は読みません。"
                "取組の表なら raw フォルダの直下に置いてください",
            )
        return FolderEntry(shown, "folder", False, "info", "フォルダは読みません")
    if name.startswith("~$"):
        return FolderEntry(
            shown,
            "lock",
            False,
            "info",
            "Excel の一時ファイルです。ブックが Excel で開かれています",
        )
    if name.startswith(".") or name in SYSTEM_FILES:
        return FolderEntry(shown, "system", False, "info", "システムのファイルです")
    if is_initiatives_file(path):
        return FolderEntry(shown, "initiatives", True, "info", "取組の表")
    if name == PLAN_FILE:
        return FolderEntry(shown, "plan", True, "info", "計画定義。同梱の計画に代わります")
    if name == NOTICE_FILE:
        return FolderEntry(shown, "notice", False, "info", "注記。assess と build が読みます")
    if is_committee_sheet(path):
        return FolderEntry(
            shown, "committee", False, "info", "評価委員会の評価シート。assess と build が読みます"
        )
    kind = _supplement_kind(name)
    if kind is not None:
        return FolderEntry(shown, kind, False, "info", "任意の入力。assess と build が読みます")
    if name.startswith("readme") or name.endswith(".md"):
        return FolderEntry(shown, "readme", False, "info", "説明のファイルです")
    if name.startswith(INPUT_PREFIXES):
        return FolderEntry(
            shown,
            "unsupported",
            False,
            "warning",
            f"取組の表のような名前ですが、{path.suffix or '拡張子なし'} の形式は読めません。"
            "Excel で .xlsx として保存してください",
        )
    if name.endswith(SPREADSHEET_SUFFIXES):
        return FolderEntry(
            shown,
            "not_read",
            False,
            "warning",
            "名前が initiatives / 取組 で始まらないため読みません。"
            f"取組の表なら名前を「取組_{path.stem}{path.suffix}」のように変えてください",
        )
    return FolderEntry(shown, "other", False, "info", "記録の形式ではないため読みません")


def survey_folder(raw_dir: Path) -> list[FolderEntry]:
    """Every entry of ``raw_dir`` (name order) with what is done with it.

    Raises
    ------
    InputFileError
        If the folder does not exist.
    """
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise InputFileError(
            raw_dir,
            f"フォルダ {raw_dir} がありません (raw folder not found). "
            f"{EXPECTED_NAMES} を置いたフォルダを --raw で指定してください",
        )
    return [classify(p) for p in sorted(raw_dir.iterdir(), key=lambda p: p.name)]


def find_initiative_files(raw_dir: Path) -> list[Path]:
    """The initiatives files in ``raw_dir``, sorted by name.

    Raises
    ------
    InputFileError
        If the folder does not exist or holds no initiatives file (naming what it holds).
    """
    raw_dir = Path(raw_dir)
    entries = survey_folder(raw_dir)
    files = [raw_dir / e.name for e in entries if e.role == "initiatives"]
    if not files:
        others = [e for e in entries if e.role not in ("system", "lock")]
        held = (
            " フォルダにあるもの: "
            + "、".join(f"{e.name}（{e.reason}）" for e in others[:10])
            + (f" ほか {len(others) - 10} 件" if len(others) > 10 else "")
            if others
            else " フォルダは空です"
        )
        raise InputFileError(
            raw_dir,
            f"フォルダ {raw_dir} に取組の表がありません (no initiatives file). "
            f"{EXPECTED_NAMES} という名前のファイルを置いてください。{held}",
        )
    return files


# ---------------------------------------------------------------- one file


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PASSWORD_PROBLEM = (
    "パスワードで保護されています。パスワードを解除して保存してください "
    "(the workbook is password-protected: open it in Excel, remove the password under "
    "ファイル → 情報 → ブックの保護, and save it)"
)


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
    digest = hashlib.sha256(data).hexdigest()
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
        if _looks_like_utf16(data) or _NOT_BLANK.search(data) is not None:
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
    if actual == "csv" and _looks_like_utf16(data):
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
        frame = _read_csv_arrow(data, "utf-8-sig")
        if frame is not None:
            encoding = "utf-8-sig"
        else:
            encoding = detect_csv_encoding(path, data)
            frame = _read_csv(path, data, encoding)
        merged: list = []
    else:
        encoding = None
        book = _read_workbook(path, data, actual)
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
    header_rows, header = _header(frame, merged)
    first_data = header_rows[-1]  # frame position of the first data row
    cells = frame.iloc[first_data:]
    cells.index = pd.RangeIndex(first_data + 1, len(frame) + 1, name="source_row")
    cells = cells[filled[first_data:]]
    if book is None:
        return RawTable(
            path, digest, encoding, None, header, cells, header_rows=header_rows, notes=tuple(notes)
        )
    used_rows = set(cells.index.tolist()) | set(header_rows)
    hidden_rows = tuple(r for r in book.hidden_rows if r in used_rows)
    used_columns = _used_columns(header, cells)
    hidden_columns = tuple(c for c in book.hidden_columns if c in used_columns)
    return RawTable(
        path,
        digest,
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


# ---------------------------------------------------------------- where the header is


def _row_texts(frame: pd.DataFrame, position: int) -> list[str]:
    return ["" if v is None else str(v) for v in frame.iloc[position].tolist()]


def _header_score(texts: list[str]) -> int:
    """How many of the required fields a row names (a header names at least two)."""
    return len({header_role(t) for t in texts} & set(REQUIRED_ROLES))


def _header(frame: pd.DataFrame, merged: list) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """(Excel rows of the header, the header's cells): the first row naming two or more of the
    required fields among the first rows (else the first row that is not blank), joined with
    the row below when the years are written there (a two-row header: 達成度 over the years).
    """
    first = texts = None
    for position in range(min(HEADER_SEARCH_ROWS, len(frame))):
        row = _row_texts(frame, position)
        if first is None and any(spelling_key(t) for t in row):
            first = (position, row)
        if _header_score(row) >= 2:
            texts = row
            break
    if texts is None:
        position, texts = first if first is not None else (0, _row_texts(frame, 0))
    upper = _filled_across(texts, position, merged)
    if position + 1 >= len(frame):
        return (position + 1,), tuple(texts)
    lower = _row_texts(frame, position + 1)
    if _is_sub_header(upper, lower):
        return (position + 1, position + 2), tuple(_join_header(upper, lower))
    return (position + 1,), tuple(texts)


def _filled_across(texts: list[str], position: int, merged: list) -> list[str]:
    """The header row with each merged cell's text spread over the columns it spans."""
    texts = list(texts)
    for (top, left), (bottom, right) in merged or ():
        if top <= position <= bottom and left < len(texts):
            value = texts[left] if top == position else ""
            if header_role(value) is not None:
                continue  # a field's header made wide: its values stand in the first column
            for column in range(left + 1, min(right + 1, len(texts))):
                if not spelling_key(texts[column]):
                    texts[column] = value
    return texts


def _is_sub_header(upper: list[str], lower: list[str]) -> bool:
    """Whether the row below the header holds the years (or what each year column holds:
    目標, 実績, 達成度) under cells that name no field: the second row of a two-row header,
    not a record."""
    year_like = 0
    above = ""  # the nearest header cell to the left, for cells under a merged one
    for top, bottom in zip(upper, lower, strict=True):
        if spelling_key(top):
            above = top
        key = spelling_key(bottom)
        if not key:
            continue
        role = header_role(top)
        if role is not None:
            if header_role(bottom) == role:
                continue  # the field's name repeated under itself
            return False  # a value under a field's header: a record
        if _is_year_header(bottom) or LOOKS_LIKE_A_YEAR.search(key.upper()):
            year_like += 1
        elif key in KIND_WORDS and (_is_year_header(above) or not header_role(above)):
            year_like += 1
        else:
            return False
    return year_like > 0


def _join_header(upper: list[str], lower: list[str]) -> list[str]:
    """The two rows of a header as one: each column's upper and lower text, a year written
    once above several columns (目標, 実績 under 2018年度) carried to each of them."""
    joined = []
    above = ""
    for top, bottom in zip(upper, lower, strict=True):
        if spelling_key(top):
            above = top
        elif spelling_key(bottom) in KIND_WORDS and _is_year_header(above):
            top = above
        if spelling_key(top) and spelling_key(bottom) and top != bottom:
            joined.append(f"{top} {bottom}")
        else:
            joined.append(top if spelling_key(top) else bottom)
    return joined


def _is_year_header(text: str) -> bool:
    try:
        return read_year_header(text) is not None
    except ValueError:
        return True


# ---------------------------------------------------------------- CSV


def _looks_like_utf16(data: bytes) -> bool:
    """A UTF-16 byte-order mark, or NUL bytes (never in UTF-8 or CP932 text, common in UTF-16)."""
    return data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data


def detect_csv_encoding(path: Path, data: bytes) -> str:
    """UTF-8 (with or without BOM) when the bytes decode strictly as UTF-8, else CP932.

    Raises
    ------
    InputFileError
        If the bytes are neither valid UTF-8 nor valid CP932.
    """
    for encoding in CSV_ENCODINGS:
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    raise InputFileError(
        path,
        "文字コードを判別できません (not UTF-8 or CP932). "
        "Excel で「CSV UTF-8」または「CSV (コンマ区切り)」として保存し直してください",
    )


def _read_csv(path: Path, data: bytes, encoding: str) -> pd.DataFrame:
    """All cells as text, header row included; one frame row per Excel row.

    Rows of any length are read (a title line above the header, empty cells after the last
    column); short rows are padded with blanks.
    """
    fast = _read_csv_arrow(data, encoding) if encoding != "utf-8-sig" else None
    if fast is not None:
        return fast
    text = data.decode(encoding)
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise InputFileError(path, f"CSV として読めません (not a valid CSV): {exc}") from exc
    width = max((len(r) for r in rows), default=0)
    return pd.DataFrame(
        [r + [""] * (width - len(r)) for r in rows], dtype=pd.StringDtype("pyarrow")
    ).set_axis(range(width), axis=1)


def _read_csv_arrow(data: bytes, encoding: str) -> pd.DataFrame | None:
    """Multithreaded Arrow reading for the common case, or None to fall back to Python's csv.

    Arrow cannot pad short rows and ends a line at a bare carriage return, so its result is
    used only when every record is exactly one ``\n``-terminated line (blank lines kept as
    rows): then frame row i is Excel row i + 1, as with Python's csv.
    """
    first_line = data[: data.find(b"\n") if b"\n" in data else len(data)]
    try:
        header = next(csv.reader([first_line.decode(encoding).rstrip("\r")]))
    except (UnicodeDecodeError, StopIteration, csv.Error):
        return None
    names = [f"c{i}" for i in range(len(header))]
    try:
        table = pa_csv.read_csv(
            pa.BufferReader(data),
            read_options=pa_csv.ReadOptions(
                column_names=names, encoding="utf8" if encoding == "utf-8-sig" else encoding
            ),
            parse_options=pa_csv.ParseOptions(ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(
                column_types={n: pa.large_string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if table.num_rows != lines:
        return None
    frame = table.to_pandas(types_mapper={pa.large_string(): pd.StringDtype("pyarrow")}.get)
    frame.columns = range(len(names))
    return frame


# ---------------------------------------------------------------- workbooks


@dataclass
class _Book:
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


def _read_workbook(path: Path, data: bytes, actual: str) -> _Book:
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
    return _Book(sheet, frame, merged, formulas, hidden_rows, hidden_columns, passed_over, form)


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
    "EXPECTED_NAMES",
    "PREFERRED_SHEET",
    "FolderEntry",
    "FormInfo",
    "RawTable",
    "column_letter",
    "describe_rows",
    "find_initiative_files",
    "is_initiatives_file",
    "read_initiative_file",
    "survey_folder",
    "visible",
]
