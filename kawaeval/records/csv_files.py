"""CSV files read as text cells: the encoding (UTF-8, UTF-8 with BOM, CP932), Arrow's fast path
and Python's csv for rows of any length, one frame row per Excel row.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from kawaeval.exceptions import InputFileError

CSV_ENCODINGS = ("utf-8-sig", "cp932")


def looks_like_utf16(data: bytes) -> bool:
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


def count_lines(data: bytes) -> int:
    """Lines of text in ``data``, the last one counted whether or not it ends with ``\n``."""
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


def read_csv(
    path: Path, data: bytes, encoding: str, lines: Callable[[], int] | None = None
) -> pd.DataFrame:
    """All cells as text, header row included; one frame row per Excel row.

    Rows of any length are read (a title line above the header, empty cells after the last
    column); short rows are padded with blanks. ``lines`` gives :func:`count_lines` of
    ``data`` when it is already being counted.
    """
    fast = read_csv_arrow(data, encoding, lines) if encoding != "utf-8-sig" else None
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


def read_csv_arrow(
    data: bytes, encoding: str, lines: Callable[[], int] | None = None
) -> pd.DataFrame | None:
    """Multithreaded Arrow reading for the common case, or None to fall back to Python's csv.

    Arrow cannot pad short rows and ends a line at a bare carriage return, so its result is
    used only when every record is exactly one ``\n``-terminated line (blank lines kept as
    rows): then frame row i is Excel row i + 1, as with Python's csv. ``lines`` gives
    :func:`count_lines` of ``data`` when it is already being counted.
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
    if table.num_rows != (count_lines(data) if lines is None else lines()):
        return None
    frame = table.to_pandas(types_mapper={pa.large_string(): pd.StringDtype("pyarrow")}.get)
    frame.columns = range(len(names))
    return frame
