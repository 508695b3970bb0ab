"""``kawaeval build``: the offline HTML report, reproducible, published only when complete."""

import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import nbformat
import pytest
from bs4 import BeautifulSoup
from conftest import REPO

from kawaeval import cli
from kawaeval.build import building, exporting, publishing, stamps
from kawaeval.build.building import build_reports
from kawaeval.build.progress import Progress
from kawaeval.common import files
from kawaeval.evaluation.model import SCHEMA_FILE, Assessment
from kawaeval.exceptions import UsageError
from kawaeval.paths import NOTEBOOKS_DIR, SAMPLE_RAW_DIR, project_home
from kawaeval.plan import load_plan
from kawaeval.report.chapters import Chapter
from kawaeval.version import git_commit

FIXTURES = Path(__file__).parent / "fixtures" / "report"
# one xdist worker builds the sample report (a session fixture) once for every test here
pytestmark = pytest.mark.xdist_group("building")
ESCAPING_RAW = FIXTURES / "raw_escaping"


def _tree(folder: Path) -> dict[str, str]:
    """Every file under a folder (relative path -> SHA-256)."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _listing(out: Path) -> list[str]:
    """The names in a reports folder, without the years' lock files (they stay, empty)."""
    return sorted(p.name for p in out.iterdir() if not re.fullmatch(r"\.FY\d{4}\.lock", p.name))


def _pages(report: Path) -> dict[str, BeautifulSoup]:
    return {
        p.name: BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser")
        for p in sorted(report.glob("*.html"))
    }


def _text(soup: BeautifulSoup) -> str:
    return soup.get_text(" ")


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory):
    """The FY2021 report built once from the bundled sample records."""
    out = tmp_path_factory.mktemp("reports")
    log = io.StringIO()
    results = build_reports([2021], out_dir=out, progress_stream=log)
    return out, results, log.getvalue()


@pytest.fixture(scope="session")
def report(sample_build) -> Path:
    return sample_build[0] / "FY2021"


# ---------------------------------------------------------------- parameters (no kernel)


