"""The wheel: built from this checkout and installed (not editable) into a fresh venv, it holds
every file kawaeval needs and builds the same report from any folder.

The slow tests build the wheel with pip (setuptools from the package index, as ``make install``
does), install it with only its dependencies at the versions of ``requirements.lock``, and run
``kawaeval`` from folders that have nothing to do with the checkout.
"""

import difflib
import importlib.util
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import REPO, require_system_tool
from labserver import PROBE, api, clean_env, lab_server, run_in_chapter_kernel

from kawaeval.version import git_commit


def _setup_py():
    spec = importlib.util.spec_from_file_location("kawaeval_setup", REPO / "setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # its setup() runs only as setuptools runs it
    return module


def _run(command: list, cwd: Path, env: dict | None = None) -> str:
    done = subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        env=env if env is not None else clean_env(),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def _git_files() -> list[str]:
    git = require_system_tool("git", "git")
    listed = subprocess.run(
        [git, "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout
    return [name for name in listed.decode().split("\0") if name and (REPO / name).is_file()]


# ---------------------------------------------------------------- what the wheel is made of


def test_the_package_list_is_every_sub_package_and_the_two_mapped_folders():
    tool = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    on_disk = sorted(
        ".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "kawaeval").rglob("__init__.py")
    )
    mapped = tool["setuptools"]["package-dir"]
    assert mapped == {"kawaeval.notebooks": "notebooks", "kawaeval.sample": "data/raw"}
    assert sorted(tool["setuptools"]["packages"]) == sorted([*on_disk, *mapped])


def test_a_wheel_records_the_commit_of_its_checkout_and_none_without_git(tmp_path, monkeypatch):
    setup = _setup_py()
    target = tmp_path / "build" / "kawaeval" / "_commit.py"
    setup._write(target, REPO)
    head = git_commit()
    assert head is not None and re.fullmatch(r"[0-9a-f]{40}", head)
    assert f"COMMIT = {head!r}\n" in target.read_text(encoding="utf-8")
    setup._write(target, tmp_path)  # a wheel built from an sdist: no git, the sdist's commit
    assert f"COMMIT = {head!r}\n" in target.read_text(encoding="utf-8")
    target.unlink()
    setup._write(target, tmp_path)  # no git and nothing recorded
    assert target.read_text(encoding="utf-8").endswith("\nCOMMIT = None\n")

    # installed (no .git beside the package), kawaeval reads what its build recorded
    recorded = type(sys)("kawaeval._commit")
    recorded.COMMIT = head
    monkeypatch.setitem(sys.modules, "kawaeval._commit", recorded)
    assert git_commit(tmp_path) == head
    recorded.COMMIT = None
    assert git_commit(tmp_path) is None  # the index says "not from a git checkout"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel pip builds from this checkout; setuptools' build folders kept out of it."""
    work = tmp_path_factory.mktemp("wheel")
    config = work / "setup.cfg"
    config.write_text(
        f"[build]\nbuild_base = {work / 'build'}\n[egg_info]\negg_base = {work}\n",
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check"]
    _run(
        [*command, "--wheel-dir", work / "dist", REPO],
        work,
        {**clean_env(), "DIST_EXTRA_CONFIG": str(config)},
    )
    (path,) = (work / "dist").glob("kawaeval-*-py3-none-any.whl")
    return path


# The slow tests share one wheel and one venv: one xdist worker runs them all (xdist_group).


@pytest.mark.slow
@pytest.mark.xdist_group("wheel")
def test_the_wheel_holds_the_code_the_chapters_the_templates_the_plan_and_the_sample(wheel):
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    files = {n for n in names if ".dist-info/" not in n}
    expected = {"kawaeval/_commit.py"}
    for name in _git_files():
        if name.startswith("kawaeval/"):
            expected.add(name)
        elif name.startswith("notebooks/") and name.endswith(".ipynb"):
            expected.add("kawaeval/" + name)
        elif name.startswith("data/raw/"):
            expected.add("kawaeval/sample/" + name.removeprefix("data/raw/"))
    assert files == expected
    assert "kawaeval/report/templates/kawaeval/index.html.j2" in files
    assert "kawaeval/notebooks/05_goal.ipynb" in files
    assert "kawaeval/sample/取組_教育委員会事務局.xlsx" in files
    assert "kawaeval/data/plan.toml" in files
    assert "kawaeval/evaluation/assessment.schema.json" in files
    assert "kawaeval/report/templates/docx/reference.docx" in files  # the Word edition's look
    assert "kawaeval/report/templates/report/changes.html.j2" in files
    with zipfile.ZipFile(wheel) as archive:
        recorded = archive.read("kawaeval/_commit.py").decode()
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        entry_points = archive.read(entry_points).decode()
    assert f"COMMIT = {git_commit()!r}\n" in recorded
    # the chapters' kernels are forked through this provisioner, found by its entry point
    assert (
        "[jupyter_client.kernel_provisioners]\n"
        "kawaeval-zygote = kawaeval.build.kernels:ZygoteProvisioner\n"
    ) in entry_points


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the wheel, its editions' extras (``kawaeval[pdf,docx]``) and their
    dependencies only (no test tools, not editable)."""
    folder = tmp_path_factory.mktemp("venv") / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", folder], folder.parent)
    # this venv's pip installs into it; byte-code is compiled as the modules are first imported
    pip = [sys.executable, "-m", "pip", "--python", folder / "bin" / "python", "install"]
    options = ["--disable-pip-version-check", "--quiet", "--no-compile"]
    _run([*pip, *options, "-c", REPO / "requirements.lock", f"{wheel}[pdf,docx]"], folder.parent)
    return folder


# Both builds are dated by SOURCE_DATE_EPOCH and write the editions: their PDF and Word file
# can be compared byte for byte as well.
EPOCH = "1700000000"
EDITIONS = ["--pdf", "--docx"]


def _dated_env() -> dict[str, str]:
    return {**clean_env(), "SOURCE_DATE_EPOCH": EPOCH}


@pytest.fixture(scope="module")
def editable_report(tmp_path_factory) -> Path:
    """The FY2021 report, with its PDF and Word editions, that the checkout's editable kawaeval
    builds from a copy of data/raw/."""
    work = tmp_path_factory.mktemp("editable")
    shutil.copytree(REPO / "data" / "raw", work / "raw")
    (work / "somewhere").mkdir()
    command = [sys.executable, "-m", "kawaeval", "build", "--fiscal-year", "2021", *EDITIONS]
    _run(
        [*command, "--raw", work / "raw", "--out", work / "reports"],
        work / "somewhere",
        _dated_env(),
    )
    return work / "reports" / "FY2021"


def _tree(report: Path) -> dict[str, bytes]:
    return {
        p.relative_to(report).as_posix(): p.read_bytes()
        for p in sorted(report.rglob("*"))
        if p.is_file()
    }


def _index_differences(a: bytes, b: bytes) -> list[str]:
    lines = difflib.unified_diff(a.decode().splitlines(), b.decode().splitlines(), n=0)
    return [line for line in lines if line[:1] in "+-" and line[:3] not in ("+++", "---")]


@pytest.mark.slow
@pytest.mark.xdist_group("wheel")
def test_the_installed_wheel_builds_the_same_report_from_any_folder(
    venv, editable_report, tmp_path
):
    kawaeval = venv / "bin" / "kawaeval"
    code = "import kawaeval.paths as p; print(p.PACKAGE_DIR)"
    where = _run([venv / "bin" / "python", "-c", code], tmp_path)
    assert Path(where.strip()).is_relative_to(venv)  # the wheel's copy, not the checkout

    shutil.copytree(REPO / "data" / "raw", tmp_path / "raw")
    unrelated = tmp_path / "unrelated"
    unrelated.mkdir()
    out = tmp_path / "reports"
    command = [kawaeval, "-v", "build", "--raw", tmp_path / "raw", "--fiscal-year", "2021"]
    said = _run([*command, *EDITIONS, "--out", out], unrelated, _dated_env())
    assert list(unrelated.iterdir()) == []  # nothing written where it ran
    # the installed provisioner (its entry point) forked the chapters' kernels from the zygote
    assert "chapters run in kernels forked from a warm zygote (pid " in said, said
    assert "chapters start fresh kernels" not in said, said

    built, editable = _tree(out / "FY2021"), _tree(editable_report)
    assert sorted(built) == sorted(editable)
    assert "summary.html" in built  # the summary edition (概要版), every build
    pages = [n for n in built if n.endswith(".html") and n not in ("index.html", "summary.html")]
    assert len(pages) == 8  # chapters 1-4, the three goals, the appendix
    assert len([n for n in built if n.endswith(".pdf")]) == 2, sorted(built)  # report, 概要
    assert len([n for n in built if n.endswith(".docx")]) == 1, sorted(built)
    for name in built:
        if name not in ("index.html", "build-stamp.json"):  # the stamp has the package's digest
            assert built[name] == editable[name], name
    differences = _index_differences(editable["index.html"], built["index.html"])
    assert all("<dt>git commit</dt>" in line for line in differences), differences
    assert f"<dt>git commit</dt><dd>{git_commit()}</dd>" in built["index.html"].decode()


@pytest.mark.slow
@pytest.mark.xdist_group("wheel")
def test_a_folder_made_by_kawaeval_init_builds_fy2021_with_the_wheel_alone(
    venv, editable_report, tmp_path
):
    kawaeval = venv / "bin" / "kawaeval"
    _run([kawaeval, "init", "city"], tmp_path)
    project = tmp_path / "city"
    _run([kawaeval, "build", "--fiscal-year", "2021"], project)  # the current folder's project
    report = project / "reports" / "FY2021"
    built, editable = _tree(report), _tree(editable_report)
    for name in built:
        if name.endswith(".html") and name != "index.html":
            assert built[name] == editable[name], name
    index = built["index.html"].decode()
    assert "<li>ほぼ目標どおり：87件(79.8%)</li>" in index
    assert "raw_dir = data/raw" in index and "計画定義 plan.toml" in index

    # and the analyst's way in: JupyterLab on the project's chapters, from the wheel
    command = [str(kawaeval), "lab", str(project)]
    with lab_server(command, project, tmp_path / "lab", clean_env()) as (base, runtime, _):
        listed = sorted(c["name"] for c in api(f"{base}/api/contents")["content"])
        printed = run_in_chapter_kernel(base, runtime, "02_achievement.ipynb", PROBE)
    assert listed == sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))
    cwd, raw, module, share = printed.splitlines()[:4]
    assert (cwd, raw, share) == (
        str((project / "notebooks").resolve()),
        str(project.resolve() / "data" / "raw"),
        "79.8",
    )
    assert Path(module).is_relative_to(venv)
