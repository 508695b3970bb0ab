"""Build speed (issue 7, benchmarks 1-4), as ratios measured side by side in one run.

1. ``kawaeval build`` of FY2018-FY2021 with default options against the naive loop (for each
   chapter: the ``papermill`` CLI, then ``jupyter nbconvert --to html --no-input``, one after
   another) on the same notebooks and parameters. Goal: at least 10x.
2. The same build against its work: every chapter's code cells run in one warm process, plus
   one set of imports. Goal: at most 3x.
3. A rebuild with nothing changed against ``python -c "import pandas, matplotlib.pyplot"``.
   Goal: at most 0.5x.
4. One input file changed (one FY2021 rating in one bureau's file): which years rebuild.

``--quick`` (or KAWAEVAL_BENCH_QUICK=1) builds FY2021 alone, so a run takes a few minutes.
Each run appends its figures to ``benchmarks/RESULTS.md`` with the machine, versions and date.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from kawaeval.build.building import build_reports, default_jobs
from kawaeval.paths import SAMPLE_RAW_DIR
from kawaeval.plan import load_plan
from kawaeval.report.chapters import chapters_for

WORK_DIR = Path(__file__).resolve().parent / ".work" / "build"
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
BIN = Path(sys.executable).parent
YEARS = (2018, 2019, 2020, 2021)
CHANGED_FILE = "取組_港湾局.csv"
CHANGED_ROW = "2-2-04,基本目標２,Ⅱ,取組2-2-04（仮称・サンプル）,港湾局,３,３,３,３,"


def _timed(function) -> tuple[float, object]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def _best_of(repeats: int, function) -> float:
    return min(_timed(function)[0] for _ in range(repeats))


def _run(command: list[str], **kwargs) -> None:
    subprocess.run(command, check=True, capture_output=True, **kwargs)


def _build_cli(years, raw: Path, out: Path, *extra: str) -> None:
    command = [str(BIN / "kawaeval"), "build", "--raw", str(raw), "--out", str(out), *extra]
    for year in years:
        command += ["--fiscal-year", str(year)]
    _run(command)


def naive_loop(years, out: Path, naive: Path) -> None:
    """Each chapter through the papermill CLI, then nbconvert's CLI, one after another."""
    chapters = chapters_for(load_plan(SAMPLE_RAW_DIR))
    for year in years:
        assessment = out / f"FY{year}" / "data" / "assessment.json"
        folder = naive / f"FY{year}"
        folder.mkdir(parents=True, exist_ok=True)
        for chapter in chapters:
            executed = folder / f"{chapter.name}.ipynb"
            parameters = {
                "fiscal_year": year,
                "allow_rejects": False,
                "assessment_json": str(assessment),
                **chapter.parameters,
            }
            command = [str(BIN / "papermill"), str(chapter.notebook), str(executed)]
            for key, value in parameters.items():
                command += ["-p", key, str(value)]
            _run([*command, "--cwd", str(folder)])
            _run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)])


WORK_SCRIPT = r"""
import ast, json, sys, time
start = time.perf_counter()
import matplotlib
matplotlib.use("agg")
import matplotlib.pyplot, pandas
from kawaeval.report import plotting, presenting
imports = time.perf_counter() - start
jobs = json.loads(sys.argv[1])
start = time.perf_counter()
for job in jobs:
    cells = job["cells"]
    namespace = {"__name__": "__main__"}
    exec(cells[0], namespace)
    namespace.update(job["parameters"])
    for source in cells[1:]:
        tree = ast.parse(source)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, "<cell>", "exec"), namespace)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)
            for method in ("_repr_html_", "_repr_png_"):
                if hasattr(value, method):
                    getattr(value, method)()
    matplotlib.pyplot.close("all")
print(json.dumps({"imports": imports, "cells": time.perf_counter() - start}))
"""


