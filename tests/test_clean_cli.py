"""`kawaeval clean` end to end: outputs, messages and exit codes (0 ok, 1 bad input, 2 usage)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kawaeval.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "clean"


def test_clean_writes_outputs_and_exits_0(tmp_path, capsys):
    out = tmp_path / "processed"
    code = main(["clean", "--raw", str(FIXTURES / "two_bureaus"), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0
    assert captured.out == ""
    assert captured.err == (f"cleaned 5 raw rows from 2 file(s): 5 accepted, 0 rejected -> {out}\n")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["totals"] == {"raw_rows": 5, "accepted_rows": 5, "rejected_rows": 0}
    assert (out / "tidy.csv").read_bytes().count(b"\n") == 21


def test_rejected_rows_exit_1_with_every_problem_listed(tmp_path, capsys):
    out = tmp_path / "processed"
    code = main(["clean", "--raw", str(FIXTURES / "with_rejects"), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert not out.exists()
    lines = err.splitlines()
    assert lines[0] == (
        "kawaeval clean: error: 11 行を受け付けられませんでした（問題 11 件）"
        " (11 rows rejected, 11 problems). "
        "Fix them in the raw files, or rerun with --allow-rejects to report them and go on:"
    )
    assert lines[6] == (
        "  - initiatives_a.csv 行 7 列「2021年度」値「おおむね達成」: 達成度の値を判別できません。"
        "目標を上回って達成 / ほぼ目標どおり / 目標を下回った、5段階の1〜5、"
        "または空欄・－（評価対象外）のいずれかを入力してください"
    )
    assert lines[11] == (
        "  - initiatives_b.csv 行 2 列「ID」値「B1」: 取組番号「B1」が重複しています"
        "（initiatives_a.csv 行 11 と同じ番号）。"
        "取組ごとに重ならない番号にしてください (duplicate id)"
    )
    assert len(lines) == 12
    assert "Traceback" not in err


def test_allow_rejects_goes_on_and_exits_0(tmp_path, capsys):
    out = tmp_path / "processed"
    code = main(
        ["clean", "--raw", str(FIXTURES / "with_rejects"), "--out", str(out), "--allow-rejects"]
    )
    assert code == 0
    assert capsys.readouterr().err == (
        f"cleaned 13 raw rows from 2 file(s): 2 accepted, 11 rejected -> {out}\n"
    )
    assert (out / "rejected.csv").read_bytes().count(b"\n") == 12


def test_unreadable_file_exits_1_naming_it(tmp_path, capsys):
    code = main(["clean", "--raw", str(FIXTURES / "unreadable"), "--out", str(tmp_path)])
    assert code == 1
    assert capsys.readouterr().err == (
        "kawaeval clean: error: initiatives_fake.xlsx: XLSX ファイルではありません "
        "(not an XLSX workbook). Excel で .xlsx として保存してください\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_missing_raw_folder_exits_1(tmp_path, capsys):
    code = main(["clean", "--raw", str(tmp_path / "nope"), "--out", str(tmp_path / "out")])
    assert code == 1
    assert capsys.readouterr().err.startswith(
        f"kawaeval clean: error: nope: フォルダ {tmp_path / 'nope'} がありません"
    )


def test_unknown_option_is_a_usage_error_exit_2(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["clean", "--raw-dir", "x"])
    assert caught.value.code == 2
    assert "unrecognized arguments: --raw-dir x" in capsys.readouterr().err


def test_output_folder_that_is_a_file_exits_1_without_traceback(tmp_path, capsys):
    blocker = tmp_path / "processed"
    blocker.write_text("not a folder", encoding="utf-8")
    code = main(["clean", "--raw", str(FIXTURES / "two_bureaus"), "--out", str(blocker)])
    assert code == 1
    assert capsys.readouterr().err == (
        f"kawaeval clean: error: {blocker} に書き込めません (cannot write outputs): File exists\n"
    )
    assert blocker.read_text(encoding="utf-8") == "not a folder"
