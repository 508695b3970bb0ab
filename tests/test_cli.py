"""Command-line usage: wrong usage is exit 2 with a message, never a traceback."""

import subprocess
import sys

import pytest

from kawaeval.cli import main
from kawaeval.version import __version__


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["publish"], "invalid choice: 'publish'"),
        (["assess", "--json"], "the following arguments are required: --fiscal-year"),
        (["assess", "--fiscal-year", "2021"], "the following arguments are required: --json"),
        (["assess", "--fiscal-year", "R3", "--json"], "invalid int value: 'R3'"),
        (["build"], "the following arguments are required: --fiscal-year"),
        (["build", "--fiscal-year", "2021", "--jobs", "0"], "--jobs: must be 1 or more, not 0"),
    ],
)
def test_wrong_usage_exits_2_and_says_what_is_missing(capsys, argv, expected):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert expected in capsys.readouterr().err


def test_python_dash_m_is_the_same_command():
    done = subprocess.run(
        [sys.executable, "-m", "kawaeval", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"kawaeval {__version__}"
