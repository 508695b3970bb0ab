"""The cleaned outputs on disk: ``tidy.parquet``, ``achievements.csv``, ``rejected.csv``,
``manifest.json``.

Byte-stable (the same records give the same bytes) and replaced atomically. ``tidy.parquet`` is
the tidy table with its exact text, for code; the CSV files are for people opening them in Excel:
formula-safe, and ``achievements.csv`` is wide (one row per initiative, one column per year, as
the bureaus write it), since Excel opens at most 1,048,576 rows and the long table has about four
per initiative.
"""

from __future__ import annotations

import codecs
import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kawaeval.common.files import replacing, writing_into
from kawaeval.common.spreadsheet import neutralise, neutralise_arrow, neutralise_frame
from kawaeval.plan import Plan
from kawaeval.records.validating import TEXT, text_array

REJECTED_COLUMNS = ["file", "row", "initiative_id", "name", "column", "value", "reason"]
OUTPUT_FILES = ("tidy.parquet", "achievements.csv", "rejected.csv", "manifest.json")
FORMER_OUTPUTS = ("tidy.csv",)  # the long table as CSV, before 0.2: removed, not left stale
PER_INITIATIVE = ["initiative_id", "goal", "direction", "name", "bureau"]
AFTER_YEARS = ["reason", "source_file", "source_row"]


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
    out_dir = Path(out_dir)
    with writing_into(out_dir), replacing(*(out_dir / n for n in OUTPUT_FILES)) as staged:
        parquet_path, achievements_path, rejected_path, manifest_path = staged
        # Parquet and the CSV files are written side by side: Arrow releases the GIL while it
        # encodes and writes, so on two cores the pair takes about as long as the slower one.
        with ThreadPoolExecutor(max_workers=2) as pool:
            parquet = pool.submit(_write_parquet, result.tidy, parquet_path)
            by_year = achievements_by_year(result.tidy, result.plan.program_years)
            write_csv(by_year, achievements_path)
            write_csv(result.rejected, rejected_path)
            parquet.result()
        manifest_path.write_text(
            json.dumps(result.manifest, ensure_ascii=False, indent=2) + "\n",
            encoding="utf-8",
            newline="\n",
        )
    with writing_into(out_dir):
        for name in FORMER_OUTPUTS:
            (out_dir / name).unlink(missing_ok=True)


def _write_parquet(tidy: pd.DataFrame, path: Path) -> None:
    """The tidy table as Parquet: dictionary columns written as they are (no hashing of
    millions of strings); min/max statistics only for the number columns (reading by year
    filters on them), since computing them for a million ids and names costs more than they
    save on a file of 30 MB."""
    table = pa.Table.from_pandas(tidy, preserve_index=False)
    dictionaries = [f.name for f in table.schema if pa.types.is_dictionary(f.type)]
    numbers = [f.name for f in table.schema if pa.types.is_integer(f.type)]
    pq.write_table(
        table, path, compression="snappy", use_dictionary=dictionaries, write_statistics=numbers
    )


def achievements_by_year(tidy: pd.DataFrame, years) -> pd.DataFrame:
    """The tidy table back in the bureaus' shape: one row per initiative (in tidy order), one
    ``achievement_<year>`` column per program year (missing where its file had no such column).

    An initiative's tidy rows are consecutive and share one source file and row, so the wide
    table is built from integer comparisons and takes, not a pivot.
    """
    years = np.asarray(sorted(years), dtype=np.int64)
    n = len(tidy)
    file_codes = _codes(tidy["source_file"])
    rows = tidy["source_row"].to_numpy()
    new = np.ones(n, dtype=bool)
    new[1:] = (rows[1:] != rows[:-1]) | (file_codes[1:] != file_codes[:-1])
    starts = np.flatnonzero(new)
    codes = np.full((len(starts), len(years)), -1, dtype=np.int8)
    slot = np.searchsorted(years, tidy["fiscal_year"].to_numpy())
    codes[np.cumsum(new) - 1, slot] = _codes(tidy["achievement"])
    first = tidy.iloc[starts].reset_index(drop=True)
    dtype = tidy["achievement"].dtype
    columns = {c: first[c] for c in PER_INITIATIVE}
    for j, year in enumerate(years):
        columns[f"achievement_{year}"] = pd.Categorical.from_codes(codes[:, j], dtype=dtype)
    columns.update({c: first[c] for c in AFTER_YEARS})
    return pd.DataFrame(columns, copy=False)


