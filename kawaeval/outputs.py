"""The tidy outputs on disk: ``tidy.parquet``, ``tidy.csv``, ``rejected.csv``, ``manifest.json``.

Byte-stable (the same records give the same bytes) and replaced atomically. ``tidy.parquet``
keeps the exact text; the CSV files are for people opening them in Excel.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kawaeval.exceptions import OutputWriteError
from kawaeval.plan import Plan
from kawaeval.spreadsheet import neutralise, neutralise_arrow, neutralise_frame
from kawaeval.validating import TEXT, text_array

REJECTED_COLUMNS = ["file", "row", "initiative_id", "name", "column", "value", "reason"]
OUTPUT_FILES = ("tidy.parquet", "tidy.csv", "rejected.csv", "manifest.json")


@dataclass(frozen=True)
class CleanResult:
    """What cleaning produced: tidy rows, rejected rows, the manifest and the plan used."""

    tidy: pd.DataFrame
    rejected: pd.DataFrame
    manifest: dict
    plan: Plan


def write_outputs(result: CleanResult, out_dir: Path) -> None:
    """Write the four outputs into ``out_dir`` byte-for-byte reproducibly, replacing atomically.

    Raises
    ------
    OutputWriteError
        If the folder cannot be created or written to; earlier outputs are left as they were.
    """
    try:
        _write_outputs(result, Path(out_dir))
    except OSError as exc:
        raise OutputWriteError(out_dir, exc.strerror or str(exc)) from exc


def _write_outputs(result: CleanResult, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".kawaeval-clean-", dir=out_dir))
    try:
        plain = result.tidy.assign(
            **{c: _decoded(result.tidy[c]) for c in _categorical_text(result.tidy)}
        )
        table = pa.Table.from_pandas(plain, preserve_index=False)
        pq.write_table(table, staging / "tidy.parquet", compression="snappy")
        _write_csv(result.tidy, staging / "tidy.csv")
        _write_csv(result.rejected, staging / "rejected.csv")
        (staging / "manifest.json").write_text(
            json.dumps(result.manifest, ensure_ascii=False, indent=2) + "\n",
            encoding="utf-8",
            newline="\n",
        )
        for name in OUTPUT_FILES:
            os.replace(staging / name, out_dir / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _categorical_text(frame: pd.DataFrame) -> list[str]:
    """Columns holding text as a categorical (decoded to plain strings in tidy.parquet)."""
    return [
        c
        for c in frame.columns
        if isinstance(frame[c].dtype, pd.CategoricalDtype) and frame[c].cat.categories.dtype == TEXT
    ]


def _decoded(column: pd.Series) -> pd.Series:
    """A categorical text column as plain Arrow strings (an Arrow take; pandas' astype is slow)."""
    encoded = pa.array(column.array)
    dictionary = encoded.dictionary.cast(pa.large_string())
    decoded = pa.table({"text": dictionary.take(encoded.indices)})
    text = decoded.to_pandas(types_mapper={pa.large_string(): TEXT}.get)["text"]
    return text.set_axis(column.index)


CSV_CHUNK_ROWS = 262_144
_NEEDS_QUOTES = '[,"\n]'


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """CSV for Excel: UTF-8 with BOM (Excel in Japan opens it as is), "\\n" line endings, and
    text that Excel would run as a formula neutralised (:mod:`kawaeval.spreadsheet`).

    The bytes are those of ``neutralise_frame(frame).to_csv(index=False)`` (minimal quoting: a
    field is quoted when it holds a comma, a double quote or a line feed), built with Arrow
    kernels a chunk of rows at a time; a column of another type falls back to pandas.
    """
    if not all(_csv_field_kind(frame[c]) for c in frame.columns):
        neutralise_frame(frame).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
        return
    header = ",".join(_csv_quote(str(neutralise(c))) for c in frame.columns) + "\n"
    with path.open("wb") as handle:
        handle.write(codecs.BOM_UTF8 + header.encode("utf-8"))
        for first in range(0, len(frame), CSV_CHUNK_ROWS):
            chunk = frame.iloc[first : first + CSV_CHUNK_ROWS]
            fields = [_csv_fields(chunk[c]) for c in chunk.columns]
            lines = pc.binary_join_element_wise(
                pc.binary_join_element_wise(*fields, _large(",")), _large(""), _large("\n")
            )
            handle.write(_string_bytes(lines))


def _csv_quote(text: str) -> str:
    if re.search(_NEEDS_QUOTES, text):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_field_kind(column: pd.Series) -> str | None:
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical" if dtype.categories.dtype in (TEXT, "str", object) else None
    if dtype == TEXT:
        return "text"
    if pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_extension_array_dtype(dtype):
        return "integer"
    return None


def _csv_fields(column: pd.Series) -> pa.Array:
    """One CSV field per row as Arrow strings: quoted where needed, missing as empty."""
    kind = _csv_field_kind(column)
    if kind == "integer":
        return pc.cast(pa.array(column.to_numpy()), pa.large_string())
    if kind == "categorical":
        categories = [_csv_quote(str(neutralise(v))) for v in column.cat.categories]
        codes = column.cat.codes.to_numpy()
        indices = pa.array(codes, mask=codes < 0)
        fields = pa.array(categories, type=pa.large_string()).take(indices)
        return pc.fill_null(fields, "")
    text = neutralise_arrow(text_array(column))
    quote = pc.match_substring_regex(text, _NEEDS_QUOTES)
    if pc.any(quote).as_py():
        quote_mark = _large('"')
        escaped = pc.binary_join_element_wise(
            quote_mark, pc.replace_substring(text, '"', '""'), quote_mark, _large("")
        )
        text = pc.if_else(quote, escaped, text)
    return pc.fill_null(text, "")


def _large(text: str) -> pa.Scalar:
    return pa.scalar(text, type=pa.large_string())


def _string_bytes(array: pa.Array) -> memoryview:
    """The characters of a (large) string array, back to back, without copying."""
    array = array.cast(pa.large_string())
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset :]
    data = array.buffers()[2]
    if data is None:
        return memoryview(b"")
    return memoryview(data)[int(offsets[0]) : int(offsets[len(array)])]
