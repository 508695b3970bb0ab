"""What changed: the history of replaced reports, the change record of a rebuilt report
(changes.html, data/changes.csv, tables.xlsx) and ``kawaeval diff`` (issue 20).

Most builds here run without chapters (data, workbook, index and change record only), which
is all the change record depends on; one slow test builds the whole report and looks at the
page in Chromium.
"""

import csv
import hashlib
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import require_system_tool

from kawaeval import cli
from kawaeval.build import history
from kawaeval.build.building import build_reports
from kawaeval.evaluation.comparison import MOVEMENTS
from kawaeval.paths import SAMPLE_RAW_DIR
from kawaeval.report import pdf
from kawaeval.report.change_csv import CSV_COLUMNS
from kawaeval.report.change_tables import FIELD_COLUMNS
from kawaeval.report.combined import HTML_ONLY

KENSETSU = "取組_建設緑政局.csv"  # CP932, goal 1
KOWAN = "取組_港湾局.csv"  # UTF-8, goal 2
OLD_REASON = "施設の改修工事により受入規模を縮小したため"
NEW_REASON = "施設の改修工事が長引き、受入規模を縮小したため"
ADDED = (
    "1-1-99,基本目標1,方向性1,取組1-1-99（追加）,建設緑政局,3,3,3,4,"
    "用地の取得に時間を要したため,仮称"
)


# Every test builds reports; those sharing a module fixture's builds stay on one xdist worker.
pytestmark = pytest.mark.slow

# ---------------------------------------------------------------- helpers


def _edit(path: Path, encoding: str, old: str, new: str) -> None:
    text = path.read_text(encoding=encoding)
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding=encoding, newline="")


def correct_records(raw: Path) -> None:
    """The four corrections a bureau sends: one FY2021 rating (1-1-03: 3 -> 4), one reason
    (2-2-07), one bureau name (2-2-10), and one initiative added (1-1-99, inserted above
    1-1-03, so that 1-1-03's row moves from 3 to 4: a moved row is no change)."""
    _edit(
        raw / KENSETSU,
        "cp932",
        "1-1-03,基本目標1,方向性1,取組1-1-03（仮称・サンプル）,建設緑政局,3,3,3,3,",
        ADDED + "\r\n1-1-03,基本目標1,方向性1,取組1-1-03（仮称・サンプル）,建設緑政局,3,3,3,4,",
    )
    _edit(raw / KOWAN, "utf-8", OLD_REASON, NEW_REASON)
    _edit(
        raw / KOWAN,
        "utf-8",
        "2-2-10,基本目標２,Ⅱ,取組2-2-10（仮称・サンプル）,港湾局,",
        "2-2-10,基本目標２,Ⅱ,取組2-2-10（仮称・サンプル）,港湾局（港湾振興部）,",
    )


def build(raw: Path, out: Path, years=(2021,), **options) -> dict[int, str]:
    log = io.StringIO()
    results = build_reports(
        list(years), raw_dir=raw, out_dir=out, chapters=[], progress_stream=log, **options
    )
    return {r.fiscal_year: r.status for r in results}


def read_csv(path: Path) -> list[dict]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, as every CSV for Excel
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def number(text: str):
    if text == "":
        return None
    if text in ("True", "False"):
        return text == "True"
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


@pytest.fixture(scope="module")
def corrected(tmp_path_factory):
    """FY2021 built from the sample, then rebuilt from a copy with the four corrections."""
    root = tmp_path_factory.mktemp("corrected")
    raw, out = root / "raw", root / "out"
    shutil.copytree(SAMPLE_RAW_DIR, raw)
    assert build(raw, out) == {2021: "built"}
    first = root / "first"
    shutil.copytree(out / "FY2021", first)
    correct_records(raw)
    assert build(raw, out) == {2021: "built"}
    return raw, out, first


# ---------------------------------------------------------------- independent expectations

FIGURE_FIELDS = ("initiatives", "achieved_share_pct")


def _distribution(prefix: tuple, block: dict, found: dict) -> None:
    for name in ("initiatives", "achieved_share_pct"):
        if name in block:
            found[(*prefix, name)] = block[name]
    for key, value in block["counts"].items():
        found[(*prefix, f"counts.{key}")] = value
    for key, value in block["shares_pct"].items():
        found[(*prefix, f"shares_pct.{key}")] = value


