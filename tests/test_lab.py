"""JupyterLab on the chapters: ``make lab`` in the checkout (a kernel named kawaeval registered
inside .venv, JupyterLab on notebooks/), ``kawaeval lab DIR`` anywhere else. JupyterLab itself
is started, from the installed wheel, by tests/test_wheel.py."""

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

from kawaeval import cli
from kawaeval.paths import NOTEBOOKS_DIR
from kawaeval.project import init_project, prepare_lab

STAMP = ".venv/.installed-stamp"


@pytest.fixture(scope="module")
def make() -> str:
    path = shutil.which("make")
    if path is None:
        pytest.skip("make is not installed; install it with: sudo apt-get install make")
    return path


def _recipe(make: str, target: str) -> list[list[str]]:
    """The commands ``make TARGET`` would run, without running them or reinstalling .venv."""
    done = subprocess.run(
        [make, "--no-print-directory", "-n", "-o", STAMP, target],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "MAKEFLAGS": ""},
    )
    return [shlex.split(line) for line in done.stdout.splitlines() if line.strip()]


def test_make_help_lists_lab(make):
    done = subprocess.run(
        [make, "--no-print-directory", "help"], cwd=REPO, capture_output=True, text=True
    )
    assert "make lab " in done.stdout and "make kernel " in done.stdout


def test_lab_registers_the_kernel_in_the_venv_then_starts_jupyterlab_on_notebooks(make):
    register, start = _recipe(make, "lab")
    assert register[:4] == [".venv/bin/python", "-m", "ipykernel", "install"]
    assert "--sys-prefix" in register and "--user" not in register
    assert register[register.index("--name") + 1] == "kawaeval"
    # the kernels start in notebooks/: the project, whose data/raw/ they read, is the checkout
    assert start[0] == f"KAWAEVAL_HOME={REPO}"
    assert start[1:3] == [".venv/bin/jupyter", "lab"]
    assert "--ServerApp.root_dir=notebooks" in start
    # --sys-prefix means the prefix of the venv's own interpreter: .venv, not the home folder
    prefix = subprocess.run(
        [str(REPO / ".venv/bin/python"), "-c", "import sys; print(sys.prefix)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(prefix).resolve() == (REPO / ".venv").resolve()


def test_the_registration_writes_a_kawaeval_kernel_under_the_prefix_only(make, tmp_path):
    """The recipe's own command, with a temporary prefix standing in for .venv."""
    (register,) = _recipe(make, "kernel")
    register = [sys.executable if register[0] == ".venv/bin/python" else register[0], *register[1:]]
    prefix, home = tmp_path / "prefix", tmp_path / "home"
    home.mkdir()
    register[register.index("--sys-prefix")] = f"--prefix={prefix}"
    env = {**os.environ, "HOME": str(home), "JUPYTER_PATH": str(prefix / "share" / "jupyter")}
    env.pop("JUPYTER_DATA_DIR", None)
    subprocess.run(register, cwd=REPO, env=env, check=True, capture_output=True)
    spec = json.loads((prefix / "share/jupyter/kernels/kawaeval/kernel.json").read_text())
    assert spec["display_name"] == "Python (kawaeval)"
    assert Path(spec["argv"][0]).resolve() == Path(sys.executable).resolve()
    listed = subprocess.run(
        [sys.executable, "-m", "jupyter", "kernelspec", "list", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(listed.stdout)["kernelspecs"]["kawaeval"]
    assert (
        Path(found["resource_dir"]).resolve()
        == (prefix / "share/jupyter/kernels/kawaeval").resolve()
    )
    assert [p for p in home.rglob("*") if "kernels" in p.parts] == []


# ---------------------------------------------------------------- kawaeval lab DIR

CHAPTERS = sorted(p.name for p in NOTEBOOKS_DIR.glob("*.ipynb"))


def test_prepare_lab_copies_the_chapters_and_keeps_what_the_analyst_changed(tmp_path):
    mine = tmp_path / "notebooks" / "02_achievement.ipynb"
    mine.parent.mkdir()
    mine.write_text("my edits", encoding="utf-8")
    lab = prepare_lab(tmp_path, "/usr/bin/python3", ["--no-browser"])
    assert sorted(p.name for p in (tmp_path / "notebooks").iterdir()) == CHAPTERS
    assert "explore.ipynb" in CHAPTERS and "01_plan.ipynb" in CHAPTERS
    assert lab.kept == [mine] and mine.read_text(encoding="utf-8") == "my edits"
    assert [p.name for p in lab.copied] == [n for n in CHAPTERS if n != mine.name]
    for path in lab.copied:
        assert path.read_bytes() == (NOTEBOOKS_DIR / path.name).read_bytes()
    notebooks = tmp_path.resolve() / "notebooks"
    assert lab.argv == [
        "/usr/bin/python3",
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={notebooks}",
        "--no-browser",
    ]
    assert lab.env["KAWAEVAL_HOME"] == str(tmp_path.resolve())


def test_kawaeval_lab_becomes_jupyterlab_with_the_options_it_does_not_know(
    tmp_path, monkeypatch, capsys
):
    started = []

    def execve(path, argv, env):
        started.append((path, argv, env))
        raise SystemExit(0)

    monkeypatch.setattr(cli.os, "execve", execve)
    init_project(tmp_path / "proj")
    with pytest.raises(SystemExit):
        cli.main(["lab", str(tmp_path / "proj"), "--no-browser", "--ServerApp.port=0"])
    ((path, argv, env),) = started
    assert path == sys.executable and argv[:3] == [sys.executable, "-m", "jupyterlab"]
    assert argv[3:] == [
        f"--ServerApp.root_dir={(tmp_path / 'proj' / 'notebooks').resolve()}",
        "--no-browser",
        "--ServerApp.port=0",
    ]
    assert env["KAWAEVAL_HOME"] == str((tmp_path / "proj").resolve())
    err = capsys.readouterr().err
    assert f"copied {(tmp_path / 'proj' / 'notebooks').resolve() / '01_plan.ipynb'}" in err
    assert "has no data/raw/" not in err


def test_kawaeval_lab_in_a_folder_without_records_says_how_to_give_them(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(cli.os, "execve", lambda *a: (_ for _ in ()).throw(SystemExit(0)))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KAWAEVAL_HOME")
    with pytest.raises(SystemExit):
        cli.main(["lab"])  # the current folder
    assert (tmp_path / "notebooks" / "01_plan.ipynb").is_file()
    assert (
        f"kawaeval lab: note: {tmp_path} has no data/raw/; set raw_dir in a notebook's parameters"
        " cell, or make the folder with kawaeval init"
    ) in capsys.readouterr().err


def test_other_commands_refuse_options_they_do_not_know(capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["assess", "--fiscal-year", "2021", "--json", "--no-browser"])
    assert caught.value.code == 2
    assert "unrecognized arguments: --no-browser" in capsys.readouterr().err
