"""Cleaning speed on one million raw rows, as a ratio to ``pandas.read_csv`` of the same file.

Generates ``benchmarks/.work/initiatives_bench.csv`` (UTF-8 with BOM, a realistic mix of the
contract's header and value spellings, a few bad rows) and times, in the same run, a plain
``pandas.read_csv`` of it and :func:`kawaeval.cleaning.clean` on it. Goal: at most 2x. Writing
the outputs (:func:`kawaeval.cleaning.write_outputs`) is timed too, as a ratio for information.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from kawaeval.cleaning import clean, write_outputs
from kawaeval.reading import read_initiative_file

WORK_DIR = Path(__file__).resolve().parent / ".work"
GOAL_RATIO = 2.0

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


def _best_of(repeats: int, function) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="raw rows (default 1e6)")
    parser.add_argument("--repeats", type=int, default=3, help="best of N timings (default 3)")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse the CSV of an earlier run if there is one"
    )
    args = parser.parse_args(argv)

    raw_dir = WORK_DIR / "raw"
    path = raw_dir / "initiatives_bench.csv"
    if args.reuse and path.exists():
        print(f"reusing {path} ({path.stat().st_size / 1e6:.0f} MB; --rows ignored)")
    else:
        shutil.rmtree(raw_dir, ignore_errors=True)
        start = time.perf_counter()
        generate(path, args.rows)
        print(
            f"generated {args.rows:,} raw rows ({path.stat().st_size / 1e6:.0f} MB) "
            f"in {time.perf_counter() - start:.1f} s: {path}"
        )

    read_s, frame = _best_of(args.repeats, lambda: pd.read_csv(path))
    text_s, _ = _best_of(args.repeats, lambda: pd.read_csv(path, dtype=str, keep_default_na=False))
    floor_s, _ = _best_of(args.repeats, lambda: _reading_floor(path))
    read_own_s, _ = _best_of(args.repeats, lambda: read_initiative_file(path))
    clean_s, result = _best_of(args.repeats, lambda: clean(raw_dir))
    out_dir = WORK_DIR / "processed"
    write_s, _ = _best_of(args.repeats, lambda: write_outputs(result, out_dir))
    totals = result.manifest["totals"]
    ratio = clean_s / read_s
    print(f"pandas.read_csv : {read_s:6.2f} s ({len(frame):,} rows)")
    print(f"  as text       : {text_s:6.2f} s (dtype=str, keep_default_na=False: cells as written)")
    print(
        f"reading floor   : {floor_s:6.2f} s (bytes + SHA-256 + Arrow parse as text, nothing else)"
    )
    print(f"kawaeval reading: {read_own_s:6.2f} s (text cells, SHA-256, Excel row numbers)")
    print(
        f"kawaeval clean(): {clean_s:6.2f} s ({totals['accepted_rows']:,} accepted, "
        f"{totals['rejected_rows']:,} rejected, {len(result.tidy):,} tidy rows)"
    )
    print(f"writing outputs : {write_s:6.2f} s (parquet + 2 CSV + manifest, not in the ratio)")
    verdict = "within" if ratio <= GOAL_RATIO else "OVER"
    print(f"ratio clean / read_csv = {ratio:.2f}x ({verdict} the {GOAL_RATIO:.0f}x goal)")
    print(f"ratio write / read_csv = {write_s / read_s:.2f}x (informational, no goal)")
    print(
        f"ratio clean / read_csv as text = {clean_s / text_s:.2f}x; "
        f"reading floor / read_csv = {floor_s / read_s:.2f}x (informational)"
    )
    from benchmarks.building import main as build_benchmarks  # issue 7, benchmarks 1-4

    return build_benchmarks([])


if __name__ == "__main__":
    sys.exit(main())