def figure_leaves(assessment: dict) -> dict:
    """Every figure of an assessment.json, walked from the JSON itself, keyed as the CSV's
    (scope, goal, direction, subject, fiscal year, field); a figure the JSON holds twice
    (a goal's count in ``goals`` and ``by_year``) lands on one key."""
    year = assessment["fiscal_year"]
    found: dict = {}
    _distribution(("program", None, None, None, year), assessment["program"], found)
    for row in assessment["program_by_year"]:
        _distribution(("program", None, None, None, row["fiscal_year"]), row, found)
    cause = assessment["external_cause"]
    found[("program", None, None, None, year, "counts.below")] = cause["below"]
    for name in ("with_external_cause", "share_pct"):
        found[("program", None, None, None, year, f"external_cause.{name}")] = cause[name]
    for period in assessment["program_periods"]:
        _distribution(("period", None, None, period["name"], None), period, found)
    for row in assessment["by_year"]:
        _distribution(("goal", row["goal"], None, None, row["fiscal_year"]), row, found)
    for goal in assessment["goals"]:
        g = goal["goal"]
        _distribution(("goal", g, None, None, year), goal, found)
        found[("goal", g, None, None, year, "counts.below")] = goal["external_cause"]["below"]
        for name in ("with_external_cause", "share_pct"):
            found[("goal", g, None, None, year, f"external_cause.{name}")] = goal["external_cause"][
                name
            ]
        inputs = goal["rule_inputs"]
        found[("goal", g, None, None, year, "achieved_share_pct")] = inputs["achieved_share_pct"]
        for name in ("min_year_achieved_share_pct", "adjusted_share_pct"):
            found[("goal", g, None, None, year, f"rule_inputs.{name}")] = inputs[name]
        for direction in goal["directions"]:
            d = direction["direction"]
            _distribution(("direction", g, d, None, year), direction, found)
            for row in direction["by_year"]:
                _distribution(("direction", g, d, None, row["fiscal_year"]), row, found)
        for period in goal["periods"]:
            _distribution(("period", g, None, period["name"], None), period, found)
        for indicator in goal["indicators"]:
            for name in ("baseline", "target", "actual", "achievement_rate_pct", "achieved"):
                found[("indicator", g, None, indicator["name"], year, name)] = indicator[name]
    found[("data_quality", None, None, None, None, "rejected_rows")] = assessment["data_quality"][
        "rejected_rows"
    ]
    return found


def grade_leaves(assessment: dict) -> dict:
    """Every grade and verdict: (scope, goal, direction, subject, field) -> value."""
    found = {}
    decisions = [("program", None, None, "progress", assessment["overall"]["progress"])]
    for goal in assessment["goals"]:
        g = goal["goal"]
        decisions += [("goal", g, None, s, goal[s]) for s in ("progress", "outlook")]
        decisions += [
            ("direction", g, d["direction"], "progress", d["progress"]) for d in goal["directions"]
        ]
    for scope, goal, direction, subject, decision in decisions:
        for name in ("suggested", "final", "source", "reason"):
            found[(scope, goal, direction, subject, name)] = decision[name]
    statement = ("program", None, None, "statement", "statement")
    found[statement] = assessment["overall"]["statement"]
    return found


def text_leaves(assessment: dict) -> dict:
    """What every text of the report says: (goal, direction, place) -> text."""
    found = {}
    for name in ("achievement_text",):
        found[(None, None, name)] = assessment["program"][name]["text"]
    for name in ("goals_text", "context"):
        found[(None, None, name)] = assessment["overall"][name]["text"]
    for goal in assessment["goals"]:
        for name in ("achievement_text", "grades_text"):
            found[(goal["goal"], None, name)] = goal[name]["text"]
        for d in goal["directions"]:
            found[(goal["goal"], d["direction"], "narrative")] = d["narrative"]["text"]
    return found


def moved(old: dict, new: dict) -> dict:
    return {k: (old.get(k), new.get(k)) for k in set(old) | set(new) if old.get(k) != new.get(k)}


def _key(row: dict) -> tuple:
    year = number(row["new_fiscal_year"])
    return (
        row["scope"],
        number(row["goal"]),
        number(row["direction"]),
        row["subject"] or None,
        year,
        row["field"],
    )


# ---------------------------------------------------------------- done when: the rebuild


