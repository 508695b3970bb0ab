"""``make lab``: a kernel named kawaeval registered inside .venv, JupyterLab on notebooks/."""

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kawaeval.paths import PROJECT_ROOT

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
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "MAKEFLAGS": ""},
    )
    return [shlex.split(line) for line in done.stdout.splitlines() if line.strip()]


def test_make_help_lists_lab(make):
    done = subprocess.run(
        [make, "--no-print-directory", "help"], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert "make lab " in done.stdout and "make kernel " in done.stdout


def test_lab_registers_the_kernel_in_the_venv_then_starts_jupyterlab_on_notebooks(make):
    register, start = _recipe(make, "lab")
    assert register[:4] == [".venv/bin/python", "-m", "ipykernel", "install"]
    assert "--sys-prefix" in register and "--user" not in register
    assert register[register.index("--name") + 1] == "kawaeval"
    assert start[:2] == [".venv/bin/jupyter", "lab"]
    assert "--ServerApp.root_dir=notebooks" in start
    # --sys-prefix means the prefix of the venv's own interpreter: .venv, not the home folder
    prefix = subprocess.run(
        [str(PROJECT_ROOT / ".venv/bin/python"), "-c", "import sys; print(sys.prefix)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(prefix).resolve() == (PROJECT_ROOT / ".venv").resolve()


def test_the_registration_writes_a_kawaeval_kernel_under_the_prefix_only(make, tmp_path):
    """The recipe's own command, with a temporary prefix standing in for .venv."""
    (register,) = _recipe(make, "kernel")
    register = [sys.executable if register[0] == ".venv/bin/python" else register[0], *register[1:]]
    prefix, home = tmp_path / "prefix", tmp_path / "home"
    home.mkdir()
    register[register.index("--sys-prefix")] = f"--prefix={prefix}"
    env = {**os.environ, "HOME": str(home), "JUPYTER_PATH": str(prefix / "share" / "jupyter")}
    env.pop("JUPYTER_DATA_DIR", None)
    subprocess.run(register, cwd=PROJECT_ROOT, env=env, check=True, capture_output=True)
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