def _no_kernel_no_cleaning(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("must not be reached")

    monkeypatch.setattr("kawaeval.build.kernels.KernelPool.execute", refuse)
    monkeypatch.setattr("papermill.execute_notebook", refuse)
    monkeypatch.setattr("kawaeval.build.pipeline.clean_records", refuse)


def test_unknown_fiscal_year_is_usage_error_before_any_kernel(tmp_path, monkeypatch, capsys):
    _no_kernel_no_cleaning(monkeypatch)
    code = cli.main(["build", "--fiscal-year", "2017", "--out", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert err == (
        "kawaeval build: error: --fiscal-year 2017 は第２期実行プログラムの年度ではありません。"
        "指定できる年度: 2018, 2019, 2020, 2021\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_unknown_goal_is_usage_error_before_any_kernel(tmp_path, monkeypatch):
    _no_kernel_no_cleaning(monkeypatch)
    with pytest.raises(UsageError) as caught:
        build_reports([2021], out_dir=tmp_path, goals=[4])
    assert str(caught.value) == ("基本目標 4 は計画にありません (goal must be one of: 1, 2, 3)")
    assert caught.value.exit_code == 2


def test_bad_source_date_epoch_is_usage_error(tmp_path, monkeypatch):
    _no_kernel_no_cleaning(monkeypatch)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(UsageError, match=r"SOURCE_DATE_EPOCH「yesterday」は秒数ではありません"):
        build_reports([2021], out_dir=tmp_path)


def test_source_date_follows_reproducible_builds(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert files.source_date() is None
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert files.source_date() == "2023-11-14"


def test_chapters_run_the_goal_chapter_once_per_goal():
    chapters = building.chapters_for(load_plan())
    assert [c.name for c in chapters] == [
        "01_plan",
        "02_achievement",
        "03_highlights",
        "04_overall",
        "05_goal1",
        "05_goal2",
        "05_goal3",
        "06_appendix",
    ]
    assert chapters[-1].title == "付録 取組一覧"
    assert [c.parameters["goal"] for c in chapters[4:7]] == [1, 2, 3]
    assert chapters[5].title == "第5章 基本目標2 発信力を高め世界的プレゼンスを確立するまち"
    # every notebook's heading is the registry's title, passed as the papermill parameter
    assert all(c.parameters["title"] == c.title for c in chapters)


def test_normalise_notebook_removes_what_differs_between_runs():
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "papermill": {
            "parameters": {"fiscal_year": 2021},
            "start_time": "2026-01-01T00:00:00",
            "duration": 1.5,
            "input_path": "/somewhere/notebooks/01_plan.ipynb",
            "output_path": "/tmp/.FY2021.tmp-abc/notebooks/01_plan.ipynb",
        },
        "language_info": {"name": "python", "version": "3.11.9"},
    }
    cell = nbformat.v4.new_code_cell("x")
    cell.id = "a1b2c3"
    cell.execution_count = 7
    cell.metadata = {"papermill": {"duration": 0.1}, "execution": {"iopub.status.busy": "..."}}
    cell.outputs = [
        nbformat.v4.new_output("execute_result", {"text/plain": "1"}, execution_count=7)
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("m"), cell]
    chapter = Chapter("01_plan", NOTEBOOKS_DIR / "01_plan.ipynb", "第1章")
    exporting.normalise_notebook(nb, chapter, "notebooks/01_plan.ipynb")
    assert nb.metadata == {
        "papermill": {
            "parameters": {"fiscal_year": 2021},
            "input_path": "notebooks/01_plan.ipynb",
            "output_path": "notebooks/01_plan.ipynb",
        },
        "language_info": {"name": "python"},
    }
    assert [c.id for c in nb.cells] == ["cell-000", "cell-001"]
    assert cell.metadata == {}
    assert cell.execution_count == 1
    assert cell.outputs[0].execution_count == 1


# ---------------------------------------------------------------- the sample report


@pytest.mark.slow
def test_report_folder_layout(report, sample_build):
    out, results, log = sample_build
    assert results == [building.BuildResult(2021, "built", report)]
    assert _listing(out) == ["FY2021"]  # no temporary folder left
    names = set(_tree(report))
    assert {
        "index.html",
        "01_plan.html",
        "02_achievement.html",
        "03_highlights.html",
        "04_overall.html",
        "05_goal1.html",
        "05_goal2.html",
        "05_goal3.html",
        "06_appendix.html",
        "notebooks/01_plan.ipynb",
        "notebooks/05_goal3.ipynb",
        "data/assessment.json",
        "data/manifest.json",
        "data/rejected.csv",
        "build-stamp.json",
    } <= names
    # not a terminal: one plain line per chapter
    assert re.search(r"FY2021: \[[1-8]/8\] 第1章 計画と評価の方法 \(01_plan\)\n", log)
    # chapters run side by side: each is counted as it finishes, in whatever order that is
    assert re.search(r"FY2021: \[[1-8]/8\] 第5章 基本目標3", log)
    assert re.search(r"FY2021: \[[1-8]/8\] 付録 取組一覧 \(06_appendix\)", log)
    assert "FY2021: [8/8] " in log


@pytest.mark.slow
def test_the_built_assessment_json_validates_against_the_shipped_schema(report):
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    built = json.loads((report / "data" / "assessment.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(built)
    assert Assessment.from_json(json.dumps(built)).to_dict() == built


@pytest.mark.slow
def test_published_figures_appear_in_the_report(report, published):
    pages = _pages(report)
    achievement = _text(pages["02_achievement.html"])
    fy = published["program_distribution_fy2021"]
    for key in ("exceeded", "on_target", "below"):
        count, share = fy["counts"][key], fy["shares_pct_1dp"][key]
        assert f"{count}件({share}%)" in achievement
        assert f"{published['achievement_categories_ja'][key]}" in achievement
    assert f"取組数は{published['structure']['initiatives_total']}件" in achievement
    index = _text(pages["index.html"])
    assert "目標を上回って達成：1件(0.9%)" in index

    overall = _text(pages["04_overall.html"])
    for goal in published["goal_grades"]:
        assert f"{goal['status']} {goal['status_ja']}" in overall
        assert f"{goal['direction']} {goal['direction_ja']}" in overall
        page = _text(pages[f"05_goal{goal['goal']}.html"])
        assert f"{goal['status']} {goal['status_ja']}" in page
    for goal in published["structure"]["goals"]:
        page = _text(pages[f"05_goal{goal['goal']}.html"])
        assert (
            f"基本目標{goal['goal']} {goal['name_ja']}（取組数：{goal['initiatives']}件）" in page
        )
        for direction in goal["directions"]:
            assert direction["name_ja"] in page
    plan_page = _text(pages["01_plan.html"])
    assert published["document"]["vision_ja"] in plan_page
    highlights = _text(pages["03_highlights.html"])
    for result in published["main_results"]:
        assert result["initiative_ja"] in highlights


@pytest.mark.slow
def test_every_link_resolves_inside_the_folder(report):
    pages = _pages(report)
    order = ["01_plan.html", "02_achievement.html", "03_highlights.html", "04_overall.html"]
    order += ["05_goal1.html", "05_goal2.html", "05_goal3.html", "06_appendix.html"]
    assert [a["href"] for a in pages["index.html"].select("ol.kawaeval-toc a")] == order
    for name, soup in pages.items():
        for a in soup.find_all("a", href=True):
            href = a["href"]
            if href.startswith("#"):
                continue
            assert "://" not in href and not href.startswith("/"), (name, href)
            page, _, anchor = href.partition("#")
            assert (report / page).is_file(), (name, href)
            if anchor:
                assert pages[page].find(id=anchor) is not None, (name, href)
    for i, name in enumerate(order):
        for nav in pages[name].select("nav.kawaeval-nav"):
            links = {a.get("rel", ["index"])[0]: a["href"] for a in nav.find_all("a")}
            assert links["index"] == "index.html"
            assert links.get("prev") == (order[i - 1] if i else None)
            assert links.get("next") == (order[i + 1] if i + 1 < len(order) else None)


@pytest.mark.slow
def test_nothing_is_loaded_from_outside_the_folder(report):
    for name, soup in _pages(report).items():
        for tag in soup.find_all(True):
            for attribute in ("src", "href"):
                value = tag.get(attribute)
                if value is not None:
                    assert not re.match(r"^(https?:)?//", value.strip(), re.I), (name, value)
        for script in soup.find_all("script"):
            assert "src" not in script.attrs, name
            assert not re.search(r"require\.js|requirejs|mathjax|mermaid", script.text, re.I)
        for img in soup.find_all("img"):
            assert img["src"].startswith("data:image/png;base64,"), name
        for link in soup.find_all("link"):
            pytest.fail(f"{name} links an external resource: {link}")


@pytest.mark.slow
def test_pages_are_japanese_utf8_without_code(report):
    for name, soup in _pages(report).items():
        assert soup.html["lang"] == "ja", name
        assert soup.find("meta", charset=True)["charset"].lower() == "utf-8", name
        code_shown = ".jp-CodeCell .jp-InputArea, .jp-InputPrompt, .jp-OutputPrompt, .highlight"
        assert soup.select(code_shown) == [], name
        assert "presenting." not in _text(soup), name
        assert "Traceback" not in _text(soup), name
    chart_pages = ["02_achievement.html", "05_goal1.html"]
    for name in chart_pages:
        assert _pages(report)[name].select("img[alt]"), name


@pytest.mark.slow
def test_index_has_provenance(report):
    index = _text(_pages(report)["index.html"])
    manifest = json.loads((report / "data" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["files"], "the sample has input files"
    for f in manifest["files"]:
        assert f["file"] in index
        assert f"SHA-256 {f['sha256']}" in index
    assert f"SHA-256 {manifest['plan']['sha256']}" in index
    assert "fiscal_year = 2021, raw_dir = data/raw, allow_rejects = False" in index
    commit = git_commit()
    assert commit is None or re.fullmatch(r"[0-9a-f]{40}", commit)
    if commit:
        assert commit in index
    assert "SOURCE_DATE_EPOCH" not in index


@pytest.mark.slow
def test_kernel_is_this_interpreter_and_years_build_in_parallel(tmp_path):
    chapter = Chapter("00_interpreter", FIXTURES / "interpreter_chapter.ipynb", "interpreter")
    results = build_reports(
        [2020, 2021], out_dir=tmp_path, jobs=2, chapters=[chapter], progress_stream=io.StringIO()
    )
    assert [(r.fiscal_year, r.status) for r in results] == [(2020, "built"), (2021, "built")]
    for year in (2020, 2021):
        nb = nbformat.read(tmp_path / f"FY{year}/notebooks/00_interpreter.ipynb", as_version=4)
        printed = nb.cells[-1].outputs[0].text.split()
        # the kernel runs in its own report's notebooks/ folder, even with two years at once
        assert printed == [sys.executable, str(year), str(year)]


@pytest.mark.slow
def test_second_build_is_byte_identical(report, tmp_path):
    again = build_reports([2021], out_dir=tmp_path, progress_stream=io.StringIO())
    assert again[0].status == "built"
    assert _tree(tmp_path / "FY2021") == _tree(report)
    for path in report.rglob("*"):
        if path.is_file() and path.suffix in {".html", ".ipynb", ".json"}:
            text = path.read_text(encoding="utf-8")
            assert ".tmp-" not in text and str(report.parent) not in text, path
            # nor the machine's checkout, so two clones of the project build the same bytes
            assert str(REPO) not in text and str(project_home()) not in text, path


def test_progress_is_a_bar_on_a_terminal_and_lines_otherwise():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    chapter = Chapter("01_plan", NOTEBOOKS_DIR / "01_plan.ipynb", "第1章")
    terminal = Terminal()
    bar = Progress(2, terminal)
    bar.chapter_done(2021, chapter)
    bar.close()
    assert "kawaeval build:  50%" in terminal.getvalue()
    assert "1/2" in terminal.getvalue()
    plain = io.StringIO()
    lines = Progress(2, plain)
    lines.chapter_done(2021, chapter)
    lines.close()
    assert plain.getvalue() == "FY2021: [1/2] 第1章 (01_plan)\n"


@pytest.mark.slow
def test_unchanged_inputs_are_up_to_date_unless_forced(sample_build, tmp_path):
    out = tmp_path / "reports"
    shutil.copytree(sample_build[0], out)
    before = _tree(out / "FY2021")
    log = io.StringIO()
    results = build_reports([2021], out_dir=out, progress_stream=log)
    assert results[0].status == "up to date"
    assert f"FY2021: up to date ({out / 'FY2021'}; --force rebuilds it)" in log.getvalue()
    assert _tree(out / "FY2021") == before
    # a different chapter list changes the stamp: the report is rebuilt
    chapter = Chapter("01_plan", NOTEBOOKS_DIR / "01_plan.ipynb", "第1章 計画と評価の方法")
    rebuilt = build_reports([2021], out_dir=out, chapters=[chapter], progress_stream=io.StringIO())
    assert rebuilt[0].status == "built"
    assert _tree(out / "FY2021")["01_plan.html"] != before["01_plan.html"]  # nav changed
    forced = build_reports(
        [2021],
        out_dir=out,
        chapters=[chapter],
        force=True,
        progress_stream=io.StringIO(),
    )
    assert forced[0].status == "built"


def test_an_edited_package_file_changes_the_stamp(tmp_path, monkeypatch):
    fake_package = tmp_path / "kawaeval"
    (fake_package / "__pycache__").mkdir(parents=True)
    (fake_package / "assessing.py").write_text("RULE = 1\n", encoding="utf-8")
    first = stamps.package_sha256(fake_package)
    (fake_package / "__pycache__" / "assessing.cpython-311.pyc").write_bytes(b"compiled")
    assert stamps.package_sha256(fake_package) == first  # byte-code caches do not count
    (fake_package / "assessing.py").write_text("RULE = 2\n", encoding="utf-8")
    assert stamps.package_sha256(fake_package) != first


@pytest.mark.slow
def test_failing_chapter_keeps_the_previous_report(sample_build, tmp_path, monkeypatch, capsys):
    out = tmp_path / "reports"
    shutil.copytree(sample_build[0], out)
    before = _tree(out / "FY2021")
    chapters = [
        Chapter("01_plan", NOTEBOOKS_DIR / "01_plan.ipynb", "第1章 計画と評価の方法"),
        Chapter("99_broken", FIXTURES / "failing_chapter.ipynb", "壊れた章"),
    ]
    monkeypatch.setattr(building, "chapters_for", lambda plan, goals=None: chapters)
    code = cli.main(["build", "--fiscal-year", "2021", "--out", str(out), "--force"])
    assert code == 1
    err = capsys.readouterr().err
    kept = out / "FY2021.failed" / "notebooks" / "99_broken.ipynb"
    assert (
        "kawaeval build: error: 章「壊れた章 (failing_chapter.ipynb)」の実行に失敗しました: "
        "cell 4: ZeroDivisionError: division by zero\n"
        f"  executed notebook with the error banner kept at {kept}\n"
        "  the previous report was left untouched\n"
    ) in err
    assert _tree(out / "FY2021") == before
    assert _listing(out) == ["FY2021", "FY2021.failed"]
    failed = nbformat.read(kept, as_version=4)
    assert "An Exception was encountered" in failed.cells[0].source  # papermill's banner
    (broken,) = [c for c in failed.cells if c.source == "1 / 0"]
    assert broken.outputs[-1].ename == "ZeroDivisionError"


@pytest.mark.slow
def test_record_text_is_shown_as_text_and_rejects_are_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    chapters = [
        Chapter(name, NOTEBOOKS_DIR / f"{name}.ipynb", title)
        for name, title in [("02_achievement", "第2章"), ("04_overall", "第4章")]
    ] + [Chapter("05_goal1", NOTEBOOKS_DIR / "05_goal.ipynb", "基本目標1", {"goal": 1})]
    build_reports(
        [2020],
        raw_dir=ESCAPING_RAW,
        out_dir=tmp_path,
        allow_rejects=True,
        chapters=chapters,
        progress_stream=io.StringIO(),
    )
    report = tmp_path / "FY2020"
    raw = {p.name: p.read_text(encoding="utf-8") for p in report.glob("*.html")}
    goal = raw["05_goal1.html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in goal
    assert "<script>alert(1)" not in goal
    assert "<b>通常の取組</b>" not in goal and "&lt;b&gt;通常の取組&lt;/b&gt;" in goal
    assert "<i>開催</i>" not in goal
    soup = BeautifulSoup(goal, "html.parser")
    assert "**x** $y$ 新型コロナウイルス感染症の影響により中止" in _text(soup)
    assert soup.find("strong", string="x") is None and soup.find("em", string="y") is None
    # an interim year, and no committee judgements in this folder
    for name in ("02_achievement.html", "04_overall.html", "05_goal1.html"):
        assert '<span class="kawaeval-badge">中間評価</span>' in raw[name]
    assert "最終評価は評価ルールによる提案評価と同じです" in raw["04_overall.html"]
    index = (report / "index.html").read_text(encoding="utf-8")
    assert "最終評価は評価ルールによる提案評価と同じです" in index
    assert "<dt>作成日 (SOURCE_DATE_EPOCH)</dt><dd>2023-11-14</dd>" in index
    # the rejected row is listed with file, Excel row, column, value and reason
    for page in (raw["02_achievement.html"], index):
        section = BeautifulSoup(page, "html.parser").select_one(".kawaeval-quality")
        cells = [c.get_text() for c in section.select("tbody tr")[0].find_all(["th", "td"])]
        assert cells[:4] == ["initiatives.csv", "6", "基本目標", "9"]
        assert "基本目標 9 は計画にありません" in cells[4]


@pytest.mark.slow
def test_a_changed_supplement_makes_the_report_stale(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(ESCAPING_RAW, raw)
    chapter = Chapter("00_interpreter", FIXTURES / "interpreter_chapter.ipynb", "interpreter")

    def build():
        return build_reports(
            [2020],
            raw_dir=raw,
            out_dir=tmp_path / "out",
            allow_rejects=True,
            chapters=[chapter],
            progress_stream=io.StringIO(),
        )[0].status

    assert build() == "built"
    index = (tmp_path / "out" / "FY2020" / "index.html").read_text(encoding="utf-8")
    sha = hashlib.sha256((raw / "highlights.csv").read_bytes()).hexdigest()
    assert f"<dt>入力 highlights.csv</dt><dd>SHA-256 {sha}</dd>" in index
    assert build() == "up to date"
    with (raw / "highlights.csv").open("a", encoding="utf-8") as f:
        f.write("2020,2,1,発信の取組,記者発表を行った\n")
    assert build() == "built"


@pytest.mark.slow  # the warm pool's zygote starts while the records are read
def test_rejected_rows_stop_the_build_before_any_kernel(tmp_path, monkeypatch, capsys):
    def refuse(*args, **kwargs):
        raise AssertionError("no kernel may start")

    monkeypatch.setattr("kawaeval.build.kernels.KernelPool.execute", refuse)
    code = cli.main(
        ["build", "--fiscal-year", "2020", "--raw", str(ESCAPING_RAW), "--out", str(tmp_path)]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "1 行を受け付けられませんでした（問題 1 件）" in err
    assert "initiatives.csv 行 6 列「基本目標」値「9」" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_records_outside_the_project_leave_no_trace_of_their_folder(tmp_path):
    raw = tmp_path / "city-records" / "raw"
    shutil.copytree(SAMPLE_RAW_DIR, raw)
    chapter = Chapter("00_interpreter", FIXTURES / "interpreter_chapter.ipynb", "interpreter")
    build_reports(
        [2021],
        raw_dir=raw,
        out_dir=tmp_path / "out",
        chapters=[chapter],
        progress_stream=io.StringIO(),
    )
    for path in (tmp_path / "out").rglob("*"):
        if path.is_file() and path.suffix in {".html", ".ipynb", ".json", ".csv"}:
            assert str(tmp_path) not in path.read_text(encoding="utf-8"), path
    index = (tmp_path / "out" / "FY2021" / "index.html").read_text(encoding="utf-8")
    assert "raw_dir = raw," in index
    assert "<dt>入力 notice.txt</dt>" in index  # the notice is an input like any other


@pytest.mark.slow  # the warm pool's zygote starts while the records are read
def test_a_year_without_any_rating_stops_before_any_kernel(tmp_path, monkeypatch, capsys):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "initiatives.csv").write_text(
        "取組番号,基本目標,取組の方向性,取組名,2018年度,2019年度,2020年度\n1-1-01,1,1,取組,3,3,3\n",
        encoding="utf-8",
    )

    def refuse(*args, **kwargs):
        raise AssertionError("no kernel may start")

    monkeypatch.setattr("kawaeval.build.kernels.KernelPool.execute", refuse)
    code = cli.main(["build", "--fiscal-year", "2021", "--raw", str(raw), "--out", str(tmp_path)])
    assert code == 1
    assert "2021年度の達成度の列がある取組が1件もありません" in capsys.readouterr().err
    assert cli.main(["assess", "--fiscal-year", "2021", "--json", "--raw", str(raw)]) == 1
    assert cli.main(["assess", "--fiscal-year", "2020", "--json", "--raw", str(raw)]) == 0


# ---------------------------------------------------------------- all cores, up-to-date checks


@pytest.mark.slow  # the zygote starts early, before the pool is made
def test_jobs_default_to_every_cpu_this_process_may_use(tmp_path, monkeypatch):
    sizes = []

    class Pool:
        def __init__(self, size, warm=True, zygote=None):
            sizes.append((size, warm))
            if zygote is not None:
                zygote.close()

        def __enter__(self):
            return self

        def execute(self, notebook, output, parameters, cwd):
            raise RuntimeError("no kernel in this test")

        def shutdown(self):
            pass

    monkeypatch.setattr("kawaeval.build.scheduler.KernelPool", Pool)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 2, 5}, raising=False)
    assert building.default_jobs() == 3
    assert cli._parser().parse_args(["build", "--fiscal-year", "2021"]).jobs is None
    with pytest.raises(RuntimeError, match="no kernel in this test"):
        build_reports([2021], out_dir=tmp_path, progress_stream=io.StringIO())
    # eight chapters of one year, three CPUs: three chapters at once
    assert sizes == [(3, True)]
    assert _listing(tmp_path) == []  # the failed year left no staging folder


@pytest.mark.slow
def test_chapters_of_one_year_run_side_by_side(tmp_path):
    meeting = tmp_path / "meeting"
    meeting.mkdir()
    notebook = FIXTURES / "rendezvous_chapter.ipynb"
    chapters = [
        Chapter("a", notebook, "A", {"meeting": str(meeting), "name": "a", "other": "b"}),
        Chapter("b", notebook, "B", {"meeting": str(meeting), "name": "b", "other": "a"}),
    ]
    build_reports(
        [2021], out_dir=tmp_path / "out", jobs=2, chapters=chapters, progress_stream=io.StringIO()
    )
    for name in ("a", "b"):
        nb = nbformat.read(tmp_path / f"out/FY2021/notebooks/{name}.ipynb", as_version=4)
        assert nb.cells[-1].outputs[0].text == "together\n"


@pytest.mark.slow
def test_an_unchanged_build_imports_neither_pandas_nor_nbformat(sample_build, tmp_path):
    out = tmp_path / "reports"
    shutil.copytree(sample_build[0], out)
    before = _tree(out / "FY2021")
    script = (
        "import sys\n"
        "from kawaeval import cli\n"
        f"code = cli.main(['build', '--fiscal-year', '2021', '--out', {str(out)!r}])\n"
        "heavy = ('pandas', 'nbformat', 'matplotlib', 'jsonschema', 'papermill', 'nbconvert')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy), code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert done.stdout == "[] 0\n", done.stderr
    assert f"FY2021: up to date ({out / 'FY2021'}; --force rebuilds it)" in done.stderr
    assert _tree(out / "FY2021") == before


@pytest.mark.slow
def test_a_changed_file_rebuilds_only_the_years_whose_assessment_changed(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE_RAW_DIR, raw)
    chapter = Chapter("00_interpreter", FIXTURES / "interpreter_chapter.ipynb", "interpreter")

    def build(out, force=False):
        log = io.StringIO()
        results = build_reports(
            [2020, 2021],
            raw_dir=raw,
            out_dir=out,
            chapters=[chapter],
            force=force,
            progress_stream=log,
        )
        return {r.fiscal_year: r.status for r in results}, log.getvalue()

    out = tmp_path / "out"
    assert build(out)[0] == {2020: "built", 2021: "built"}
    statuses, log = build(out)
    assert statuses == {2020: "up to date", 2021: "up to date"}
    assert "FY2020: up to date" in log and "FY2021: up to date" in log
    before = {year: _tree(out / f"FY{year}") for year in (2020, 2021)}

    # the same reports and history, to be rebuilt from scratch below
    fresh = tmp_path / "fresh"
    shutil.copytree(out, fresh)

    # one FY2021 rating of one bureau's file changes: FY2020's assessment does not
    path = raw / "取組_港湾局.csv"
    text = path.read_text(encoding="utf-8")
    old_row = "2-2-04,基本目標２,Ⅱ,取組2-2-04（仮称・サンプル）,港湾局,３,３,３,３,"
    assert old_row in text
    path.write_text(text.replace(old_row, old_row[:-2] + "４,"), encoding="utf-8")
    statuses, log = build(out)
    assert statuses == {2020: "reused", 2021: "built"}
    assert "FY2020: chapters reused (this year's assessment did not change)" in log
    after = {year: _tree(out / f"FY{year}") for year in (2020, 2021)}
    assert (
        after[2020]["notebooks/00_interpreter.ipynb"]
        == before[2020]["notebooks/00_interpreter.ipynb"]
    )
    assert after[2020]["data/assessment.json"] == before[2020]["data/assessment.json"]
    data = "data/achievements.csv"
    assert after[2020][data] != before[2020][data]  # the data is today's
    assert after[2021]["data/assessment.json"] != before[2021]["data/assessment.json"]
    # a reused report is byte for byte the report a full build makes (from the same history:
    # FY2021's change record compares with the same previous report)
    assert build(fresh, force=True)[0] == {2020: "built", 2021: "built"}
    assert _tree(fresh / "FY2020") == after[2020]
    assert _tree(fresh / "FY2021") == after[2021]


# ---------------------------------------------------------------- signals, locks, debris

SLOW_BUILD = """
import sys
import time
from pathlib import Path

from kawaeval import cli
from kawaeval.build import building
from kawaeval.report.chapters import Chapter

slow = Chapter("00_slow", Path({notebook!r}), "遅い章")
building.chapters_for = lambda plan, goals=None: [slow]
sys.exit(cli.main(["build", "--fiscal-year", "2021", "--out", {out!r}]))
"""


def _kernel_gone(pid: int) -> bool:
    psutil = pytest.importorskip("psutil")
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signum", "name", "code"), [(signal.SIGINT, "SIGINT", 130), (signal.SIGTERM, "SIGTERM", 143)]
)
def test_a_signal_stops_the_build_and_leaves_the_last_report(tmp_path, signum, name, code):
    out = tmp_path / "reports"
    chapter = Chapter("00_interpreter", FIXTURES / "interpreter_chapter.ipynb", "interpreter")
    build_reports([2021], out_dir=out, chapters=[chapter], progress_stream=io.StringIO())
    before = _tree(out / "FY2021")
    marker = tmp_path / "kernel.pid"
    script = SLOW_BUILD.format(notebook=str(FIXTURES / "slow_chapter.ipynb"), out=str(out))
    build = subprocess.Popen(
        [sys.executable, "-c", script],
        env={**os.environ, "KAWAEVAL_TEST_MARKER": str(marker)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and build.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker.exists(), build.communicate()[1]
        kernel = int(marker.read_text(encoding="utf-8"))
        assert list(out.glob(".FY2021.tmp-*")), "the build is under way"
        if signum == signal.SIGINT:
            os.killpg(build.pid, signum)  # Ctrl-C reaches the whole foreground group
        else:
            build.send_signal(signum)  # a scheduler's time limit reaches the build only
        _, err = build.communicate(timeout=60)
    finally:
        if build.poll() is None:
            build.kill()
    assert build.returncode == code, err
    assert err == (
        f"kawaeval build: FY2021 の作成を中断しました (interrupted by {name} while building"
        " FY2021); 前回のレポートはそのままです (the last report is unchanged)\n"
    )
    assert _listing(out) == ["FY2021"]
    assert _tree(out / "FY2021") == before
    deadline = time.monotonic() + 10
    while not _kernel_gone(kernel) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _kernel_gone(kernel), f"kernel {kernel} still running"


QUICK_BUILD = """
import os
import sys
from pathlib import Path

from kawaeval import cli
from kawaeval.build import building
from kawaeval.report.chapters import Chapter

if {fresh!r}:  # what Windows gets: no fork, every chapter in a fresh kernel
    del os.fork
notebook = Path({notebook!r})
chapters = [Chapter(f"{{i:02d}}_quick", notebook, f"quick {{i}}") for i in range(40)]
building.chapters_for = lambda plan, goals=None: chapters
sys.exit(cli.main(["build", "--fiscal-year", "2021", "--out", {out!r}, "--jobs", "2"]))
"""
PROGRESS_LINE = re.compile(r"FY2021: \[\d+/40\] quick \d+ \(\d+_quick\)")
# Seconds after the first of forty quick chapters is done (two run at once, 60 ms or more each
# from fork to exported page, so a second or more of chapters is still to come): the signal
# lands while kernels start, run and stop, never after the report is published. With twelve, a
# fast moment of the machine let the latest signal land after the swap.
# None: 1.5 s after the build started, before any chapter (cleaning, the zygote's imports).
# The fresh kernels of a PC without fork: once, a tenth of a second after the first chapter.
SIGNAL_POINTS = [(False, d) for d in (None, 0.0, 0.04, 0.1, 0.2, 0.35)] + [(True, 0.1)]


@pytest.mark.slow
@pytest.mark.parametrize(("fresh", "delay"), SIGNAL_POINTS)
@pytest.mark.parametrize(
    ("signum", "name", "code"), [(signal.SIGINT, "SIGINT", 130), (signal.SIGTERM, "SIGTERM", 143)]
)
def test_a_signal_at_any_moment_of_a_chapters_life_prints_the_one_line(
    tmp_path, signum, name, code, fresh, delay
):
    out = tmp_path / "reports"
    notebook = str(FIXTURES / "interpreter_chapter.ipynb")
    script = QUICK_BUILD.format(notebook=notebook, out=str(out), fresh=fresh)
    build = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    try:
        if delay is None:
            time.sleep(1.5)
            shown = ""
        else:
            shown = build.stderr.readline()  # the first chapter is done
            assert PROGRESS_LINE.fullmatch(shown.rstrip("\n")), shown + build.communicate()[1]
            time.sleep(delay)
        if signum == signal.SIGINT:
            os.killpg(build.pid, signum)  # Ctrl-C reaches the whole foreground group
        else:
            build.send_signal(signum)
        _, err = build.communicate(timeout=60)
    finally:
        if build.poll() is None:
            build.kill()
    lines = [line for line in (shown + err).splitlines() if not PROGRESS_LINE.fullmatch(line)]
    assert build.returncode == code, shown + err
    assert lines == [
        f"kawaeval build: FY2021 の作成を中断しました (interrupted by {name} while building"
        " FY2021); 前回のレポートはそのままです (the last report is unchanged)"
    ], shown + err
    assert not out.exists() or _listing(out) == []  # no staging folder, nothing published


@pytest.mark.slow
def test_a_killed_builds_debris_is_cleared_and_a_live_ones_is_not(tmp_path):
    from filelock import FileLock

    out = tmp_path / "reports"
    marker = tmp_path / "kernel.pid"
    script = SLOW_BUILD.format(notebook=str(FIXTURES / "slow_chapter.ipynb"), out=str(out))
    build = subprocess.Popen(
        [sys.executable, "-c", script],
        env={**os.environ, "KAWAEVAL_TEST_MARKER": str(marker)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    kernel = None
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and build.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        kernel = int(marker.read_text(encoding="utf-8"))
        build.kill()  # SIGKILL: no chance to clean up
        build.wait()
    finally:
        if build.poll() is None:
            build.kill()
        if kernel is not None and not _kernel_gone(kernel):
            os.kill(kernel, signal.SIGKILL)
    (dead,) = out.glob(".FY2021.tmp-*")
    # another build is writing FY2020 right now: its lock is held
    live = out / ".FY2020.tmp-live"
    (live / "data").mkdir(parents=True)
    held = FileLock(out / ".FY2020.lock")
    held.acquire()
    try:
        chapter = Chapter("00_interpreter", FIXTURES / "interpreter_chapter.ipynb", "interpreter")
        build_reports([2021], out_dir=out, chapters=[chapter], progress_stream=io.StringIO())
        assert not dead.exists()
        assert live.is_dir()
        assert _listing(out) == [".FY2020.tmp-live", "FY2021"]
    finally:
        held.release()
    # once that build is over, the next build (even one with nothing to do) clears its folder
    statuses = build_reports([2021], out_dir=out, chapters=[chapter], progress_stream=io.StringIO())
    assert statuses[0].status == "up to date"
    assert _listing(out) == ["FY2021"]


@pytest.mark.slow
def test_two_builds_of_one_year_wait_for_each_other_and_publish_one_report(tmp_path):
    import threading

    from filelock import FileLock

    out = tmp_path / "reports"
    out.mkdir()
    chapter = Chapter("00_interpreter", FIXTURES / "interpreter_chapter.ipynb", "interpreter")
    logs = [io.StringIO(), io.StringIO()]
    results = [None, None]

    def build(i):
        results[i] = build_reports([2021], out_dir=out, chapters=[chapter], progress_stream=logs[i])

    held = FileLock(out / ".FY2021.lock")
    held.acquire()  # a third build is writing FY2021: both must wait for it
    threads = [threading.Thread(target=build, args=(i,)) for i in range(2)]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 120
        waiting = f"FY2021: waiting for another build of FY2021 in {out} to finish"
        while not all(waiting in log.getvalue() for log in logs):
            assert time.monotonic() < deadline, [log.getvalue() for log in logs]
            time.sleep(0.05)
        assert not (out / "FY2021").exists()
    finally:
        held.release()
        for thread in threads:
            thread.join(timeout=120)
    assert sorted(r[0].status for r in results) == ["built", "up to date"]
    reference = tmp_path / "reference"
    build_reports([2021], out_dir=reference, chapters=[chapter], progress_stream=io.StringIO())
    assert _tree(out / "FY2021") == _tree(reference / "FY2021")
    assert _listing(out) == ["FY2021"]


def test_a_year_lock_taken_in_one_thread_is_released_by_another(tmp_path):
    import threading

    from filelock import Timeout

    lock = publishing.year_lock(tmp_path, 2021)
    publishing.acquire(lock, waiting=lambda: pytest.fail("nobody holds it"))
    other = publishing.year_lock(tmp_path, 2021)
    with pytest.raises(Timeout):
        other.acquire(timeout=0)
    waited = []
    releaser = threading.Thread(target=lock.release)  # the pool thread that publishes the year
    releaser.start()
    releaser.join()
    publishing.acquire(other, waiting=lambda: waited.append(True))
    assert waited == [] and other.is_locked
    other.release()