@pytest.mark.xdist_group("changes-corrected")
def test_a_rebuild_lists_exactly_the_four_changes_with_the_figures_and_grades_that_moved(
    corrected,
):
    _, out, first = corrected
    rows = read_csv(out / "FY2021" / "data" / "changes.csv")
    assert list(rows[0]) == CSV_COLUMNS
    assert rows[0]["change"] == "compared_with"
    entry = history.entries(out, 2021)[0]
    assert rows[0]["label"].startswith(f"履歴 1（{entry.name}）、kawaeval ")

    initiative_rows = [r for r in rows if r["scope"] == "initiative"]
    shown = [
        (r["change"], r["initiative_id"], r["field"], r["old_fiscal_year"], r["old"], r["new"])
        for r in initiative_rows
    ]
    assert shown == [
        ("changed", "1-1-03", "achievement", "2021", "on_target", "below"),
        ("added", "1-1-99", "", "", "", ""),
        ("changed", "2-2-07", "reason", "", OLD_REASON, NEW_REASON),
        ("changed", "2-2-10", "bureau", "", "港湾局", "港湾局（港湾振興部）"),
    ]
    # each with the file and Excel row it now comes from (1-1-03 moved from row 3 to 4)
    assert [(r["source_file"], r["source_row"]) for r in initiative_rows] == [
        (KENSETSU, "4"),
        (KENSETSU, "3"),
        (KOWAN, "3"),
        (KOWAN, "4"),
    ]

    before = load(first / "data" / "assessment.json")
    after = load(out / "FY2021" / "data" / "assessment.json")
    expected = moved(figure_leaves(before), figure_leaves(after))
    figures = {
        _key(r): (number(r["old"]), number(r["new"])) for r in rows if r["change"] == "figure"
    }
    assert len(figures) == len([r for r in rows if r["change"] == "figure"])
    assert figures == expected
    # what a reviewer checks first: goal 1's FY2021 counts moved by the rating and the addition
    assert figures[("goal", 1, None, None, 2021, "counts.below")] == (3, 5)
    assert figures[("goal", 1, None, None, 2021, "initiatives")] == (16, 17)
    assert ("goal", 3, None, None, 2021, "counts.below") not in figures  # goal 3 untouched
    # numbers stay numbers in the CSV: a fall is written -11.6, not neutralised as text
    shares = next(r for r in rows if _key(r) == ("goal", 1, None, None, 2021, "achieved_share_pct"))
    assert (shares["old"], shares["new"], shares["difference"]) == ("81.3", "70.6", "-10.7")

    grades = {
        (r["scope"], number(r["goal"]), number(r["direction"]), r["subject"], r["field"]): (
            r["old"] or None,
            r["new"] or None,
        )
        for r in rows
        if r["change"] == "grade"
    }
    assert grades == moved(grade_leaves(before), grade_leaves(after))
    # goal 1's achieved share fell from 81.3% to 70.6%: the rule now suggests C; the
    # committee's final grade stays
    assert grades[("goal", 1, None, "progress", "suggested")] == ("B", "C")
    assert all(key[1] == 1 for key in grades if key[0] != "program")  # goal 1's alone

    texts = {
        (number(r["goal"]), number(r["direction"]), r["field"]): (r["old"], r["new"])
        for r in rows
        if r["change"] == "text"
    }
    assert texts == moved(text_leaves(before), text_leaves(after))
    assert {r["change"] for r in rows} <= {
        "compared_with",
        "added",
        "changed",
        "figure",
        "grade",
        "text",
    }


@pytest.mark.xdist_group("changes-corrected")
def test_the_replaced_report_is_kept_in_the_history(corrected):
    _, out, first = corrected
    (entry,) = history.entries(out, 2021)
    assert entry.number == 1 and len(entry.digest) == 12
    assert entry.path == out / ".history" / "FY2021" / entry.name
    assert sorted(p.name for p in entry.path.iterdir()) == [
        "assessment.json",
        "build-stamp.json",
        "tidy.parquet",
    ]
    assert sha(entry.path / "tidy.parquet") == sha(first / "data" / "tidy.parquet")
    assert sha(entry.path / "assessment.json") == sha(first / "data" / "assessment.json")
    assert sha(entry.path / "build-stamp.json") == sha(first / "build-stamp.json")
    # no temporary folder left beside it
    assert [p.name for p in entry.path.parent.iterdir()] == [entry.name]


