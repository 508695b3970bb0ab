"""The installed version of kawaeval, and the git commit it was made from."""

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

try:
    __version__ = version("kawaeval")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

NOT_FROM_GIT = "not from a git checkout"
"""What the report says for the commit when kawaeval was built without git."""


def git_commit(source: Path | None = None) -> str | None:
    """The commit kawaeval comes from, or None when that is not known.

    From a checkout (editable or not) it is the checkout's HEAD, asked of git each time; an
    installed wheel has the commit its build recorded in ``kawaeval/_commit.py`` (written by
    ``setup.py``, never committed); a wheel built without git records None. ``source`` is
    what holds the package (the checkout, or site-packages).
    """
    source = source if source is not None else Path(__file__).resolve().parent.parent
    if (source / ".git").exists():
        return _head(source)
    try:
        from kawaeval._commit import COMMIT
    except ImportError:
        return None
    return COMMIT


def _head(folder: Path) -> str | None:
    import subprocess

    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, check=False
        )
    except OSError:  # no git on this machine
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else None
