"""Build speed: the five figures of issue 18, as ratios measured side by side (``make bench``).

1. ``kawaeval build`` of FY2018-FY2021 with default options against the naive loop (for each
   chapter: the ``papermill`` CLI, then ``jupyter nbconvert --to html --no-input``, one after
   the other) on the same notebooks and parameters. Goal: at least 25x.
2. The same build against its work: every chapter's code cells run in one warm process, plus
   one set of imports. Goal: at most 3x.
3. Per-chapter overhead: 32 chapters of one trivial cell through the engine at the default
   ``--jobs``, from the fork to the exported page, divided by 32. Goal: at most 40 ms.
4. A rebuild with nothing changed against ``python -c "import pandas, matplotlib.pyplot"``.
   Goal: at most 0.5x.
5. The fallback build (no fork: what Windows and macOS get, every chapter in a fresh kernel)
   of FY2018-FY2021 against the naive loop. Reported, no goal.

Every figure is the best of ``--rounds`` rounds (3). A round measures each figure once, in
the order above, so that the other work on the machine weighs on all of them alike
(interleaved); ``uptime`` is recorded at the start of each round. Then, once: which years a
changed input rebuilds, and where the build's time goes, part by part (the floor).

``--quick`` (or KAWAEVAL_BENCH_QUICK=1) builds FY2021 alone, one round. The figures replace the
section between the markers in ``benchmarks/RESULTS.md`` (the notes around it stay).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import nbformat

from benchmarks.results import RESULTS, replace_section
from kawaeval.build.building import build_reports, default_jobs
from kawaeval.paths import SAMPLE_RAW_DIR
from kawaeval.plan import load_plan
from kawaeval.report.chapters import chapters_for

WORK_DIR = Path(__file__).resolve().parent / ".work" / "build"
SECTION_START = "<!-- build benchmark: written by python -m benchmarks -->"
SECTION_END = "<!-- end of build benchmark -->"
BIN = Path(sys.executable).parent
YEARS = (2018, 2019, 2020, 2021)
CHANGED_FILE = "取組_港湾局.csv"
CHANGED_ROW = "2-2-04,基本目標２,Ⅱ,取組2-2-04（仮称・サンプル）,港湾局,３,３,３,３,"
TRIVIAL_CHAPTERS = 32
GOALS = {"naive": 25.0, "work": 3.0, "chapter_ms": 40.0, "noop": 0.5}


def _timed(function, *args) -> float:
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def _children_cpu() -> float:
    """CPU seconds of every finished child process (and of theirs, once waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed_cpu(function, *args) -> tuple[float, float]:
    """Wall and CPU seconds of ``function``, which runs its work in child processes."""
    cpu = _children_cpu()
    wall = _timed(function, *args)
    return wall, _children_cpu() - cpu


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)


def _python(script: str, *args: str) -> dict:
    """Run ``script`` in a fresh interpreter; the JSON it prints."""
    return json.loads(_run([sys.executable, "-c", script, *args]).stdout)


def _uptime() -> str:
    try:
        return _run(["uptime"]).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",) * 3
        return "load average: " + ", ".join(f"{x:.2f}" for x in load)


# ---------------------------------------------------------------- what is measured


def build_cli(years, raw: Path, out: Path, *extra: str) -> None:
    """``kawaeval build`` as a user runs it."""
    command = [str(BIN / "kawaeval"), "build", "--raw", str(raw), "--out", str(out), *extra]
    for year in years:
        command += ["--fiscal-year", str(year)]
    _run(command)


FALLBACK_SCRIPT = r"""
import io, json, sys
from pathlib import Path
from kawaeval.build.building import build_reports
years, raw, out = json.loads(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
build_reports(years, raw_dir=raw, out_dir=out, warm_kernels=False, progress_stream=io.StringIO())
print("{}")
"""


def fallback_build(years, raw: Path, out: Path) -> None:
    """The build a PC without fork gets: every chapter in a fresh kernel (``warm_kernels``)."""
    _python(FALLBACK_SCRIPT, json.dumps(list(years)), str(raw), str(out))


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
    return _python(WORK_SCRIPT, json.dumps(jobs))


