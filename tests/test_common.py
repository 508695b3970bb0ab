"""The ground floor every stage uses: era years, file names, atomic replacement, dates."""

import os

import pytest

from kawaeval.common import files, text
from kawaeval.exceptions import OutputWriteError, UsageError


@pytest.mark.parametrize(
    ("year", "full", "narrow"),
    [
        (2018, "平成30(2018)年度", "平成30(2018)年度"),
        (2019, "令和元(2019)年度", "令和元(2019)年度"),
        (2021, "令和３(2021)年度", "令和3(2021)年度"),
        (2030, "令和12(2030)年度", "令和12(2030)年度"),
        (1989, "平成元(1989)年度", "平成元(1989)年度"),
    ],
)
def test_era_year_as_the_report_and_as_a_form_header_write_it(year, full, narrow):
    assert text.era_year(year) == full
    assert text.era_year(year, full_width=False) == narrow


def test_display_width_counts_wide_and_ambiguous_characters_twice():
    assert text.display_width("取組No.") == 7
    assert text.display_width("※Ⅱ①") == 6


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("第 2 期\t計画", "第_2_期_計画"),
        ("  計画. ", "計画"),
        ("a/b:c", "a_b_c"),
        ("nul.xlsx", "nul.xlsx_"),
        ("", "_"),
    ],
)
def test_safe_file_name(name, safe):
    assert text.safe_file_name(name) == safe


def test_replacing_puts_every_file_in_place_only_when_all_were_written(tmp_path):
    first, second = tmp_path / "a.txt", tmp_path / "sub" / "b.txt"
    first.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), files.replacing(first, second) as (a, _b):
        a.write_text("new", encoding="utf-8")
        raise RuntimeError("the second file could not be made")
    assert first.read_text(encoding="utf-8") == "old"
    assert not second.exists()
    files.write_files({first: b"new", second: b"too"})
    assert (first.read_bytes(), second.read_bytes()) == (b"new", b"too")
    umask = os.umask(0o022)
    os.umask(umask)
    assert second.stat().st_mode & 0o777 == 0o666 & ~umask  # as readable as any new file
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.txt", "b.txt", "sub"]


def test_a_file_in_the_way_of_a_folder_is_named(tmp_path):
    blocker = tmp_path / "out"
    blocker.write_text("a file", encoding="utf-8")
    with pytest.raises(OutputWriteError, match=rf"^{blocker} に書き込めません .*File exists"):
        files.write_files({blocker / "a.xlsx": b"x"})


def test_source_date_epoch(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert files.source_date() is None and files.source_datetime() is None
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert files.source_date() == "2023-11-14"
    assert files.source_datetime() == "2023-11-14T22:13:20Z"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(UsageError, match="SOURCE_DATE_EPOCH「yesterday」は秒数ではありません"):
        files.source_datetime()
