"""The raw folder: every entry read or named with the reason it is not.

:func:`survey_folder` classifies each entry by its name (an initiatives file, the plan, the
supplements, the committee's sheets, a notice, a lock or system file, a table kawaeval does not
read, a folder); :func:`find_initiative_files` lists the initiatives files or says what the
folder holds instead.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from kawaeval.exceptions import InputFileError
from kawaeval.records.committee import is_committee_sheet

INPUT_PREFIXES = ("initiatives", "取組")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
INPUT_SUFFIXES = (".csv", *WORKBOOK_SUFFIXES)
EXPECTED_NAMES = "initiatives*.csv|xlsx|xlsm|xls|ods / 取組*.csv|xlsx|xlsm|xls|ods"
SPREADSHEET_SUFFIXES = (*INPUT_SUFFIXES, ".xlsb", ".xltx", ".xltm", ".tsv", ".numbers", ".txt")
SUPPLEMENT_STEMS = {
    "judgements": ("judgements", "委員会評価"),
    "highlights": ("highlights", "主な実績"),
    "indicators": ("indicators", "参考指標"),
}
SUPPLEMENT_SUFFIXES = (".csv", ".xlsx")
NOTICE_FILE = "notice.txt"
PLAN_FILE = "plan.toml"
SYSTEM_FILES = ("thumbs.db", "desktop.ini", ".ds_store")


@dataclass(frozen=True)
class FolderEntry:
    """One entry of the raw folder and what kawaeval does with it."""

    name: str
    role: str  # initiatives, plan, judgements, highlights, indicators, notice, readme, ...
    read: bool
    level: str  # "info" (expected there) or "warning" (looks like records, not read)
    reason: str

    def as_dict(self) -> dict:
        return {
            "file": self.name,
            "role": self.role,
            "read": self.read,
            "level": self.level,
            "reason": self.reason,
        }


def _normal_name(path: Path) -> str:
    return unicodedata.normalize("NFKC", path.name).lower()


def is_initiatives_file(path: Path) -> bool:
    """Whether a file name is one the contract reads as an initiatives table."""
    name = _normal_name(path)
    if name.startswith(("~$", ".")):  # Excel lock files and hidden files
        return False
    return name.startswith(INPUT_PREFIXES) and name.endswith(INPUT_SUFFIXES)


def _supplement_kind(name: str) -> str | None:
    for kind, stems in SUPPLEMENT_STEMS.items():
        if any(name == f"{stem}{suffix}" for stem in stems for suffix in SUPPLEMENT_SUFFIXES):
            return kind
    return None


def classify(path: Path) -> FolderEntry:
    """What a file or folder of the raw folder is, whether it is read, and why."""
    name = _normal_name(path)
    shown = path.name
    if path.is_dir():
        inside = [
            p
            for p in path.rglob("*")
            if p.is_file() and _normal_name(p).endswith(SPREADSHEET_SUFFIXES)
        ]
        if inside:
            return FolderEntry(
                shown,
                "folder",
                False,
                "warning",
                f"フォルダの中の表（{inside[0].name} など {len(inside)} 件）は読みません。"
                "取組の表なら raw フォルダの直下に置いてください",
            )
        return FolderEntry(shown, "folder", False, "info", "フォルダは読みません")
    if name.startswith("~$"):
        return FolderEntry(
            shown,
            "lock",
            False,
            "info",
            "Excel の一時ファイルです。ブックが Excel で開かれています",
        )
    if name.startswith(".") or name in SYSTEM_FILES:
        return FolderEntry(shown, "system", False, "info", "システムのファイルです")
    if is_initiatives_file(path):
        return FolderEntry(shown, "initiatives", True, "info", "取組の表")
    if name == PLAN_FILE:
        return FolderEntry(shown, "plan", True, "info", "計画定義。同梱の計画に代わります")
    if name == NOTICE_FILE:
        return FolderEntry(shown, "notice", False, "info", "注記。assess と build が読みます")
    if is_committee_sheet(path):
        return FolderEntry(
            shown, "committee", False, "info", "評価委員会の評価シート。assess と build が読みます"
        )
    kind = _supplement_kind(name)
    if kind is not None:
        return FolderEntry(shown, kind, False, "info", "任意の入力。assess と build が読みます")
    if name.startswith("readme") or name.endswith(".md"):
        return FolderEntry(shown, "readme", False, "info", "説明のファイルです")
    if name.startswith(INPUT_PREFIXES):
        return FolderEntry(
            shown,
            "unsupported",
            False,
            "warning",
            f"取組の表のような名前ですが、{path.suffix or '拡張子なし'} の形式は読めません。"
            "Excel で .xlsx として保存してください",
        )
    if name.endswith(SPREADSHEET_SUFFIXES):
        return FolderEntry(
            shown,
            "not_read",
            False,
            "warning",
            "名前が initiatives / 取組 で始まらないため読みません。"
            f"取組の表なら名前を「取組_{path.stem}{path.suffix}」のように変えてください",
        )
    return FolderEntry(shown, "other", False, "info", "記録の形式ではないため読みません")


def survey_folder(raw_dir: Path) -> list[FolderEntry]:
    """Every entry of ``raw_dir`` (name order) with what is done with it.

    Raises
    ------
    InputFileError
        If the folder does not exist.
    """
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise InputFileError(
            raw_dir,
            f"フォルダ {raw_dir} がありません (raw folder not found). "
            f"{EXPECTED_NAMES} を置いたフォルダを --raw で指定するか、data/raw/ のある"
            "プロジェクトのフォルダで実行するか、そのフォルダを KAWAEVAL_HOME に設定してください。"
            "新しいプロジェクトは kawaeval init DIR で作れます",
        )
    return [classify(p) for p in sorted(raw_dir.iterdir(), key=lambda p: p.name)]


def find_initiative_files(raw_dir: Path) -> list[Path]:
    """The initiatives files in ``raw_dir``, sorted by name.

    Raises
    ------
    InputFileError
        If the folder does not exist or holds no initiatives file (naming what it holds).
    """
    raw_dir = Path(raw_dir)
    entries = survey_folder(raw_dir)
    files = [raw_dir / e.name for e in entries if e.role == "initiatives"]
    if not files:
        others = [e for e in entries if e.role not in ("system", "lock")]
        held = (
            " フォルダにあるもの: "
            + "、".join(f"{e.name}（{e.reason}）" for e in others[:10])
            + (f" ほか {len(others) - 10} 件" if len(others) > 10 else "")
            if others
            else " フォルダは空です"
        )
        raise InputFileError(
            raw_dir,
            f"フォルダ {raw_dir} に取組の表がありません (no initiatives file). "
            f"{EXPECTED_NAMES} という名前のファイルを置いてください。{held}",
        )
    return files