CHAPTER_SCRIPT = r"""
import json, os, resource, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from kawaeval.build.building import default_jobs
from kawaeval.build.exporting import export_html, read_executed
from kawaeval.report.pages import PageNav
from kawaeval.build.kernels import KernelPool
from kawaeval.report.chapters import Chapter

folder, count, warm = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "warm"
notebook = folder / "trivial.ipynb"
chapter = Chapter("00_trivial", notebook, "trivial")
jobs = default_jobs()

def kernels_cpu(pool):
    # CPU of the zygote's finished children (the forked kernels), from /proc (Linux)
    try:
        fields = Path(f"/proc/{pool.zygotes[0].process.pid}/stat").read_text().rsplit(")", 1)[1]
        fields = fields.split()
        return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
    except (IndexError, OSError):
        return float("nan")

def own_cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

def one(i):
    executed = folder / f"{i:03d}.ipynb"
    pool.execute(notebook, executed, {"x": i}, folder)
    nb = read_executed(executed, chapter, f"notebooks/{executed.name}")
    export_html(nb, "trivial", PageNav("", ""))

with KernelPool(jobs, warm=warm) as pool, ThreadPoolExecutor(jobs) as threads:
    list(threads.map(one, range(-jobs, 0)))  # the zygote ready, each thread's exporter loaded
    time.sleep(0.5)
    kernels, parent, start = kernels_cpu(pool), own_cpu(), time.perf_counter()
    list(threads.map(one, range(count)))
    wall = time.perf_counter() - start
    parent = own_cpu() - parent
    time.sleep(0.5)  # the last kernels reaped
    kernels = kernels_cpu(pool) - kernels
    forked, fresh = pool.forked, pool.fresh
print(json.dumps({"wall": wall, "parent_cpu": parent, "kernel_cpu": kernels, "jobs": jobs,
                  "forked": forked, "fresh": fresh}))
"""

SHELL_SCRIPT = r"""
import json, os, resource, sys, time
import matplotlib, pandas
matplotlib.use("agg")
import matplotlib.pyplot
from IPython.core.interactiveshell import InteractiveShell
count, jobs = int(sys.argv[1]), int(sys.argv[2])

def child(write):
    shell = InteractiveShell.instance()
    result = shell.run_cell("x = 1")
    os.write(write, json.dumps({"ok": result.success}).encode())
    os._exit(0)

start = time.perf_counter()
running = []
for i in range(count):
    if len(running) == jobs:
        pid, read = running.pop(0)
        os.read(read, 1024); os.close(read); os.waitpid(pid, 0)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        child(write)
    os.close(write)
    running.append((pid, read))
for pid, read in running:
    os.read(read, 1024); os.close(read); os.waitpid(pid, 0)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "child_cpu": usage.ru_utime + usage.ru_stime}))
"""


