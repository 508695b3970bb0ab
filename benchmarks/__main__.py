"""Cleaning speed on one million raw rows, as ratios measured in the same run.

Generates ``benchmarks/.work/raw/initiatives_bench.csv`` (UTF-8 with BOM, a realistic mix of the
contract's header and value spellings, a few bad rows) and times, best of N in one run:

- the reading floor: bytes + SHA-256 + Arrow parse of every cell as text, the least any faithful
  cleaner must do; :func:`kawaeval.records.cleaning.clean` against it, goal at most 2x;
- ``pandas.read_csv`` of the same file; writing the outputs
  (:func:`kawaeval.records.outputs.write_outputs`) against it, goal at most 3x;
- for the floor of writing: ``pyarrow.parquet.write_table`` of the tidy table alone.

Ratios, machine, versions and date go to ``benchmarks/RESULTS.md`` (its cleaning section).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import hashlib
import os
import platform
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from benchmarks.results import RESULTS, replace_section
from kawaeval.common.cpus import usable_cpus
from kawaeval.records.cleaning import clean
from kawaeval.records.outputs import write_outputs
from kawaeval.records.reading import read_initiative_file
from kawaeval.version import __version__

HERE = Path(__file__).resolve().parent
WORK_DIR = HERE / ".work"
CLEAN_GOAL = 2.0  # clean() / reading floor
WRITE_GOAL = 3.0  # writing the outputs / pandas.read_csv
SECTION_START = "<!-- cleaning benchmark: written by python -m benchmarks -->"
SECTION_END = "<!-- end of cleaning benchmark -->"

HEADER = [
    "取組番号",
    "基本目標",
    "取組の方向性",
    "取組名",
    "所管局",
    "平成30年度 達成度",
    "R1",
    "令和２年度",
    "FY2021",
    "主な理由",
]
GOALS = ["1", "１", "基本目標1", "基本目標１", "Ⅰ", "I", "基本目標Ⅰ"]
DIRECTIONS = ["2", "２", "方向性2", "Ⅱ", "1-2", "１－２"]
ACHIEVEMENTS = [
    "目標を上回って達成",
    "目標を上回った",
    "ほぼ目標どおり",
    "ほぼ目標通り",
    "目標をほぼ達成",
    "目標を下回った",
    "1",
    "2",
    "3",
    "４",
    "5",
    "目標を大きく上回って達成",
    "目標を大きく下回った",
    "",
    "－",
    "―",
    "-",
    "対象外",
    " ほぼ目標どおり　",
]
# Mostly on target, as in the city's records.
WEIGHTS = np.array([2, 1, 30, 10, 5, 8, 1, 1, 20, 3, 1, 1, 1, 3, 1, 1, 1, 1, 2], dtype=float)
BUREAUS = ["経済労働局", "総務企画局", "市民文化局", "環境局", "こども未来局", "教育委員会事務局"]
REASONS = [
    "",
    "",
    "",
    "新型コロナウイルス感染症の影響により事業を中止したため",
    "参加者が想定を下回ったため",
]


def generate(path: Path, rows: int, seed: int = 20211231) -> None:
    """Write the benchmark CSV: ``rows`` initiatives, about one in ten thousand of them bad."""
    rng = np.random.default_rng(seed)
    goals = np.array(GOALS, dtype=object)[rng.integers(0, len(GOALS), rows)]
    directions = np.array(DIRECTIONS, dtype=object)[rng.integers(0, len(DIRECTIONS), rows)]
    p = WEIGHTS / WEIGHTS.sum()
    years = [
        np.array(ACHIEVEMENTS, dtype=object)[rng.choice(len(ACHIEVEMENTS), rows, p=p)]
        for _ in range(4)
    ]
    bad = rng.choice(rows, max(1, rows // 10_000), replace=False)
    years[3][bad] = "未評価"
    ids = np.char.add("K", np.char.zfill(np.arange(1, rows + 1).astype(str), 7)).astype(object)
    if rows > 2:
        ids[rows - 1] = ids[0]
    names = np.char.add("国際交流事業", np.arange(rows).astype(str)).astype(object)
    bureaus = np.array(BUREAUS, dtype=object)[rng.integers(0, len(BUREAUS), rows)]
    reasons = np.array(REASONS, dtype=object)[rng.integers(0, len(REASONS), rows)]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(HEADER)
        writer.writerows(zip(ids, goals, directions, names, bureaus, *years, reasons, strict=True))


def _reading_floor(path: Path) -> object:
    """The least any faithful cleaner must do: read the bytes, hash them, parse cells as text."""
    data = path.read_bytes()
    hashlib.sha256(data).hexdigest()
    return pa_csv.read_csv(
        pa.BufferReader(data),
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(HEADER, pa.large_string()), strings_can_be_null=False
        ),
    )


def _machine() -> str:
    cpus = usable_cpus()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return f"{platform.machine()}, {cpus} CPUs usable, load average {load} at the start"


def record(lines: list[str], path: Path = RESULTS) -> None:
    """Replace the cleaning section of ``RESULTS.md`` (other sections are left as they are)."""
    replace_section(lines, SECTION_START, SECTION_END, path)


def clean_benchmark(rows: int, repeats: int, reuse: bool) -> list[str]:
    """Time reading, cleaning and writing on ``rows`` raw rows; the report lines, printed too."""
    raw_dir = WORK_DIR / "raw"
    path = raw_dir / "initiatives_bench.csv"
    load = _machine()
    if reuse and path.exists():
        print(f"reusing {path} ({path.stat().st_size / 1e6:.0f} MB; --rows ignored)")
    else:
        shutil.rmtree(raw_dir, ignore_errors=True)
        start = time.perf_counter()
        generate(path, rows)
        print(
            f"generated {rows:,} raw rows ({path.stat().st_size / 1e6:.0f} MB) "
            f"in {time.perf_counter() - start:.1f} s: {path}"
        )

    out_dir = WORK_DIR / "processed"
    result = clean(raw_dir)
    table = pa.Table.from_pandas(result.tidy, preserve_index=False)
    dictionaries = [f.name for f in table.schema if pa.types.is_dictionary(f.type)]
    everything = pa.array(np.arange(len(table), dtype=np.int64))
    floor_s = read_s = read_own_s = clean_s = write_s = parquet_s = long_s = float("inf")
    # Interleaved rounds, so that a burst of load from other processes hits every measure.
    for _ in range(repeats):
        floor_s = min(floor_s, _timed(lambda: _reading_floor(path)))
        read_s = min(read_s, _timed(lambda: pd.read_csv(path)))
        read_own_s = min(read_own_s, _timed(lambda: read_initiative_file(path)))
        clean_s = min(clean_s, _timed(lambda: clean(raw_dir)))
        long_s = min(long_s, _timed(lambda: table.take(everything)))
        write_s = min(write_s, _timed(lambda: write_outputs(result, out_dir)))
        parquet_s = min(
            parquet_s,
            _timed(
                lambda: pq.write_table(
                    table,
                    WORK_DIR / "floor.parquet",
                    use_dictionary=dictionaries,
                    write_statistics=False,
                    compression="none",
                )
            ),
        )
    stages = clean_stages(raw_dir, repeats)
    totals = result.manifest["totals"]
    sizes = {p.name: p.stat().st_size / 1e6 for p in sorted(out_dir.iterdir())}
    clean_ratio, write_ratio = clean_s / floor_s, write_s / read_s
    lines = [
        f"Cleaning, {datetime.date.today().isoformat()}: {path.stat().st_size / 1e6:.0f} MB CSV, "
        f"{totals['raw_rows']:,} raw rows -> {len(result.tidy):,} tidy rows "
        f"({totals['rejected_rows']:,} rejected); best of {repeats}, interleaved.",
        f"Machine: {load}; Python {platform.python_version()}, pandas {pd.__version__}, "
        f"pyarrow {pa.__version__}, numpy {np.__version__}, kawaeval {__version__}.",
        "",
        "| measure | seconds | ratio | goal |",
        "|---|---|---|---|",
        f"| reading floor (bytes + SHA-256 + Arrow parse as text) | {floor_s:.2f} | 1.00 | |",
        f"| kawaeval reading (text cells, SHA-256, Excel row numbers) | {read_own_s:.2f} "
        f"| {read_own_s / floor_s:.2f} x floor | |",
        f"| `clean()` | {clean_s:.2f} | **{clean_ratio:.2f} x floor** "
        f"| <= {CLEAN_GOAL:.0f} x ({'met' if clean_ratio <= CLEAN_GOAL else 'NOT met'}) |",
        f"| floor of the long table: one Arrow take of every tidy row and column "
        f"| {long_s:.2f} | {long_s / floor_s:.2f} x floor | |",
        f"| `clean()` against reading floor + long-table floor | | "
        f"{clean_s / (floor_s + long_s):.2f} x | |",
        f"| `pandas.read_csv` | {read_s:.2f} | 1.00 | |",
        f"| writing the outputs | {write_s:.2f} | **{write_ratio:.2f} x read_csv** "
        f"| <= {WRITE_GOAL:.0f} x ({'met' if write_ratio <= WRITE_GOAL else 'NOT met'}) |",
        f"| floor of writing: `pyarrow.parquet.write_table` of the tidy table alone "
        "(dictionaries as they are, no statistics, no compression) | "
        f"{parquet_s:.2f} | {parquet_s / read_s:.2f} x read_csv | |",
        "",
        "Where `clean()` spends its time (each stage's best of the same rounds, against the "
        "reading floor):",
        "",
        "| stage | seconds | x floor |",
        "|---|---|---|",
        *(f"| {label} | {sec:.2f} | {sec / floor_s:.2f} |" for label, sec in stages.items()),
        "",
        "Outputs: " + ", ".join(f"{name} {mb:.0f} MB" for name, mb in sizes.items()) + ".",
    ]
    print("\n".join(lines))
    return lines


# What clean() spends its time on: each step is timed where clean() calls it, by the name
# kawaeval.records.cleaning imports it under from its own module (reading, row_checks,
# across_files, tidy, validating).
STAGES = {  # label: (module, function)
    "reading (kawaeval.records.reading)": ("kawaeval.records.cleaning", "read_initiative_file"),
    "row checks of each file": ("kawaeval.records.cleaning", "check_table"),
    "duplicate ids": ("kawaeval.records.cleaning", "duplicate_problems"),
    "the long tidy frame": ("kawaeval.records.cleaning", "tidy_frame"),
    "schema validation (pandera)": ("kawaeval.records.cleaning", "validate_tidy"),
}


def clean_stages(raw_dir: Path, repeats: int) -> dict[str, float]:
    """Seconds per stage of ``clean()`` (best of ``repeats``), timed by wrapping its steps."""
    import importlib

    best: dict[str, float] = {}
    originals = {}
    spent: dict[str, float] = {}
    for label, (module_name, name) in STAGES.items():
        module = importlib.import_module(module_name)
        original = getattr(module, name)
        originals[label] = (module, name, original)

        def timed(*args, _original=original, _label=label, **kwargs):
            start = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                spent[_label] = spent.get(_label, 0.0) + time.perf_counter() - start

        setattr(module, name, timed)
    try:
        for _ in range(repeats):
            spent.clear()
            start = time.perf_counter()
            clean(raw_dir)
            spent["everything else"] = (time.perf_counter() - start) - sum(spent.values())
            for label, seconds in spent.items():
                best[label] = min(best.get(label, float("inf")), seconds)
    finally:
        for module, name, original in originals.values():
            setattr(module, name, original)
    return best


def _timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="raw rows (default 1e6)")
    parser.add_argument("--repeats", type=int, default=5, help="best of N timings (default 5)")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse the CSV of an earlier run if there is one"
    )
    parser.add_argument(
        "--no-record", action="store_true", help="print only; leave benchmarks/RESULTS.md alone"
    )
    args = parser.parse_args(argv)
    lines = clean_benchmark(args.rows, args.repeats, args.reuse)
    if not args.no_record:
        record(lines)
    from benchmarks.building import main as build_benchmarks  # issue 7, benchmarks 1-4

    return build_benchmarks([])


if __name__ == "__main__":
    sys.exit(main())