@pytest.mark.xdist_group("changes-corrected")
def test_a_half_kept_entry_of_a_killed_build_is_removed_by_the_next_keep(corrected, tmp_path):
    _, out, first = corrected
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    left = history.history_dir(copy, 2021) / ".2-0123456789ab.tmp-x1y2"
    left.mkdir()
    (left / "tidy.parquet").write_bytes(b"half")
    shutil.rmtree(copy / "FY2021")
    shutil.copytree(first, copy / "FY2021")  # the first report published again, then replaced
    entry = history.keep(copy / "FY2021", copy, 2021)
    assert entry is None  # entry 1 holds the same data already
    assert not left.exists()


@pytest.mark.xdist_group("changes-corrected")
def test_the_index_links_the_change_record_and_the_csv(corrected):
    _, out, _ = corrected
    index = BeautifulSoup(
        (out / "FY2021" / "index.html").read_text(encoding="utf-8"), "html.parser"
    )
    section = index.find("div", class_=HTML_ONLY)  # (the summary's link is HTML-only too)
    text = section.get_text()
    entry = history.entries(out, 2021)[0]
    assert f"前回の報告書「履歴 1（{entry.name}）」からの変更：" in text
    rows = read_csv(out / "FY2021" / "data" / "changes.csv")
    grades = sum(r["change"] == "grade" for r in rows)
    assert f"取組の追加 1件、取組の記録の変更 3件、評価の変化 {grades}件、文章の変化 " in text
    assert section.find("a")["href"] == "changes.html"
    links = [a["href"] for a in index.find_all("a")]
    assert "data/changes.csv" in links
    page = BeautifulSoup(
        (out / "FY2021" / "changes.html").read_text(encoding="utf-8"), "html.parser"
    )
    assert page.html["lang"] == "ja"
    assert page.find("a", href="index.html") is not None


@pytest.mark.xdist_group("changes-corrected")
def test_a_forced_rebuild_keeps_the_same_record(corrected, tmp_path):
    raw, out, _ = corrected
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    record = (copy / "FY2021" / "data" / "changes.csv").read_bytes()
    page = (copy / "FY2021" / "changes.html").read_bytes()
    assert build(raw, copy, force=True) == {2021: "built"}
    assert (copy / "FY2021" / "data" / "changes.csv").read_bytes() == record
    assert (copy / "FY2021" / "changes.html").read_bytes() == page
    assert [e.name for e in history.entries(copy, 2021)] == [
        e.name for e in history.entries(out, 2021)
    ]  # the same records and assessment: no entry


@pytest.mark.xdist_group("changes-corrected")
def test_since_the_first_build_gives_the_same_record(corrected, tmp_path):
    raw, out, first = corrected
    record = read_csv(out / "FY2021" / "data" / "changes.csv")
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    # the entry by its number, then by its name, then the first report's folder itself
    entry = history.entries(copy, 2021)[0]
    assert build(raw, copy, since="1") == {2021: "reused"}  # the index and record rewritten
    assert build(raw, copy, since="1") == {2021: "up to date"}
    for since, label in ((entry.name, entry.label), (str(first), "first")):
        assert build(raw, copy, since=since, force=True) == {2021: "built"}
        rows = read_csv(copy / "FY2021" / "data" / "changes.csv")
        assert rows[1:] == record[1:], since
        assert rows[0]["label"].startswith(label + "、kawaeval ")
        page = (copy / "FY2021" / "changes.html").read_text(encoding="utf-8")
        assert "作成時に指定した報告書（--since）の違いです" in page
    assert len(history.entries(copy, 2021)) == 1
    # a plain build afterwards compares with the previous different report again
    build(raw, copy)
    assert (copy / "FY2021" / "data" / "changes.csv").read_bytes() == (
        out / "FY2021" / "data" / "changes.csv"
    ).read_bytes()


@pytest.mark.xdist_group("changes-corrected")
def test_since_an_unknown_reference_is_a_usage_error_before_anything_is_read(
    corrected, tmp_path, monkeypatch, capsys
):
    raw, out, _ = corrected

    def refuse(*args, **kwargs):
        raise AssertionError("must not be reached")

    monkeypatch.setattr("kawaeval.records.cleaning.clean_records", refuse)
    code = cli.main(
        ["build", "--fiscal-year", "2021", "--raw", str(raw), "--out", str(out), "--since", "7"]
    )
    assert code == 2
    entry = history.entries(out, 2021)[0]
    assert capsys.readouterr().err == (
        "kawaeval build: error: --since「7」に当たる FY2021 の報告書がありません (--since takes a"
        " history entry number such as 1, an entry name or the start of its digest, or a"
        f" report folder). FY2021 の履歴: {entry.name}\n"
    )


