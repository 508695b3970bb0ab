"""Build steps pyproject.toml cannot say: record the git commit in the wheel.

Everything else (metadata, dependencies, packages, package data) is in pyproject.toml. A wheel
built from a git checkout gets ``kawaeval/_commit.py`` with that checkout's HEAD; an sdist
carries the same file, so a wheel built from it keeps the commit; without git it says None
(the report then shows "not from a git checkout"). ``kawaeval.version.git_commit`` reads it.
The file is written into the build folders only, never into the source tree.
"""

import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
COMMIT_MODULE = Path("kawaeval") / "_commit.py"


def _checkout_commit(top: Path = HERE) -> str | None:
    """HEAD of the git checkout ``top`` is the top of, None when it is not one."""
    try:
        found = subprocess.run(
            ["git", "rev-parse", "--show-toplevel", "HEAD"],
            cwd=top,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return None
    lines = found.stdout.split()
    if found.returncode != 0 or len(lines) != 2 or Path(lines[0]).resolve() != top.resolve():
        return None  # not a checkout, or a folder inside some other repository
    return lines[1]


def _write(target: Path, top: Path = HERE) -> None:
    """Write ``target``: the HEAD of ``top``, else what an sdist recorded, else None."""
    commit = _checkout_commit(top)
    if commit is None and target.is_file():
        return  # built from an sdist: keep the commit it recorded
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        '"""Written by setup.py when this kawaeval was built; not in git."""\n\n'
        f"COMMIT = {commit!r}\n",
        encoding="utf-8",
    )


def main() -> None:
    from setuptools import setup
    from setuptools.command.build_py import build_py
    from setuptools.command.sdist import sdist

    class BuildPy(build_py):
        def run(self):
            super().run()
            if not self.editable_mode:  # an editable install asks the checkout's git itself
                _write(Path(self.build_lib) / COMMIT_MODULE)

    class Sdist(sdist):
        def make_release_tree(self, base_dir, files):
            super().make_release_tree(base_dir, files)
            _write(Path(base_dir) / COMMIT_MODULE)

    setup(cmdclass={"build_py": BuildPy, "sdist": Sdist})


if __name__ == "__main__":  # as setuptools runs it; tests import the helpers above
    main()
