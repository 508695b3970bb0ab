"""`kawaeval clean` end to end: outputs, messages and exit codes (0 ok, 1 bad input, 2 usage)."""

from __future__ import annotations

import json
import logging
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
    assert manifest["totals"] == {
        "raw_rows": 5,
        "accepted_rows": 5,
        "rejected_rows": 0,
        "excluded_rows": 0,
    }
    assert (out / "achievements.csv").read_bytes().count(b"\n") == 6


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
        "  - 取組「A6 達成度が読めない」 "
        "initiatives_a.csv 行 7 列「2021年度」値「おおむね達成」: "
        "達成度の値を判別できません。"
        "目標を上回って達成 / ほぼ目標どおり / 目標を下回った、5段階の1〜5、"
        "または空欄・－（評価対象外）のいずれかを入力してください"
    )
    assert lines[7:9] == [  # blank id, then blank name: the other one names the initiative
        "  - 取組「番号がない」 "
        "initiatives_a.csv 行 8 列「ID」値「」: "
        "取組番号が空欄です。取組ごとに重ならない番号を入力してください (id is blank)",
        "  - 取組「A7」 "
        "initiatives_a.csv 行 9 列「取組名」値「」: "
        "取組名が空欄です。取組名を入力してください (name is blank)",
    ]
    assert lines[11] == (
        "  - 取組「B1 ファイルをまたいで重複」 "
        "initiatives_b.csv 行 2 列「ID」値「B1」: 取組番号「B1」が重複しています"
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
        "kawaeval clean: error: initiatives_fake.xlsx: 名前は .xlsx ですが、中身はテキスト（CSV）"
        "です (not an XLSX workbook: the file is text). 名前を「initiatives_fake.csv」に変えるか、"
        "Excel で .xlsx として保存し直してください\n"
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
        f"kawaeval clean: error: {blocker} に書き込めません (cannot write outputs): File exists. "
        "同じ名前のファイルがあります。--out にはフォルダを指定してください\n"
    )
    assert blocker.read_text(encoding="utf-8") == "not a folder"


