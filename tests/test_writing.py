"""Writing never fails obscurely: a read-only, full or blocked output folder gives the same
clear message in `clean` and `build` (kawaeval.common.files.writing_into), exit 1, no traceback.

Read-only and full folders are real: a tmpfs mounted read-only or filled up (root, as on CI),
else a folder without write permission (not root); a machine allowing neither skips them.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from kawaeval.cli import main
from kawaeval.paths import SAMPLE_RAW_DIR

READ_ONLY = (
    "に書き込めません (cannot write outputs): Read-only file system. 書き込めるフォルダを --out で"
    "指定してください（読み取り専用か、書き込む権限がありません）"
)
NO_PERMISSION = (
    "に書き込めません (cannot write outputs): Permission denied. 書き込めるフォルダを --out で"
    "指定してください（読み取り専用か、書き込む権限がありません）"
)
FULL = (
    "に書き込めません (cannot write outputs): No space left on device. "
    "ディスクの空きが足りません。空きを作ってから、もう一度実行してください"
)


def _mount(folder: Path, options: str) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True
    )
    return done.returncode == 0


@pytest.fixture
def read_only(tmp_path):
    """(a folder that cannot be written, the message's tail)."""
    folder = tmp_path / "read-only"
    if _mount(folder, "ro,size=1m"):
        try:
            yield folder, READ_ONLY
        finally:
            subprocess.run(["umount", str(folder)], check=True)
        return
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder, NO_PERMISSION
        folder.chmod(0o755)
        return
    pytest.skip("needs mount (as root) or a user without root's rights to make a read-only folder")


@pytest.fixture
def full(tmp_path):
    folder = tmp_path / "full"
    if not _mount(folder, "size=64k"):
        pytest.skip("needs mount (as root) to make a full disk")
    try:
        with open(folder / "filler", "wb", buffering=0) as handle:
            try:
                while True:
                    handle.write(b"\0" * 4096)
            except OSError:
                pass
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


@pytest.mark.parametrize("command", ["clean", "build"])
def test_a_read_only_output_folder_names_it_and_what_to_do(command, read_only, capsys):
    folder, tail = read_only
    out = folder / "out"
    years = ["--fiscal-year", "2021"] if command == "build" else []
    assert main([command, *years, "--raw", str(SAMPLE_RAW_DIR), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err == f"kawaeval {command}: error: {out} {tail}\n"


# the warm pool's zygote starts while the records are read (the lock file still fits)
@pytest.mark.parametrize("command", ["clean", pytest.param("build", marks=pytest.mark.slow)])
def test_a_full_disk_names_the_folder_and_what_to_do(command, full, capsys):
    out = full / "out"
    years = ["--fiscal-year", "2021"] if command == "build" else []
    assert main([command, *years, "--raw", str(SAMPLE_RAW_DIR), "--out", str(out)]) == 1
    assert capsys.readouterr().err == f"kawaeval {command}: error: {out} {FULL}\n"


@pytest.mark.parametrize("command", ["clean", "build"])
def test_a_file_where_the_output_folder_should_be_is_named(command, tmp_path, capsys):
    blocker = tmp_path / "reports"
    blocker.write_text("not a folder", encoding="utf-8")
    years = ["--fiscal-year", "2021"] if command == "build" else []
    assert main([command, *years, "--raw", str(SAMPLE_RAW_DIR), "--out", str(blocker)]) == 1
    assert capsys.readouterr().err == (
        f"kawaeval {command}: error: {blocker} に書き込めません (cannot write outputs): "
        "File exists. 同じ名前のファイルがあります。--out にはフォルダを指定してください\n"
    )
    assert blocker.read_text(encoding="utf-8") == "not a folder"