def trivial_chapters(folder: Path, warm: bool = True) -> dict:
    """32 one-cell chapters through the engine at the default --jobs (a fresh process)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell("x = 0")
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [parameters, nbformat.v4.new_code_cell("x = 1")]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, folder / "trivial.ipynb")
    return _python(CHAPTER_SCRIPT, str(folder), str(TRIVIAL_CHAPTERS), "warm" if warm else "cold")


def forked_shells() -> dict:
    """The option not taken: 32 forks of a process with pandas and matplotlib imported, each
    running one cell in an IPython shell (no kernel, no ZeroMQ), at the default --jobs."""
    return _python(SHELL_SCRIPT, str(TRIVIAL_CHAPTERS), str(default_jobs()))


FLOOR_SCRIPT = r"""
import io, json, sys, time
from pathlib import Path
start = time.perf_counter()
import kawaeval.build.scheduler
imports = time.perf_counter() - start
from kawaeval.build.building import build_reports
years, raw, out = json.loads(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
start = time.perf_counter()
build_reports(years, raw_dir=raw, out_dir=out, chapters=[], progress_stream=io.StringIO())
print(json.dumps({"imports": imports, "no_chapters": time.perf_counter() - start}))
"""


def floor_parts(years, raw: Path, out: Path) -> dict:
    """The build's parts before any chapter: the imports of a stale build, then cleaning, the
    assessments, data files, workbooks and index pages (a build without chapters)."""
    shutil.rmtree(out, ignore_errors=True)
    return _python(FLOOR_SCRIPT, json.dumps(list(years)), str(raw), str(out))


# ---------------------------------------------------------------- the run


def _machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    names = ("kawaeval", "papermill", "nbclient", "jupyter_client", "ipykernel", "pandas")
    packages = ", ".join(f"{p} {version(p)}" for p in names)
    return (
        f"nproc {os.cpu_count()} (this process may use {default_jobs()}), {model}; "
        f"Python {platform.python_version()}; {packages}"
    )


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def record(lines: list[str], path: Path = RESULTS) -> None:
    """Replace the build section of ``RESULTS.md`` (the rest is left as it is)."""
    replace_section(lines, SECTION_START, SECTION_END, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.building", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        default=os.environ.get("KAWAEVAL_BENCH_QUICK") == "1",
        help="FY2021 only, one round (KAWAEVAL_BENCH_QUICK=1 does the same)",
    )
    parser.add_argument("--rounds", type=int, default=None, help="best of N rounds (default 3)")
    parser.add_argument(
        "--no-record", action="store_true", help="print only; leave benchmarks/RESULTS.md alone"
    )
    args = parser.parse_args(argv)
    years = (2021,) if args.quick else YEARS
    rounds = args.rounds or (1 if args.quick else 3)
    label = "FY2021" if args.quick else "FY2018-FY2021"
    shutil.rmtree(WORK_DIR, ignore_errors=True)
    raw = WORK_DIR / "raw"
    shutil.copytree(SAMPLE_RAW_DIR, raw)
    chapters = len(years) * len(chapters_for(load_plan(SAMPLE_RAW_DIR)))
    best: dict[str, float] = {}
    per_chapter: dict = {}
    loads = []

    def keep(name: str, seconds: float | tuple[float, float]) -> None:
        if isinstance(seconds, tuple):  # (wall, CPU)
            seconds, cpu = seconds
            best[f"{name}_cpu"] = min(best.get(f"{name}_cpu", float("inf")), cpu)
        best[name] = min(best.get(name, float("inf")), seconds)

    def say(text: str) -> None:
        print(text, flush=True)

    say(f"machine: {_machine()}")
    for number in range(1, rounds + 1):
        loads.append(_uptime())
        say(f"round {number}/{rounds}: {loads[-1]}")
        out = WORK_DIR / f"reports-{number}"
        keep("build", _timed_cpu(build_cli, years, raw, out))
        say(f"  build {best['build']:.1f} s (best so far)")
        keep("naive", _timed_cpu(naive_loop, years, out, WORK_DIR / f"naive-{number}"))
        say(f"  naive loop {best['naive']:.1f} s")
        cpu = _children_cpu()
        work = chapters_work(years, out)
        keep("work_cpu", _children_cpu() - cpu)
        keep("work", work["imports"] + work["cells"])
        keep("work_cells", work["cells"])
        keep("work_imports", work["imports"])
        chapter = trivial_chapters(WORK_DIR / "trivial")
        if chapter["wall"] < per_chapter.get("wall", float("inf")):
            per_chapter = chapter
        say(f"  {TRIVIAL_CHAPTERS} trivial chapters {per_chapter['wall']:.2f} s")
        keep("noop", _timed(build_cli, years, raw, out))
        keep("imports", _timed(_run, [sys.executable, "-c", "import pandas, matplotlib.pyplot"]))
        fallback = WORK_DIR / f"fallback-{number}"
        keep("fallback", _timed_cpu(fallback_build, years, raw, fallback))
        say(f"  fallback build {best['fallback']:.1f} s")

    lines = [
        f"## Build benchmarks ({label}), {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {_machine()}.",
        f"Best of {rounds} interleaved rounds; `uptime` at the start of each:",
        "",
        *[f"- round {i}: {load}" for i, load in enumerate(loads, 1)],
        "",
        "| # | measure | seconds | ratio | goal |",
        "|---|---|---|---|---|",
    ]
    ratio1 = best["naive"] / best["build"]
    ratio2 = best["build"] / best["work"]
    ms = 1000 * per_chapter["wall"] / TRIVIAL_CHAPTERS
    ratio4 = best["noop"] / best["imports"]
    ratio5 = best["naive"] / best["fallback"]
    jobs = per_chapter["jobs"]
    lines += [
        f"| 1 | {label} build, default options (--jobs {default_jobs()}) | {best['build']:.1f} "
        f"| naive loop ({chapters} chapters, {best['naive']:.1f} s) / build = **{ratio1:.1f}x** "
        f"| >= {GOALS['naive']:.0f}x ({_verdict(ratio1 >= GOALS['naive'])}) |",
        f"| 2 | work: the cells in one warm process ({best['work_cells']:.2f} s) + one set of "
        f"imports ({best['work_imports']:.2f} s) | {best['work']:.2f} "
        f"| build / work = **{ratio2:.1f}x** | <= {GOALS['work']:.0f}x "
        f"({_verdict(ratio2 <= GOALS['work'])}) |",
        f"| 3 | {TRIVIAL_CHAPTERS} one-cell chapters through the engine, {jobs} at once, fork to "
        f"exported page | {per_chapter['wall']:.2f} | **{ms:.0f} ms** a chapter "
        f"| <= {GOALS['chapter_ms']:.0f} ms ({_verdict(ms <= GOALS['chapter_ms'])}) |",
        f"| 4 | rebuild with nothing changed | {best['noop']:.2f} | / `import pandas, "
        f"matplotlib.pyplot` ({best['imports']:.2f} s) = **{ratio4:.2f}x** "
        f"| <= {GOALS['noop']} x ({_verdict(ratio4 <= GOALS['noop'])}) |",
        f"| 5 | fallback build (no fork: every chapter in a fresh kernel) | "
        f"{best['fallback']:.1f} | naive loop / fallback = **{ratio5:.1f}x** "
        f"(build / fallback = {best['build'] / best['fallback']:.2f}) | reported |",
        "",
        "CPU seconds of every process involved (best of the rounds; less sensitive than wall"
        f" time to other work on the machine): build {best['build_cpu']:.1f}, naive loop"
        f" {best['naive_cpu']:.1f}, fallback {best['fallback_cpu']:.1f}, work"
        f" {best['work_cpu']:.1f}. On {jobs} idle cores the build could take no less than"
        f" {best['build_cpu'] / jobs:.1f} s, and the naive loop, one process at a time, no less"
        f" than its CPU: naive CPU / that = {best['naive_cpu'] / (best['build_cpu'] / jobs):.1f}x"
        f" (goal 1), that / work CPU = {best['build_cpu'] / jobs / best['work_cpu']:.1f}x"
        " (goal 2).",
        "",
    ]
    for line in lines:
        say(line)

    # once: which years a changed input rebuilds
    out = WORK_DIR / "reports-1"
    path = raw / CHANGED_FILE
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(CHANGED_ROW, CHANGED_ROW[:-2] + "４,"), encoding="utf-8")
    all_years = YEARS if not args.quick else (2021,)
    start = time.perf_counter()
    results = build_reports(all_years, raw_dir=raw, out_dir=out, progress_stream=io.StringIO())
    changed_s = time.perf_counter() - start
    path.write_text(text, encoding="utf-8")
    statuses = ", ".join(f"FY{r.fiscal_year} {r.status}" for r in results)
    lines.append(
        f"One FY2021 rating changed in {CHANGED_FILE}: {statuses} ({changed_s:.1f} s; 'reused'"
        " = chapters kept, data and index rewritten)."
    )

    # once: where the build's time goes
    parts = floor_parts(years, raw, WORK_DIR / "floor")
    shells = forked_shells()
    per_ms = 1000 * per_chapter["wall"] / TRIVIAL_CHAPTERS
    kernel_ms = 1000 * per_chapter["kernel_cpu"] / TRIVIAL_CHAPTERS
    parent_ms = 1000 * per_chapter["parent_cpu"] / TRIVIAL_CHAPTERS
    shell_ms = 1000 * shells["wall"] / TRIVIAL_CHAPTERS
    shell_cpu_ms = 1000 * shells["child_cpu"] / TRIVIAL_CHAPTERS
    chapters_floor = chapters * per_ms / 1000
    cells_spread = best["work_cells"] / jobs
    floor = parts["imports"] + parts["no_chapters"] + chapters_floor + cells_spread
    lines += [
        "",
        f"Where the {label} build's {best['build']:.1f} s go (each part measured on its own):",
        "",
        "| part | seconds |",
        "|---|---|",
        "| imports of a stale build (`import kawaeval.build.scheduler`) "
        f"| {parts['imports']:.2f} |",
        "| cleaning, assessments, data files, `tables.xlsx`, index pages (`chapters=[]`) "
        f"| {parts['no_chapters']:.2f} |",
        f"| {chapters} chapters' overhead at {per_ms:.0f} ms each (benchmark 3) "
        f"| {chapters_floor:.2f} |",
        f"| the cells' own work ({best['work_cells']:.2f} s) over {jobs} cores "
        f"| {cells_spread:.2f} |",
        f"| **sum** (the zygote's imports run beside the first two) | **{floor:.2f}** |",
        "",
        f"A chapter's overhead, CPU: {kernel_ms:.0f} ms in its kernel (fork, ipykernel's start,"
        f" the cells, the kill) + {parent_ms:.0f} ms in the build (papermill, nbclient,"
        " jupyter_client, the page's export), "
        f"{kernel_ms + parent_ms:.0f} ms over {jobs} cores = "
        f"{(kernel_ms + parent_ms) / jobs:.0f} ms of wall time at best. The option not taken, an"
        f" IPython shell in the forked child (no kernel, no ZeroMQ): {shell_ms:.0f} ms a chapter"
        f" at {jobs} at once, {shell_cpu_ms:.0f} ms of CPU (fork, shell, one cell; before"
        " papermill and the export).",
    ]
    say("\n".join(lines[-12:]))
    if not args.no_record:
        record(lines)
        print(f"recorded in {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