REJECTED_ONE = (
    "kawaeval clean: error: 1 行を受け付けられませんでした（問題 1 件） "
    "(1 rows rejected, 1 problems). "
    "Fix them in the raw files, or rerun with --allow-rejects to report them and go on:"
)
NO_ID = (
    "取組番号 (id) の列がありません (no initiative_id column). "
    "ヘッダー（1行目）に 取組番号 / 番号 / NO / No. / ID のいずれかの列を置いてください"
)
BAD_INPUTS = {
    "empty": ["kawaeval clean: error: initiatives_empty.csv: ファイルが空です (empty file)"],
    "blank": ["kawaeval clean: error: initiatives_blank.csv: ファイルが空です (empty file)"],
    "not_xlsx": [
        "kawaeval clean: error: initiatives_not_xlsx.xlsx: 名前は .xlsx ですが、中身はテキスト"
        "（CSV）です (not an XLSX workbook: the file is text). 名前を「initiatives_not_xlsx.csv」"
        "に変えるか、Excel で .xlsx として保存し直してください"
    ],
    "no_id": [f"kawaeval clean: error: initiatives_no_id.csv: {NO_ID}"],
    "undecodable": [
        "kawaeval clean: error: initiatives_undecodable.csv: 文字コードを判別できません "
        "(not UTF-8 or CP932). "
        "Excel で「CSV UTF-8」または「CSV (コンマ区切り)」として保存し直してください"
    ],
    "utf16": [
        "kawaeval clean: error: initiatives_utf16.csv: UTF-16 で保存されています "
        "(saved as UTF-16, not UTF-8 or CP932). "
        "Excel の「Unicode テキスト」ではなく、「CSV UTF-8 (コンマ区切り)」"
        "として保存し直してください"
    ],
    "cover_sheet": [
        f"kawaeval clean: error: initiatives_cover_sheet.xlsx: {NO_ID} "
        "(シート「記入例」を読みました。データのシートの名前を「取組」にしてください)"
    ],
    "formula_without_value": [
        "kawaeval clean: error: initiatives_formulas.xlsx: シート「取組」のセル A2 は数式ですが、"
        "計算結果が保存されていません（ほか 3 セルも同じ） (cell A2 holds a formula without its "
        "value: the file was saved by a program other than Excel). "
        "Excel で開いて保存し直してから、もう一度実行してください"
    ],
    "duplicate_id": [
        "kawaeval clean: error: 2 行を受け付けられませんでした（問題 2 件） "
        "(2 rows rejected, 2 problems). "
        "Fix them in the raw files, or rerun with --allow-rejects to report them and go on:",
        "  - 取組「1-1-01 取組A」 "
        "initiatives_a.csv 行 2 列「取組番号」値「1-1-01」: 取組番号「1-1-01」が重複しています"
        "（initiatives_b.csv 行 2 と同じ番号）。"
        "取組ごとに重ならない番号にしてください (duplicate id)",
        "  - 取組「1-1-01 取組B」 "
        "initiatives_b.csv 行 2 列「取組番号」値「1-1-01」: 取組番号「1-1-01」が重複しています"
        "（initiatives_a.csv 行 2 と同じ番号）。"
        "取組ごとに重ならない番号にしてください (duplicate id)",
    ],
    "actual_numbers": [
        "kawaeval clean: error: 取組_環境局.csv: 列「2021年度実績」は 2021 年度の実績の列ですが、"
        "値が達成度ではありません（行 3 の値「1,250」） (the only 2021 column holds actual values, "
        "not achievements). この列が達成度なら見出しを「2021年度 達成度」にして値を直し、"
        "指標の実績値の列なら 2021 年度の達成度の列を加えてください"
    ],
    "extra_value": [
        REJECTED_ONE,
        "  - 取組「2-3-05 都市間連携による低炭素都市形成支援」 取組_環境局.csv 行 3 "
        "列「（L列・見出しなし）」値「国際交流課」: 見出しのない列に値があります (a value in a "
        "column without a header). セルがずれていないか（取組名などにコンマが入っていないか）"
        "確認し、値を正しい列に移すか削除してください",
    ],
    "html_xls": [
        "kawaeval clean: error: 取組_環境局.xls: Web ページ (HTML) の形式で保存されています "
        "(an HTML page, not a workbook). Excel で開き、「Excel ブック (.xlsx)」として保存し直して"
        "ください"
    ],
    "invisible_value": [
        REJECTED_ONE,
        "  - 取組「2-1-04 地球温暖化対策の推進」 取組_環境局.csv 行 2 列「2021年度」"
        "値「おおむね<U+200B>達成」: 達成度の値を判別できません。目標を上回って達成 / "
        "ほぼ目標どおり / 目標を下回った、5段階の1〜5、または空欄・－（評価対象外）の"
        "いずれかを入力してください",
    ],
    "missing_year": [
        "kawaeval clean: error: 1 個のファイルに、2021 年度までの年度の列が揃っていません "
        "(files without a column for a program year up to 2021). それぞれのファイルに次の年度の"
        "達成度の列を加えてください（評価しない取組は空欄か「－」）:",
        "  - 取組_環境局.csv: 2018年度、2019年度 の列がありません",
    ],
    "password": [
        "kawaeval clean: error: 取組_経済労働局.xlsx: パスワードで保護されています。パスワードを"
        "解除して保存してください (the workbook is password-protected: open it in Excel, remove "
        "the password under ファイル → 情報 → ブックの保護, and save it)"
    ],
    "two_row_header": [
        "kawaeval clean: error: 取組_環境局.csv: 列「2018年度 実績」は 2018 年度の実績の列ですが、"
        "値が達成度ではありません（行 3 の値「12」） (the only 2018 column holds actual values, "
        "not achievements). この列が達成度なら見出しを「2018年度 達成度」にして値を直し、"
        "指標の実績値の列なら 2018 年度の達成度の列を加えてください (見出しが2行になっています: "
        "行 1 と行 2 を合わせて読みました。読めないときは見出しを1行にまとめてください)"
    ],
    "year_unreadable": [
        "kawaeval clean: error: 取組_環境局.csv: 列「2021年度予算額」は年度を含んでいますが、"
        "何の列か読み取れません (a header that looks like a year cannot be read). 達成度の列なら"
        "「2019年度」「令和元年度」「R1」「2019年度 達成度」のように、指標の実績値・目標値なら"
        "「2019年度 実績」「2019年度 目標」のように書き、どちらでもなければ見出しから年度を"
        "外してください"
    ],
    "bad_achievement": [
        REJECTED_ONE,
        "  - 取組「1-1-01 達成度が読めない」 "
        "initiatives_bad_achievement.csv 行 2 列「2021年度」値「おおむね達成」: "
        "達成度の値を判別できません。目標を上回って達成 / ほぼ目標どおり / 目標を下回った、"
        "5段階の1〜5、または空欄・－（評価対象外）のいずれかを入力してください",
    ],
    "code_label_mismatch": [
        REJECTED_ONE,
        "  - 取組「1-1-01 コードと表記が違う」 "
        "initiatives_code_label_mismatch.csv 行 2 列「2021年度」値「3 目標を下回った」: "
        "達成度のコード 3 と表記「目標を下回った」が一致しません（3 は「ほぼ目標どおり」）。"
        "コードか表記のどちらかを直してください",
    ],
    "bad_goal": [
        REJECTED_ONE,
        "  - 取組「1-1-01 基本目標が計画にない」 "
        "initiatives_bad_goal.csv 行 2 列「基本目標」値「4」: "
        "基本目標 4 は計画にありません。1、2、3 のいずれかを入力してください",
    ],
    "goal_direction_disagree": [
        REJECTED_ONE,
        "  - 取組「1-1-01 方向性の基本目標が違う」 "
        "initiatives_goal_direction_disagree.csv 行 2 列「取組の方向性」値「2-1」: "
        "取組の方向性の基本目標 2 が基本目標の列（1）と一致しません。どちらかを直してください",
    ],
    "unknown_direction": [
        REJECTED_ONE,
        "  - 取組「1-1-01 方向性が計画にない」 "
        "initiatives_unknown_direction.csv 行 2 列「取組の方向性」値「5」: "
        "基本目標 1 に取組の方向性 5 はありません。1、2、3 のいずれかを入力してください",
    ],
}