def _codes(column: pd.Series) -> np.ndarray:
    """Integer codes of a column's values (a categorical's own codes, else a factorisation)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy()
    return pd.factorize(column)[0]


CSV_CHUNK_ROWS = 262_144
_NEEDS_QUOTES = '[,"\n\r]'


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """CSV for Excel: UTF-8 with BOM (Excel in Japan opens it as is), "\\n" line endings, and
    text that Excel would run as a formula neutralised (:mod:`kawaeval.common.spreadsheet`).

    The bytes are those of ``neutralise_frame(frame).to_csv(index=False)`` (minimal quoting: a
    field is quoted when it holds a comma, a double quote or a line break), except that a field
    holding a carriage return is quoted too (pandas leaves it bare, which splits the row in
    Excel); built with Arrow kernels a chunk of rows at a time. Text held as Python objects is
    written the same way; a column of another type falls back to pandas.
    """
    texts = {
        c: frame[c].astype(TEXT)
        for c in frame.columns
        if frame[c].dtype != TEXT
        and not isinstance(frame[c].dtype, pd.CategoricalDtype)
        and pd.api.types.is_string_dtype(frame[c].dtype)
        and not _mixed(frame[c])
    }
    if texts:
        frame = frame.assign(**texts)
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


def _mixed(column: pd.Series) -> bool:
    """An object column holding something other than text (numbers, booleans) besides blanks."""
    if column.dtype != object:
        return False
    return any(not isinstance(v, str) and not _blank(v) for v in column.tolist())


def _blank(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def _mixed_field(value: object) -> str:
    """One value of a mixed column as a CSV field: numbers as written, text neutralised."""
    if _blank(value):
        return ""
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        value = value.item()
    if isinstance(value, bool | int | float):
        return str(value)
    return _csv_quote(str(neutralise(str(value))))


def _csv_field_kind(column: pd.Series) -> str | None:
    dtype = column.dtype
    if _mixed(column) or dtype == np.float64:
        return "mixed"
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
    if kind == "mixed":
        return pa.array([_mixed_field(v) for v in column.tolist()], type=pa.large_string())
    if kind == "integer":
        return pc.cast(pa.array(column.to_numpy()), pa.large_string())
    if kind == "categorical":
        categories = [_csv_quote(str(neutralise(v))) for v in column.cat.categories]
        codes = column.cat.codes.to_numpy()
        indices = pa.array(codes, mask=codes < 0)
        fields = pa.array(categories, type=pa.large_string()).take(indices)
        return pc.fill_null(fields, "")
    text = neutralise_arrow(text_array(column))
    quote = _needs_quotes(text)
    if quote is not None:
        quote_mark = _large('"')
        escaped = pc.binary_join_element_wise(
            quote_mark, pc.replace_substring(text, '"', '""'), quote_mark, _large("")
        )
        text = pc.if_else(quote, escaped, text)
    return pc.fill_null(text, "")


_QUOTED_BYTES = np.frombuffer(b',"\n\r', dtype=np.uint8)


def _needs_quotes(text: pa.Array) -> pa.Array | None:
    """Which rows hold a comma, a double quote or a line break (None when none does).

    A scan of the UTF-8 bytes for those four ASCII bytes (which never occur inside a multi-byte
    character), mapped to rows through the offsets: several times faster than a regex per row.
    """
    _, offsets_buffer, data_buffer = text.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[
        text.offset : text.offset + len(text) + 1
    ]
    if data_buffer is None or not len(offsets):
        return None
    data = np.frombuffer(data_buffer, dtype=np.uint8)[offsets[0] : offsets[-1]]
    hits = np.flatnonzero(np.isin(data, _QUOTED_BYTES)) + offsets[0]
    if not len(hits):
        return None
    mask = np.zeros(len(text), dtype=bool)
    mask[np.searchsorted(offsets, hits, side="right") - 1] = True
    return pa.array(mask)


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