def chapters_work(years, out: Path) -> dict:
    """Every chapter's code cells run in one fresh process: seconds of imports and of cells."""
    import nbformat

    jobs = []
    for year in years:
        for chapter in chapters_for(load_plan(SAMPLE_RAW_DIR)):
            nb = nbformat.read(chapter.notebook, as_version=4)
            cells = [c.source for c in nb.cells if c.cell_type == "code"]
            parameters = {
                "fiscal_year": year,
                "allow_rejects": False,
                "assessment_json": str(out / f"FY{year}" / "data" / "assessment.json"),
                **chapter.parameters,
            }
            jobs.append({"cells": cells, "parameters": parameters})
    done = subprocess.run(
        [sys.executable, "-c", WORK_SCRIPT, json.dumps(jobs)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout)


def _machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    packages = ", ".join(
        f"{p} {version(p)}" for p in ("kawaeval", "papermill", "nbconvert", "pandas", "matplotlib")
    )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (
        f"nproc {os.cpu_count()} (this process may use {default_jobs()}), {model}; "
        f"load average {load}; Python {platform.python_version()}; {packages}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.building", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        default=os.environ.get("KAWAEVAL_BENCH_QUICK") == "1",
        help="FY2021 only (KAWAEVAL_BENCH_QUICK=1 does the same)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="best of N for benchmark 3")
    args = parser.parse_args(argv)
    years = (2021,) if args.quick else YEARS
    label = "FY2021" if args.quick else "FY2018-FY2021"
    shutil.rmtree(WORK_DIR, ignore_errors=True)
    raw, out = WORK_DIR / "raw", WORK_DIR / "reports"
    shutil.copytree(SAMPLE_RAW_DIR, raw)
    chapters = len(years) * len(chapters_for(load_plan(SAMPLE_RAW_DIR)))
    lines = []

    def say(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    say(f"machine: {_machine()}")
    say("executor: KernelPool, warm kernels (each chapter in a kernel forked from a zygote)")

    build_s, _ = _timed(lambda: _build_cli(years, raw, out))
    naive_s, _ = _timed(lambda: naive_loop(years, out, WORK_DIR / "naive"))
    ratio1 = naive_s / build_s
    say(
        f"1. {label} build, default options (--jobs {default_jobs()}): {build_s:.1f} s; naive "
        f"papermill + nbconvert CLI loop ({chapters} chapters): {naive_s:.1f} s; "
        f"naive / build = {ratio1:.1f}x (goal >= 10x: {'met' if ratio1 >= 10 else 'NOT met'})"
    )

    work = chapters_work(years, out)
    work_s = work["imports"] + work["cells"]
    ratio2 = build_s / work_s
    say(
        f"2. work: {work['cells']:.2f} s of cells in one warm process + {work['imports']:.2f} s "
        f"of imports = {work_s:.2f} s; build / work = {ratio2:.1f}x "
        f"(goal <= 3x: {'met' if ratio2 <= 3 else 'NOT met'})"
    )

    noop_s = _best_of(args.repeats, lambda: _build_cli(years, raw, out))
    imports_s = _best_of(
        args.repeats, lambda: _run([sys.executable, "-c", "import pandas, matplotlib.pyplot"])
    )
    ratio3 = noop_s / imports_s
    say(
        f"3. rebuild with nothing changed: {noop_s:.2f} s; python -c 'import pandas, "
        f"matplotlib.pyplot': {imports_s:.2f} s; ratio {ratio3:.2f}x "
        f"(goal <= 0.5x: {'met' if ratio3 <= 0.5 else 'NOT met'})"
    )

    path = raw / CHANGED_FILE
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(CHANGED_ROW, CHANGED_ROW[:-2] + "４,"), encoding="utf-8")
    all_years = YEARS if not args.quick else (2020, 2021)
    if args.quick:  # FY2020 was not built above: build it from the unchanged file first
        path.write_text(text, encoding="utf-8")
        build_reports([2020], raw_dir=raw, out_dir=out, progress_stream=io.StringIO())
        path.write_text(text.replace(CHANGED_ROW, CHANGED_ROW[:-2] + "４,"), encoding="utf-8")
    changed_s, results = _timed(
        lambda: build_reports(all_years, raw_dir=raw, out_dir=out, progress_stream=io.StringIO())
    )
    statuses = ", ".join(f"FY{r.fiscal_year} {r.status}" for r in results)
    say(
        f"4. one FY2021 rating changed in {CHANGED_FILE}: {statuses} ({changed_s:.1f} s; "
        "'reused' = chapters kept, data and index rewritten)"
    )

    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if not RESULTS.exists():
        RESULTS.write_text("# Benchmark results (`make bench`)\n", encoding="utf-8")
    with RESULTS.open("a", encoding="utf-8") as handle:
        mode = ", --quick" if args.quick else ""
        handle.write(f"\n## Build benchmarks ({label}{mode}), {stamp}\n\n")
        handle.writelines(f"- {line}\n" for line in lines)
    print(f"appended to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