@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
def test_each_bad_input_fixture_exits_1_with_its_message(kind, tmp_path, capsys):
    out = tmp_path / "processed"
    code = main(["clean", "--raw", str(FIXTURES / "bad" / kind), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.splitlines()[0] == BAD_INPUTS[kind][0]
    assert err.splitlines() == BAD_INPUTS[kind]
    assert "Traceback" not in err
    assert not out.exists()


def test_every_bad_fixture_folder_is_covered():
    folders = {p.name for p in (FIXTURES / "bad").iterdir() if p.is_dir()}
    assert folders == {*BAD_INPUTS, "header_only"}


def test_header_only_file_exits_0_with_a_warning(tmp_path, capsys, caplog):
    out = tmp_path / "processed"
    with caplog.at_level(logging.WARNING, logger="kawaeval"):
        code = main(["clean", "--raw", str(FIXTURES / "bad" / "header_only"), "--out", str(out)])
    assert code == 0
    assert capsys.readouterr().err == (
        f"cleaned 0 raw rows from 1 file(s): 0 accepted, 0 rejected -> {out}\n"
    )
    assert caplog.messages == ["initiatives_header_only.csv: ヘッダーだけで、取組の行がありません"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["totals"] == {
        "raw_rows": 0,
        "accepted_rows": 0,
        "rejected_rows": 0,
        "excluded_rows": 0,
    }