def test_the_first_build_has_no_change_record_and_the_index_says_so(tmp_path):
    out = tmp_path / "out"
    assert build(SAMPLE_RAW_DIR, out) == {2021: "built"}
    report = out / "FY2021"
    assert not (report / "changes.html").exists()
    assert not (report / "data" / "changes.csv").exists()
    assert not (out / ".history").exists()
    index = BeautifulSoup((report / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert "この年度の最初の報告書のため、変更の記録はありません" in index.get_text()
    assert "changes.html" not in [a.get("href") for a in index.find_all("a")]
    # a forced rebuild of the same inputs is still the first report
    assert build(SAMPLE_RAW_DIR, out, force=True) == {2021: "built"}
    assert not (report / "changes.html").exists()
    assert not (out / ".history").exists()


def test_an_interim_year_untouched_by_a_later_years_correction_gets_no_entry(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(SAMPLE_RAW_DIR, raw)
    assert build(raw, out, years=(2020, 2021)) == {2020: "built", 2021: "built"}
    _edit(
        raw / KENSETSU,
        "cp932",
        "1-1-03,基本目標1,方向性1,取組1-1-03（仮称・サンプル）,建設緑政局,3,3,3,3,",
        "1-1-03,基本目標1,方向性1,取組1-1-03（仮称・サンプル）,建設緑政局,3,3,3,4,",
    )
    assert build(raw, out, years=(2020, 2021)) == {2020: "reused", 2021: "built"}
    # FY2020's report covers 2018-2020: its records and assessment are the same
    assert history.entries(out, 2020) == []
    assert not (out / "FY2020" / "changes.html").exists()
    assert len(history.entries(out, 2021)) == 1


def test_a_moved_file_or_row_alone_is_not_a_change(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(SAMPLE_RAW_DIR, raw)
    assert build(raw, out) == {2021: "built"}
    # 2-2-10 moves from the port bureau's file into a new file of its own; 2-2-04 moves down
    line = "2-2-10,基本目標２,Ⅱ,取組2-2-10（仮称・サンプル）,港湾局,３,３,３,３,,仮称\n"
    _edit(raw / KOWAN, "utf-8", line, "")
    header = (raw / KOWAN).read_text(encoding="utf-8").splitlines()[0]
    (raw / "initiatives_kowan2.csv").write_text(header + "\n" + line, encoding="utf-8")
    text = (raw / KOWAN).read_text(encoding="utf-8").splitlines(keepends=True)
    (raw / KOWAN).write_text(text[0] + text[2] + text[1], encoding="utf-8")
    assert build(raw, out) == {2021: "reused"}  # the same assessment
    tidy = __import__("pandas").read_parquet(out / "FY2021" / "data" / "tidy.parquet")
    assert set(tidy.loc[tidy["initiative_id"] == "2-2-10", "source_file"]) == {
        "initiatives_kowan2.csv"
    }
    assert history.entries(out, 2021) == []
    assert not (out / "FY2021" / "changes.html").exists()


# ---------------------------------------------------------------- an older kawaeval's report


def test_a_previous_report_that_cannot_be_read_gives_a_page_that_says_so(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(SAMPLE_RAW_DIR, raw)
    assert build(raw, out) == {2021: "built"}
    # as an older kawaeval wrote it: no appendix list in the assessment, no tidy.parquet
    path = out / "FY2021" / "data" / "assessment.json"
    older = load(path)
    del older["initiatives"]
    path.write_text(json.dumps(older, ensure_ascii=False), encoding="utf-8")
    (out / "FY2021" / "data" / "tidy.parquet").unlink()
    correct_records(raw)
    assert build(raw, out) == {2021: "built"}
    page = BeautifulSoup(
        (out / "FY2021" / "changes.html").read_text(encoding="utf-8"), "html.parser"
    )
    notice = page.find(class_="kawaeval-notice").get_text()
    assert notice.startswith(
        "前回の報告書は読み込めないため、比較できません。tidy.parquet がありません"
    )
    rows = read_csv(out / "FY2021" / "data" / "changes.csv")
    assert [r["change"] for r in rows] == ["not_compared"]
    index = (out / "FY2021" / "index.html").read_text(encoding="utf-8")
    assert "は読み込めないため、比較できません。" in index
    (entry,) = history.entries(out, 2021)
    assert sorted(p.name for p in entry.path.iterdir()) == ["assessment.json", "build-stamp.json"]
    # an older assessment alone (tidy.parquet there) is read through the model, and refused
    assert (
        "この版の kawaeval の評価結果の形式ではありません"
        in history._read_snapshot(
            {
                "tidy.parquet": out / "FY2021" / "data" / "tidy.parquet",
                "assessment.json": entry.path / "assessment.json",
                "build-stamp.json": entry.path / "build-stamp.json",
            }
        )[1]
    )
    # a forced rebuild shows the same page
    before = (out / "FY2021" / "changes.html").read_bytes()
    assert build(raw, out, force=True) == {2021: "built"}
    assert (out / "FY2021" / "changes.html").read_bytes() == before


# ---------------------------------------------------------------- safe and stable


HOSTILE_NAME = "<script>alert(1)</script>$x$"
HOSTILE_REASON = '=HYPERLINK("http://example.com/?leak","詳細")'


def test_record_text_is_escaped_and_the_csv_is_formula_safe(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(SAMPLE_RAW_DIR, raw)
    assert build(raw, out) == {2021: "built"}
    _edit(raw / KOWAN, "utf-8", "取組2-2-04（仮称・サンプル）", HOSTILE_NAME)
    _edit(raw / KOWAN, "utf-8", OLD_REASON, '"' + HOSTILE_REASON.replace('"', '""') + '"')
    assert build(raw, out) == {2021: "built"}
    html = (out / "FY2021" / "changes.html").read_text(encoding="utf-8")
    page = BeautifulSoup(html, "html.parser")
    assert page.find("script") is None
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#36;x&#36;" in html
    assert HOSTILE_NAME in page.get_text()
    rows = read_csv(out / "FY2021" / "data" / "changes.csv")
    reason = next(r for r in rows if r["field"] == "reason")
    assert reason["new"] == "'" + HOSTILE_REASON
    assert reason["old"] == OLD_REASON
    name = next(r for r in rows if r["field"] == "name")
    assert (name["old"], name["new"]) == ("取組2-2-04（仮称・サンプル）", HOSTILE_NAME)
    from openpyxl import load_workbook

    workbook = load_workbook(out / "FY2021" / "tables.xlsx")
    cells = [c.value for s in workbook.worksheets for row in s.iter_rows() for c in row]
    assert "'" + HOSTILE_REASON in cells
    assert HOSTILE_REASON not in cells


@pytest.mark.xdist_group("changes-corrected")
def test_the_change_page_is_byte_stable_for_the_same_pair(corrected, tmp_path, monkeypatch):
    _, out, first = corrected
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    pages = []
    for n in (1, 2):
        target = tmp_path / f"diff{n}"
        assert cli.main(["diff", str(first), str(out / "FY2021"), "--out", str(target)]) == 0
        pages.append({p.name: p.read_bytes() for p in target.rglob("*") if p.is_file()})
    assert pages[0] == pages[1]
    assert sorted(pages[0]) == ["changes.csv", "changes.html"]


@pytest.mark.xdist_group("changes-corrected")
def test_tables_xlsx_carries_the_change_record(corrected):
    from openpyxl import load_workbook

    _, out, _ = corrected
    workbook = load_workbook(out / "FY2021" / "tables.xlsx")
    contents = workbook["目次"]
    chapters = {row[1].value: row[2].value for row in contents.iter_rows(min_row=3) if row[1].value}
    for title in (
        "比較した報告書",
        "追加・削除された取組",
        "取組の記録の変更",
        "数値の変化",
        "評価の変化",
    ):
        assert chapters[title] == "変更の記録"
    sheet = next(s for s in workbook.worksheets if s["A1"].value == "取組の記録の変更")
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert values[0] == list(FIELD_COLUMNS)
    assert values[1][:5] == [
        "1-1-03",
        "取組1-1-03（仮称・サンプル）",
        "達成度（令和３(2021)年度）",
        "ほぼ目標どおり",
        "目標を下回った",
    ]
    assert values[1][5:] == [KENSETSU, 4]  # the row is a number
    figures = next(s for s in workbook.worksheets if s["A1"].value == "数値の変化")
    rows = [[c.value for c in row] for row in figures.iter_rows(min_row=3)]
    assert ["基本目標1", "令和３(2021)年度", "目標を下回った（件）", 3, 5, 2, "件"] in rows


@pytest.mark.xdist_group("changes-corrected")
def test_the_change_record_is_left_out_of_the_pdf(corrected):
    _, out, _ = corrected
    combined = pdf.combined_html(out / "FY2021", [("index", "index.html")], "t", "f")
    body = combined.split("<body>")[1]
    assert "変更の記録" not in body and "changes" not in body
    assert "主な数値" in body and "tables.xlsx" in body  # the rest of the index is there


@pytest.mark.xdist_group("changes-corrected")
def test_adding_the_pdf_adds_no_entry_and_the_pdf_leaves_the_record_out(corrected, tmp_path):
    pytest.importorskip("weasyprint")
    pdftotext = require_system_tool("pdftotext", "poppler-utils")
    raw, out, _ = corrected
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    page = (copy / "FY2021" / "changes.html").read_bytes()
    assert build(raw, copy, pdf=True) == {2021: "reused"}
    assert [e.name for e in history.entries(copy, 2021)] == [
        e.name for e in history.entries(out, 2021)
    ]
    assert (copy / "FY2021" / "changes.html").read_bytes() == page
    # the report's PDF and its summary's: neither holds the change record
    documents = sorted((copy / "FY2021").glob("*.pdf"), key=lambda p: p.stem.endswith("_概要"))
    assert [d.stem.endswith("_概要") for d in documents] == [False, True]
    for document in documents:
        text = subprocess.run(
            [pdftotext, "-enc", "UTF-8", str(document), "-"], capture_output=True, check=True
        ).stdout.decode("utf-8")
        assert "主な数値" in text or document.stem.endswith("_概要")
        assert "変更の記録" not in text and "changes" not in text


# ---------------------------------------------------------------- kawaeval diff


@pytest.fixture(scope="module")
def sample_years(tmp_path_factory):
    out = tmp_path_factory.mktemp("years")
    assert build(SAMPLE_RAW_DIR, out, years=(2020, 2021)) == {2020: "built", 2021: "built"}
    return out


@pytest.mark.xdist_group("changes-years")
def test_diff_of_fy2020_and_fy2021_names_exactly_the_initiatives_whose_achievement_differs(
    sample_years, tmp_path, capsys
):
    target = tmp_path / "diff"
    code = cli.main(
        ["diff", str(sample_years / "FY2020"), str(sample_years / "FY2021"), "--out", str(target)]
    )
    assert code == 0
    # the records themselves: each initiative's FY2020 and FY2021 results
    records = read_csv(sample_years / "FY2021" / "data" / "achievements.csv")
    differ = {
        r["initiative_id"]: (r["achievement_2020"], r["achievement_2021"])
        for r in records
        if r["achievement_2020"] != r["achievement_2021"]
    }
    assert differ  # the sample has some
    rows = read_csv(target / "data" / "changes.csv")
    moved_rows = {
        r["initiative_id"]: (r["old"], r["new"]) for r in rows if r["change"] in MOVEMENTS
    }
    assert moved_rows == differ
    for row in rows:
        if row["change"] == "fell_below":
            assert row["new"] == "below" and row["old"] in ("on_target", "exceeded")
        if row["change"] == "recovered":
            assert row["old"] == "below" and row["new"] in ("on_target", "exceeded")
        if row["change"] == "moved_up":
            assert (row["old"], row["new"]) == ("on_target", "exceeded")
    assert not [r for r in rows if r["change"] in ("added", "removed", "changed")]
    # each goal's and direction's figures between the two evaluated years
    before = load(sample_years / "FY2020" / "data" / "assessment.json")
    after = load(sample_years / "FY2021" / "data" / "assessment.json")
    goal = {
        r["field"]: (number(r["old"]), number(r["new"]))
        for r in rows
        if r["scope"] == "goal" and r["goal"] == "2"
    }
    assert goal["counts.below"] == (
        before["goals"][1]["counts"]["below"],
        after["goals"][1]["counts"]["below"],
    )
    assert any(r["scope"] == "direction" for r in rows)
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "FY2020（令和２(2020)年度）→ FY2021（令和３(2021)年度）"
    kinds = {r["change"] for r in rows}
    fell = sum(r["change"] == "fell_below" for r in rows)
    assert f"達成度が変わった取組（新たに目標を下回った）: {fell}件" in out
    assert "fell_below" in kinds and "recovered" in kinds
    page = BeautifulSoup((target / "changes.html").read_text(encoding="utf-8"), "html.parser")
    assert page.find("caption", string="達成度が変わった取組（令和２(2020)年度→令和３(2021)年度）")
    assert page.find("a", href="index.html") is None  # no index beside it


@pytest.mark.xdist_group("changes-corrected")
def test_diff_of_a_history_entry_and_a_report_gives_the_reports_record(corrected, tmp_path, capsys):
    _, out, _ = corrected
    entry = history.entries(out, 2021)[0]
    target = tmp_path / "diff"
    assert cli.main(["diff", str(entry.path), str(out / "FY2021"), "--out", str(target)]) == 0
    mine = read_csv(target / "data" / "changes.csv")
    report = read_csv(out / "FY2021" / "data" / "changes.csv")
    assert mine[1:] == report[1:]
    assert mine[0]["label"].startswith(f"FY2021 履歴 1（{entry.name}）")
    printed = capsys.readouterr().out.splitlines()
    count = {kind: sum(r["change"] == kind for r in report) for kind in ("figure", "grade", "text")}
    assert printed[1:] == [
        "取組の追加: 1件",
        "取組の記録の変更: 3件",
        f"評価の変化: {count['grade']}件",
        f"文章の変化: {count['text']}件",
        f"数値の変化: {count['figure']}件",
    ]


@pytest.mark.xdist_group("changes-years")
def test_diff_exit_codes(sample_years, tmp_path, capsys):
    report = sample_years / "FY2021"
    assert cli.main(["diff", str(report), str(report)]) == 0
    assert "取組の記録と評価に変更はありません (no differences)" in capsys.readouterr().out
    (tmp_path / "empty").mkdir()
    assert cli.main(["diff", str(tmp_path / "empty"), str(report)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        f"kawaeval diff: error: 「{tmp_path / 'empty'}」は報告書のフォルダではありません"
    )
    assert cli.main(["diff", str(tmp_path / "missing"), str(report)]) == 1
    capsys.readouterr()
    with pytest.raises(SystemExit) as usage:
        cli.main(["diff", str(report)])
    assert usage.value.code == 2
    (tmp_path / "file").write_text("x")
    assert cli.main(["diff", str(report), str(report), "--out", str(tmp_path / "file")]) == 2
    # a report an older kawaeval made: said so, exit 1
    older = tmp_path / "older"
    shutil.copytree(report, older)
    (older / "data" / "tidy.parquet").unlink()
    assert cli.main(["diff", str(older), str(report)]) == 1
    assert "このバージョンの kawaeval では読み込めないため比較できません" in capsys.readouterr().err


# ---------------------------------------------------------------- the page as a reviewer sees it


def test_a_reviewer_sees_the_change_record_in_chromium(browser, tmp_path):
    """The whole report, rebuilt after the corrections, opened in Debian's Chromium: the index
    links the change page, whose tables read in Japanese; a screenshot is kept for review."""
    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(SAMPLE_RAW_DIR, raw)
    build_reports([2021], raw_dir=raw, out_dir=out, progress_stream=io.StringIO())
    correct_records(raw)
    build_reports([2021], raw_dir=raw, out_dir=out, progress_stream=io.StringIO())
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    try:
        page.goto((out / "FY2021" / "index.html").as_uri())
        page.click("text=変更の記録を見る")
        assert page.url.endswith("/FY2021/changes.html")
        assert page.title().startswith("変更の記録：川崎市国際施策推進プラン")
        captions = page.locator("caption").all_inner_texts()
        assert captions[:2] == ["比較した報告書", "内容が変わった入力ファイル"]
        assert "取組の記録の変更" in captions and "評価の変化" in captions
        row = page.locator("tr", has_text="1-1-03")
        assert row.inner_text().split("\t")[2:5] == [
            "達成度（令和３(2021)年度）",
            "ほぼ目標どおり",
            "目標を下回った",
        ]
        # nothing wider than the window: the tables wrap
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        page.screenshot(path=str(tmp_path / "changes.png"), full_page=True)
        page.click("text=目次 >> nth=0")
        assert page.url.endswith("/FY2021/index.html")
    finally:
        page.close()
    assert (tmp_path / "changes.png").stat().st_size > 10_000
