"""Find the initiatives files in the raw folder and read them as text, exactly as written.

Everything is read as strings (no type guessing) so that cleaning sees what the bureau typed;
each data row keeps its Excel row number (header = row 1) for error messages.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import logging
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from kawaeval.exceptions import InputFileError

log = logging.getLogger(__name__)

INPUT_PREFIXES = ("initiatives", "取組")
INPUT_SUFFIXES = (".csv", ".xlsx")
PREFERRED_SHEET = "取組"
CSV_ENCODINGS = ("utf-8-sig", "cp932")
EXPECTED_NAMES = "initiatives*.csv / initiatives*.xlsx / 取組*.csv / 取組*.xlsx"
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

    @property
    def file(self) -> str:
        return self.path.name


def is_initiatives_file(path: Path) -> bool:
    """Whether a file name is one the contract reads as an initiatives table."""
    name = unicodedata.normalize("NFKC", path.name)
    if name.startswith(("~$", ".")):  # Excel lock files and hidden files
        return False
    return name.lower().startswith(INPUT_PREFIXES) and name.lower().endswith(INPUT_SUFFIXES)


def find_initiative_files(raw_dir: Path) -> list[Path]:
    """The initiatives files in ``raw_dir``, sorted by name.

    Raises
    ------
    InputFileError
        If the folder does not exist or holds no initiatives file.
    """
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise InputFileError(
            raw_dir,
            f"フォルダ {raw_dir} がありません (raw folder not found). "
            f"{EXPECTED_NAMES} を置いたフォルダを --raw で指定するか、data/raw/ のある"
            "プロジェクトのフォルダで実行するか、そのフォルダを KAWAEVAL_HOME に設定してください。"
            "新しいプロジェクトは kawaeval init DIR で作れます",
        )
    files = sorted(p for p in raw_dir.iterdir() if p.is_file() and is_initiatives_file(p))
    if not files:
        raise InputFileError(
            raw_dir,
            f"フォルダ {raw_dir} に取組の表がありません (no initiatives file). "
            f"{EXPECTED_NAMES} という名前のファイルを置いてください",
        )
    return files


def read_initiative_file(path: Path) -> RawTable:
    """Read one CSV or XLSX initiatives file as text, with Excel row numbers.

    Raises
    ------
    InputFileError
        If the file is empty, not CSV/XLSX, UTF-16 or otherwise undecodable, or has no header
        row.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(path, f"ファイルを開けません (cannot open): {exc.strerror}") from exc
    digest = hashlib.sha256(data).hexdigest()
    if path.suffix.lower() != ".xlsx" and _looks_like_utf16(data):
        raise InputFileError(
            path,
            "UTF-16 で保存されています (saved as UTF-16, not UTF-8 or CP932). "
            "Excel の「Unicode テキスト」ではなく、「CSV UTF-8 (コンマ区切り)」"
            "として保存し直してください",
        )
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    if _NOT_BLANK.search(data, start) is None:
        raise InputFileError(path, "ファイルが空です (empty file)")
    formulas: tuple[str, ...] = ()
    if path.suffix.lower() == ".xlsx":
        sheet, frame = _read_xlsx(path, data)
        formulas = tuple(formulas_without_values(data, sheet))
        encoding = None
    else:
        sheet = None
        frame = _read_csv_arrow(data, "utf-8-sig")
        if frame is not None:
            encoding = "utf-8-sig"
        else:
            encoding = detect_csv_encoding(path, data)
            frame = _read_csv(path, data, encoding)
    if frame.empty:
        raise InputFileError(path, "ヘッダー行がありません (no header row)")
    frame = frame.fillna("")
    header = tuple(str(v) for v in frame.iloc[0].tolist())
    cells = frame.iloc[1:]
    cells.index = pd.RangeIndex(2, len(frame) + 1, name="source_row")
    cells = cells[_non_blank(cells)]
    return RawTable(path, digest, encoding, sheet, header, cells, formulas)


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
    """All cells as text, header row included; one frame row per Excel row."""
    fast = _read_csv_arrow(data, encoding) if encoding != "utf-8-sig" else None
    if fast is not None:
        return fast
    try:
        return pd.read_csv(
            io.BytesIO(data),
            encoding=encoding,
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
        )
    except pd.errors.ParserError as exc:
        raise InputFileError(
            path,
            f"CSV として読めません (not a valid CSV): {exc}. "
            "ヘッダーより列の多い行がないか確認してください",
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise InputFileError(path, "ファイルが空です (empty file)") from exc


def _read_csv_arrow(data: bytes, encoding: str) -> pd.DataFrame | None:
    """Multithreaded Arrow reading for the common case, or None to fall back to pandas.

    Arrow cannot pad short rows and ends a line at a bare carriage return, so its result is
    used only when every record is exactly one ``\n``-terminated line (blank lines kept as
    rows): then frame row i is Excel row i + 1, as with pandas.
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


def _read_xlsx(path: Path, data: bytes) -> tuple[str, pd.DataFrame]:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise InputFileError(
            path,
            "XLSX ファイルではありません (not an XLSX workbook). "
            "Excel で .xlsx として保存してください",
        )
    try:
        with pd.ExcelFile(io.BytesIO(data), engine="openpyxl") as book:
            names = [str(n) for n in book.sheet_names]
            sheet = next((n for n in names if n.strip() == PREFERRED_SHEET), names[0])
            frame = pd.read_excel(
                book,
                sheet_name=sheet,
                header=None,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
            )
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputFileError(
            path, f"XLSX として読めません (not a readable XLSX workbook): {exc}"
        ) from exc
    return sheet, frame


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATION = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PACKAGE_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_HAS_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_TEXT_RESULTS = ("str", "s", "inlineStr")


def formulas_without_values(data: bytes, sheet: str) -> list[str]:
    """Cells (``C5``...) of ``sheet`` that hold a formula but no saved result, in sheet order.

    Excel writes each formula's last result in ``<v>`` and readers use that; a workbook saved
    by a program that does not calculate (openpyxl, for one) has an empty or no ``<v>``.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            part = _sheet_part(book, sheet)
            xml = book.read(part) if part is not None else b""
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
        return []  # a layout this check does not know; the cells were read by openpyxl
    return missing


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
