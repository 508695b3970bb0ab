"""A city-sized load: 20,000 initiatives build a report in bounded memory with readable pages.

The records are generated at test time (nothing large is committed): spread over the plan's
goals and directions, a realistic mix of achievements with thousands below target and their
reasons, and a few names that are markup or formulas.
"""

import csv
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from kawaeval.plan import load_plan

# one worker builds the 20,000 records once for the three tests
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("size")]

INITIATIVES = 20_000
FISCAL_YEAR = 2021
MEMORY_LIMIT = 2 * 1024**3  # bytes, the whole build: the CLI and its kernels
PAGE_LIMIT = 5 * 1024**2  # bytes, each HTML page
BUREAUS = ("総務企画局", "経済労働局", "市民文化局", "こども未来局", "環境局", "港湾局")
REASONS = (
    "新型コロナウイルス感染症の影響により事業を中止したため",
    "新型コロナウイルス感染症の影響により参加者数が減少したため",
    "関係機関との調整に時間を要したため",
    "予定していた海外渡航ができなかったため",
)
HOSTILE_NAMES = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '=HYPERLINK("http://example.com/","詳細")',
    "@SUM(1+1)",
)


def write_records(folder: Path, count: int = INITIATIVES, seed: int = 20_000) -> Path:
    """Write ``count`` initiatives as one UTF-8 CSV in ``folder``; the file written.

    Each initiative is below target in a year with probability about 0.2 (with a reason in
    its evaluated year), above target about 0.03, not evaluated about 0.01.
    """
    plan = load_plan()
    places = [(g, d) for g in plan.goal_numbers for d in plan.direction_numbers(g)]
    years = range(2018, FISCAL_YEAR + 1)
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "initiatives_size.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        rows = csv.writer(f, lineterminator="\n")
        rows.writerow(
            ["取組番号", "基本目標", "取組の方向性", "取組名", "所管局", "主な理由"]
            + [f"{y}年度" for y in years]
        )
        for i in range(count):
            goal, direction = places[i % len(places)]
            achievements = rng.choices(["1", "2", "3", "4", "5", "－"], [1, 2, 77, 16, 3, 1], k=4)
            below = achievements[-1] in ("4", "5")
            name = HOSTILE_NAMES[i // 5000] if i % 5000 == 7 else f"取組{goal}-{direction}-{i:05d}"
            rows.writerow(
                [
                    f"{goal}-{direction}-{i:05d}",
                    goal,
                    direction,
                    name,
                    BUREAUS[i % len(BUREAUS)],
                    rng.choice(REASONS) if below else "",
                    *achievements,
                ]
            )
    return path


def _tree_rss(root: int) -> int:
    """Resident memory (bytes) of a process and every process under it, from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:  # the process ended meanwhile
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        parents[int(entry.name)] = int(fields["PPid"])
        rss[int(entry.name)] = int(fields.get("VmRSS", "0 kB").split()[0]) * 1024
    tree = {root}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return sum(rss.get(pid, 0) for pid in tree)


@pytest.fixture(scope="module")
def size_build(tmp_path_factory):
    """``kawaeval build`` of the 20,000 records in a subprocess, its peak memory measured."""
    if not Path("/proc/self/status").is_file():
        pytest.skip("measuring memory needs Linux's /proc")
    base = tmp_path_factory.mktemp("size")
    raw = base / "raw"
    write_records(raw)
    out = base / "reports"
    command = [sys.executable, "-m", "kawaeval", "build", "--fiscal-year", str(FISCAL_YEAR)]
    command += ["--raw", str(raw), "--out", str(out)]
    log = base / "build.log"
    peak = 0
    with log.open("w", encoding="utf-8") as stream:
        process = subprocess.Popen(command, stdout=stream, stderr=subprocess.STDOUT)
        while True:
            # the sum over the live process tree, sampled; and at the end the largest single
            # process's peak (wait4 counts the kernels the CLI has waited for)
            done, status, usage = os.wait4(process.pid, os.WNOHANG)
            if done:
                break
            peak = max(peak, _tree_rss(process.pid))
            time.sleep(0.2)
    peak = max(peak, usage.ru_maxrss * 1024)
    process.returncode = os.waitstatus_to_exitcode(status)
    output = log.read_text(encoding="utf-8")
    assert process.returncode == 0, output
    print(f"20,000-initiative build: peak memory {peak / 1024**2:.0f} MiB; report in {out}")
    return out / f"FY{FISCAL_YEAR}", raw, peak


def test_twenty_thousand_initiatives_build_within_two_gigabytes(size_build):
    report, _, peak = size_build
    assert (report / "index.html").is_file()
    assert 0 < peak <= MEMORY_LIMIT, f"peak memory {peak / 1024**2:.0f} MiB"


def test_every_page_stays_under_five_megabytes(size_build):
    report, _, _ = size_build
    sizes = {p.name: p.stat().st_size for p in sorted(report.glob("*.html"))}
    print({name: f"{size / 1024**2:.2f} MiB" for name, size in sizes.items()})
    assert len(sizes) >= 8
    too_big = {name: size for name, size in sizes.items() if size > PAGE_LIMIT}
    assert not too_big, f"pages over 5 MB: {too_big}"


def test_every_record_and_every_below_target_initiative_is_in_the_data_files(size_build):
    report, raw, _ = size_build
    records = pd.read_csv(raw / "initiatives_size.csv", dtype=str, keep_default_na=False)
    evaluated = f"{FISCAL_YEAR}年度"
    below = set(records.loc[records[evaluated].isin(["4", "5"]), "取組番号"])
    assert len(below) > 3000  # thousands below target, as the test means to load

    tidy = pd.read_parquet(report / "data" / "tidy.parquet")
    assert set(tidy["initiative_id"]) == set(records["取組番号"])
    in_year = tidy[tidy["fiscal_year"] == FISCAL_YEAR]
    assert set(in_year.loc[in_year["achievement"] == "below", "initiative_id"]) == below
    # the exact names survive in the parquet file
    assert set(HOSTILE_NAMES) <= set(tidy["name"])

    # the assessment the pages are drawn from lists each of them, with its reason
    assessment = json.loads((report / "data" / "assessment.json").read_text(encoding="utf-8"))
    listed = [row for goal in assessment["goals"] for row in goal["below_target"]]
    assert sorted(row["initiative_id"] for row in listed) == sorted(below)
    reasons = dict(zip(records["取組番号"], records["主な理由"], strict=True))
    assert all(row["reason"] == reasons[row["initiative_id"]] for row in listed)

    # the CSV for Excel has every record too
    wide = pd.read_csv(report / "data" / "achievements.csv", dtype=str, keep_default_na=False)
    assert len(wide) == len(records)  # one row per initiative
    assert set(wide["initiative_id"]) == set(records["取組番号"])
