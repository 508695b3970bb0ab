"""The yearly cycle with real returned forms: a returned workbook replaces exactly one file, and
a form sent back short or unfilled is never read as a silently short report (issue 17)."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import openpyxl
import pytest

from kawaeval.cli import main
from kawaeval.paths import SAMPLE_RAW_DIR

BUREAU = "経済労働局"
FORM = f"取組_{BUREAU}.xlsx"


@pytest.fixture(scope="module")
def forms(tmp_path_factory) -> Path:
    """The FY2021 forms `kawaeval template --by-bureau` makes from the sample."""
    out = tmp_path_factory.mktemp("forms")
    assert main(["template", "--fiscal-year", "2021", "--by-bureau", "--out", str(out)]) == 0
    return out


def _raw_with(tmp_path: Path, returned: Path, name: str | None = None) -> Path:
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE_RAW_DIR, raw)
    shutil.copy(returned, raw / (name or returned.name))
    return raw


def _filled(forms: Path, tmp_path: Path, name: str = FORM, drop_rows: int = 0) -> Path:
    """The bureau's form as it comes back: this year's column chosen from the drop-down
    (ほぼ目標どおり), maybe with its last rows deleted."""
    book = openpyxl.load_workbook(forms / name)
    sheet = book["取組"]
    column = next(c.column for c in sheet[1] if c.value == "令和3(2021)年度")
    last = max(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value)
    for r in range(2, last + 1):
        sheet.cell(r, column).value = "ほぼ目標どおり"
    if drop_rows:
        sheet.delete_rows(last - drop_rows + 1, drop_rows)
    path = tmp_path / "returned" / name
    path.parent.mkdir(exist_ok=True)
    book.save(path)
    return path


def test_template_names_each_bureau_workbook_as_the_sample_names_its_file(forms):
    made = sorted(p.stem for p in forms.iterdir())
    assert made == sorted(p.stem for p in SAMPLE_RAW_DIR.iterdir() if p.name.startswith("取組_"))
    assert len(made) == 12


def test_a_returned_workbook_replaces_the_file_of_the_same_name(forms, tmp_path, capsys):
    raw = _raw_with(tmp_path, _filled(forms, tmp_path))
    out = tmp_path / "out"
    assert main(["clean", "--raw", str(raw), "--out", str(out)]) == 0
    assert capsys.readouterr().err == (
        f"cleaned 109 raw rows from 12 file(s): 109 accepted, 0 rejected -> {out}\n"
    )
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["missing_initiatives"] == [] and manifest["warnings"] == []


def test_a_returned_workbook_kept_beside_the_old_csv_names_both_files(forms, tmp_path, capsys):
    name = "取組_市民文化局.xlsx"
    raw = _raw_with(tmp_path, _filled(forms, tmp_path, name))
    assert (raw / "取組_市民文化局.csv").exists()
    assert main(["clean", "--raw", str(raw), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err == (
        "kawaeval clean: error: 取組_市民文化局.csv: 取組_市民文化局.xlsx と同じ局のファイルが"
        "2つあります（市民文化局の取組番号 28 件がどちらにもあります）。古い方を取り除いてください "
        "(two files of the same bureau: remove the older one from the raw folder)\n"
    )
    assert "Traceback" not in err and "重ならない番号" not in err


def test_a_returned_form_left_blank_for_its_year_is_a_warning_naming_file_and_bureau(
    forms, tmp_path, capsys, caplog
):
    raw = _raw_with(tmp_path, forms / FORM)  # sent back as it was sent
    out = tmp_path / "out"
    with caplog.at_level(logging.WARNING, logger="kawaeval"):
        assert main(["clean", "--raw", str(raw), "--out", str(out)]) == 0
    warning = (
        f"{FORM}（{BUREAU}）: 2021 年度の達成度がすべて空欄です（15 件）。記入済みのワークブックが"
        "返送されたか確認してください (the 2021 column of the returned form is blank on every row)"
    )
    assert caplog.messages == [warning]
    assert capsys.readouterr().err == (
        f"cleaned 109 raw rows from 12 file(s): 109 accepted, 0 rejected -> {out}\n"
    )
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["warnings"] == [warning]


def test_a_returned_form_lacking_initiatives_names_each_and_stops(forms, tmp_path, capsys, caplog):
    raw = _raw_with(tmp_path, _filled(forms, tmp_path, drop_rows=2))
    out = tmp_path / "out"
    assert main(["clean", "--raw", str(raw), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "kawaeval clean: error: 返送されたワークブックに、送ったときの取組が 2 件ありません "
        "(2 initiatives the forms were sent with are missing). 行を消していないか確認し、"
        "元に戻してください（番号を変えた取組は「旧取組番号」の列に元の番号を書いてください）。"
        "このまま進めるには --allow-rejects を付けてください:",
        f"  - {FORM}（{BUREAU}）: 取組「2-2-08 取組2-2-08（仮称・サンプル）」",
        f"  - {FORM}（{BUREAU}）: 取組「2-2-11 取組2-2-11（仮称・サンプル）」",
    ]
    assert not out.exists()
    with caplog.at_level(logging.WARNING, logger="kawaeval"):
        assert main(["clean", "--raw", str(raw), "--out", str(out), "--allow-rejects"]) == 0
    assert caplog.messages == [
        f"{FORM}: 送ったときの取組「{i} 取組{i}（仮称・サンプル）」がありません"
        "（--allow-rejects で続行）"
        for i in ("2-2-08", "2-2-11")
    ]
    assert capsys.readouterr().err == (
        f"cleaned 107 raw rows from 12 file(s): 107 accepted, 0 rejected -> {out}\n"
    )
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [m["initiative_id"] for m in manifest["missing_initiatives"]] == ["2-2-08", "2-2-11"]
