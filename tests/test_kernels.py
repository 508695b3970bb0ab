"""KernelPool: chapters in forked kernels come out exactly as in a fresh kernel each, and stop."""

import logging
import os
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import papermill
import psutil
import pytest
from papermill.exceptions import PapermillExecutionError

from kawaeval.build import kernels, zygote
from kawaeval.build.exporting import export_html, normalise_notebook
from kawaeval.build.kernels import KernelPool
from kawaeval.paths import SAMPLE_RAW_DIR
from kawaeval.plan import load_plan
from kawaeval.report.chapters import chapters_for
from kawaeval.report.pages import PageNav

# every test here starts kernels
pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixtures" / "kernels"


def _outputs(path: Path) -> list:
    """Every code cell's outputs, without what differs between two runs of the same cells."""
    nb = nbformat.read(path, as_version=4)
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.outputs:
            output = dict(output)
            output.pop("execution_count", None)
            outputs.append(output)
        cells.append(outputs)
    return cells


def _stream_text(path: Path) -> str:
    return "".join(
        output.get("text", "")
        for cell in _outputs(path)
        for output in cell
        if output["output_type"] == "stream"
    )


def _descendants() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True)}


def _gone(pids: set[int], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [
            pid
            for pid in pids
            if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        ]
        if not alive:
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def folder(tmp_path) -> Path:
    """A chapter's working folder, with a parent the state-changing chapter can move to."""
    cwd = tmp_path / "report" / "notebooks"
    cwd.mkdir(parents=True)
    return cwd


# ---------------------------------------------------------------- isolation


def test_a_chapter_changing_global_state_does_not_change_the_next(folder, tmp_path):
    changer, shower = FIXTURES / "change_state.ipynb", FIXTURES / "show_state.ipynb"
    with KernelPool(1, warm=True) as pool:
        pool.execute(changer, tmp_path / "changed.ipynb", {}, folder)
        pool.execute(shower, tmp_path / "warm.ipynb", {}, folder)
    with KernelPool(1, warm=False) as pool:
        pool.execute(shower, tmp_path / "cold.ipynb", {}, folder)

    # the first chapter did change everything, in its own kernel
    assert _stream_text(tmp_path / "changed.ipynb") == "9.0 99999 True yes\n"
    warm, cold = _outputs(tmp_path / "warm.ipynb"), _outputs(tmp_path / "cold.ipynb")
    assert warm == cold
    shown = _stream_text(tmp_path / "warm.ipynb")
    assert "presenting.LONG_LIST: 30\n" in shown
    assert f"working folder: {folder}\n" in shown
    assert "KAWAEVAL_LEFT_BEHIND" not in shown and "/nowhere" not in shown
    assert "left behind: False False\n" in shown
    assert "backend: module://matplotlib_inline.backend_inline\n" in shown
    assert [o["output_type"] for o in warm[-1]] == ["execute_result", "display_data"]
    assert "image/png" in warm[-1][1]["data"]


def test_a_folder_with_a_matplotlibrc_gets_what_a_fresh_kernel_reads(folder, tmp_path):
    (folder / "matplotlibrc").write_text("lines.linewidth: 5\n", encoding="utf-8")
    shower = FIXTURES / "show_state.ipynb"
    with KernelPool(1, warm=True) as pool:
        pool.execute(shower, tmp_path / "warm.ipynb", {}, folder)
    with KernelPool(1, warm=False) as pool:
        pool.execute(shower, tmp_path / "cold.ipynb", {}, folder)
    assert "'lines.linewidth': 5.0" in _stream_text(tmp_path / "cold.ipynb")
    assert _outputs(tmp_path / "warm.ipynb") == _outputs(tmp_path / "cold.ipynb")


def test_a_kernel_gets_the_environment_of_the_moment_it_starts(folder, tmp_path, monkeypatch):
    echo = FIXTURES / "echo.ipynb"
    with KernelPool(1, warm=True) as pool:
        pool.execute(echo, tmp_path / "before.ipynb", {"label": "before"}, folder)
        monkeypatch.setenv("KAWAEVAL_ECHO", "set after the pool started")
        pool.execute(echo, tmp_path / "after.ipynb", {"label": "after"}, folder)
    assert _stream_text(tmp_path / "before.ipynb") == "before notebooks unset\n"
    assert _stream_text(tmp_path / "after.ipynb") == "after notebooks set after the pool started\n"


@pytest.fixture(scope="module")
def chapter_folder(tmp_path_factory) -> Path:
    """A report folder as build_year lays it out: data/assessment.json beside notebooks/."""
    from kawaeval.evaluation.assessing import assess
    from kawaeval.records.cleaning import clean_records
    from kawaeval.records.supplements import load_supplements

    records = clean_records(SAMPLE_RAW_DIR, out_dir=None)
    supplements = load_supplements(SAMPLE_RAW_DIR, records.plan)
    assessment = assess(records.tidy, records.plan, 2021, supplements, records.rejected)
    report = tmp_path_factory.mktemp("report")
    (report / "data").mkdir()
    (report / "data" / "assessment.json").write_text(assessment.to_json(), encoding="utf-8")
    (report / "notebooks").mkdir()
    return report / "notebooks"


PARAMETERS = {
    "allow_rejects": False,
    "fiscal_year": 2021,
    "assessment_json": "../data/assessment.json",
}


def _published(chapter, executed: Path) -> tuple[str, str]:
    """What the build publishes of an executed chapter: its normalised notebook, its page."""
    nb = nbformat.read(executed, as_version=4)
    normalise_notebook(nb, chapter, f"notebooks/{chapter.name}.ipynb")
    return nbformat.writes(nb), export_html(
        nb, chapter.title, PageNav("<nav></nav>", "<nav></nav>")
    )


@pytest.fixture(scope="module")
def reference(chapter_folder, tmp_path_factory) -> dict[str, tuple[str, str]]:
    """Every chapter through papermill's default engine, each in a fresh ipykernel."""
    out = tmp_path_factory.mktemp("reference")
    published = {}
    for chapter in chapters_for(load_plan(SAMPLE_RAW_DIR)):
        executed = out / f"{chapter.name}.ipynb"
        papermill.execute_notebook(
            str(chapter.notebook),
            str(executed),
            parameters={**PARAMETERS, **chapter.parameters},
            kernel_name="python3",
            cwd=str(chapter_folder),
            progress_bar=False,
        )
        published[chapter.name] = _published(chapter, executed)
    return published


def _run_all(pool: KernelPool, chapters, out: Path, folder: Path) -> None:
    with ThreadPoolExecutor(pool.size) as threads:
        runs = [
            threads.submit(
                pool.execute,
                chapter.notebook,
                out / f"{chapter.name}.ipynb",
                {**PARAMETERS, **chapter.parameters},
                folder,
            )
            for chapter in chapters
        ]
        for run in runs:
            run.result()


@pytest.mark.slow
def test_every_chapter_forked_is_byte_identical_to_papermill_with_a_fresh_kernel(
    chapter_folder, reference, tmp_path, caplog
):
    caplog.set_level(logging.INFO, logger="kawaeval.build.kernels")
    chapters = chapters_for(load_plan(SAMPLE_RAW_DIR))
    with KernelPool(2) as pool:
        _run_all(pool, chapters, tmp_path, chapter_folder)
    assert (pool.forked, pool.fresh) == (8, 0)  # the fast path ran, for every chapter
    [line] = [r.getMessage() for r in caplog.records if r.name == "kawaeval.build.kernels"]
    assert line.startswith("chapters run in kernels forked from a warm zygote (pid ")
    assert len(reference) == len(chapters) == 8  # 4 chapters, 3 goals, the appendix
    for chapter in chapters:
        notebook, page = _published(chapter, tmp_path / f"{chapter.name}.ipynb")
        assert notebook == reference[chapter.name][0], chapter.name
        assert page == reference[chapter.name][1], chapter.name
    assert "data:image/png;base64," in reference["02_achievement"][1]


@pytest.mark.slow
@pytest.mark.parametrize(
    "cause", ["no fork", "a zygote that cannot import", "a shadowing file", "no provisioner"]
)
def test_a_fallback_gives_the_same_bytes_and_says_why(
    cause, chapter_folder, reference, tmp_path, monkeypatch, caplog
):
    caplog.set_level(logging.INFO, logger="kawaeval.build.kernels")
    report = tmp_path / "report"
    shutil.copytree(chapter_folder.parent, report)
    folder = report / "notebooks"
    if cause == "no fork":  # Windows; macOS takes the same path by design
        monkeypatch.delattr(os, "fork")
        why = "chapters start fresh kernels: this platform has no fork"
    elif cause == "a zygote that cannot import":
        monkeypatch.setattr(zygote, "PRELOAD", ("kawaeval.no_such_module",))
        why = (
            "chapters start fresh kernels: the zygote could not start"
            " (ModuleNotFoundError: No module named 'kawaeval.no_such_module')"
        )
    elif cause == "no provisioner":  # kawaeval run from its source folder, not installed
        monkeypatch.setattr(kernels, "entry_points", lambda **_: [])
        why = "chapters start fresh kernels: the kernel provisioner kawaeval-zygote is not"
    else:  # sqlite3 was imported by the zygote; a fresh kernel imports it before its folder
        (folder / "sqlite3.py").write_text('raise ImportError("never imported")\n')
        why = (
            f"a chapter in {folder} starts a fresh kernel:"
            " its folder holds sqlite3.py, which would shadow the module sqlite3"
        )
    chapters = [
        c for c in chapters_for(load_plan(SAMPLE_RAW_DIR)) if c.name in ("01_plan", "05_goal2")
    ]
    with KernelPool(2) as pool:
        _run_all(pool, chapters, tmp_path, folder)
    assert (pool.forked, pool.fresh) == (0, 2)
    lines = [r.getMessage() for r in caplog.records if r.name == "kawaeval.build.kernels"]
    assert len(lines) == 1 and lines[0].startswith(why), lines
    for chapter in chapters:
        assert _published(chapter, tmp_path / f"{chapter.name}.ipynb") == reference[chapter.name]


# ---------------------------------------------------------------- failures


@pytest.mark.parametrize("warm", [True, False])
def test_a_failing_cell_raises_with_the_partial_notebook_saved(folder, tmp_path, warm):
    output = tmp_path / "failed.ipynb"
    with KernelPool(1, warm=warm) as pool:
        with pytest.raises(PapermillExecutionError) as raised:
            pool.execute(FIXTURES / "failing.ipynb", output, {"value": 7}, folder)
    assert (raised.value.ename, raised.value.evalue) == ("ValueError", "boom: 7")
    nb = nbformat.read(output, as_version=4)
    assert "papermill-error-cell-tag" in nb.cells[0].metadata.get("tags", [])
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[2].outputs[0]["text"] == "before the failure 7\n"
    assert code[3].outputs[0]["ename"] == "ValueError"
    assert code[4].outputs == []


def test_a_zygote_that_cannot_start_leaves_fresh_kernels(folder, tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(zygote, "PRELOAD", ("kawaeval.no_such_module",))
    before = _descendants()
    with KernelPool(1) as pool:
        pool.execute(FIXTURES / "echo.ipynb", tmp_path / "echo.ipynb", {"label": "cold"}, folder)
    assert _stream_text(tmp_path / "echo.ipynb") == "cold notebooks unset\n"
    assert "No module named 'kawaeval.no_such_module'" in caplog.text
    assert _gone(_descendants() - before)


def test_modules_that_warn_on_import_are_left_to_the_chapters(
    folder, tmp_path, monkeypatch, caplog
):
    (tmp_path / "warns_on_import.py").write_text(
        'import warnings\n\nwarnings.warn("shown in the chapter that imports me")\n'
    )
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.setattr(zygote, "PRELOAD", ("warns_on_import",))
    with KernelPool(1) as pool:
        pool.execute(FIXTURES / "echo.ipynb", tmp_path / "echo.ipynb", {"label": "cold"}, folder)
    assert _stream_text(tmp_path / "echo.ipynb") == "cold notebooks unset\n"
    assert "UserWarning: shown in the chapter that imports me" in caplog.text


def test_a_zygote_that_died_is_replaced(folder, tmp_path):
    def zygotes() -> list[psutil.Process]:
        return [
            p
            for p in psutil.Process().children()
            if "kawaeval.build.zygote import main" in " ".join(p.cmdline())
            and p.status() != psutil.STATUS_ZOMBIE
        ]

    with KernelPool(1) as pool:
        [first] = zygotes()
        first.kill()
        first.wait(timeout=10)
        for run in ("after", "again"):
            output = tmp_path / f"{run}.ipynb"
            pool.execute(FIXTURES / "echo.ipynb", output, {"label": run}, folder)
            assert _stream_text(output) == f"{run} notebooks unset\n"
        [second] = zygotes()
        assert second.pid != first.pid


# ---------------------------------------------------------------- stopping


@pytest.mark.parametrize("warm", [True, False])
def test_shutdown_stops_every_kernel_even_mid_chapter(folder, tmp_path, warm):
    before = _descendants()
    pool = KernelPool(2, warm=warm).__enter__()
    errors = []

    def run(name: str) -> None:
        cwd = folder.parent / name
        cwd.mkdir()
        try:
            pool.execute(FIXTURES / "sleep.ipynb", tmp_path / f"{name}.ipynb", {}, cwd)
        except Exception as exc:  # whatever papermill raises for a killed kernel
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while not all((folder.parent / n / "started").exists() for n in ("a", "b")):
        assert time.monotonic() < deadline, "the chapters never started"
        time.sleep(0.05)
    started = _descendants() - before
    assert len(started) >= 2  # both kernels (and the zygote when warm)

    pool.shutdown()
    pool.shutdown()  # a second call (a second Ctrl-C) is harmless
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive()
    assert len(errors) == 2
    assert _gone(started)
    with pytest.raises(RuntimeError, match="shut down"):
        pool.execute(FIXTURES / "echo.ipynb", tmp_path / "late.ipynb", {}, folder)


def test_leaving_the_pool_stops_its_processes(folder, tmp_path):
    before = _descendants()
    with KernelPool(1) as pool:
        pool.execute(FIXTURES / "echo.ipynb", tmp_path / "echo.ipynb", {}, folder)
        started = _descendants() - before
        assert started  # the zygote
    assert _gone(started)


# ---------------------------------------------------------------- threads


def test_chapters_run_concurrently_from_threads_each_in_its_own_folder(tmp_path):
    folders = []
    for name in ("first", "second", "third"):
        folders.append(tmp_path / name)
        folders[-1].mkdir()
    runs = list(enumerate(folders * 2))
    with KernelPool(3) as pool, ThreadPoolExecutor(3) as threads:
        futures = [
            threads.submit(
                pool.execute,
                FIXTURES / "echo.ipynb",
                tmp_path / f"{i}.ipynb",
                {"label": f"run{i}", "pause": 0.5},
                cwd,
            )
            for i, cwd in runs
        ]
        for future in futures:
            future.result()
    for i, cwd in runs:
        assert _stream_text(tmp_path / f"{i}.ipynb") == f"run{i} {cwd.name} unset\n"
