"""Raw initiatives tables -> the tidy table, the rejected rows and the manifest.

Every header and value spelling of the data contract is recognised here. Work is vectorised:
each column's *distinct* values are normalised once, then mapped back onto the rows, and the
tidy table is built with Arrow takes rather than a Python loop per cell.
"""

from __future__ import annotations

import codecs
import json
import logging
import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kawaeval import __version__
from kawaeval.exceptions import (
    InputFileError,
    ManifestMismatchError,
    OutputWriteError,
    RejectedRowsError,
)
from kawaeval.paths import BUNDLED_PLAN, PROJECT_ROOT
from kawaeval.plan import ACHIEVEMENTS, Plan, load_plan
from kawaeval.reading import (
    PREFERRED_SHEET,
    RawTable,
    file_sha256,
    find_initiative_files,
    read_initiative_file,
)
from kawaeval.validating import ACHIEVEMENT_DTYPE, TEXT, validate_tidy

log = logging.getLogger(__name__)

TIDY_COLUMNS = [
    "initiative_id",
    "goal",
    "direction",
    "name",
    "bureau",
    "fiscal_year",
    "achievement",
    "achievement_raw",
    "reason",
    "source_file",
    "source_row",
]
REJECTED_COLUMNS = ["file", "row", "column", "value", "reason"]
OUTPUT_FILES = ("tidy.parquet", "tidy.csv", "rejected.csv", "manifest.json")

# Header spellings (after NFKC, spaces removed, Latin letters lower-cased) -> role.
HEADER_ROLES = {
    "initiative_id": ("取組番号", "番号", "no", "no.", "id"),
    "goal": ("基本目標",),
    "direction": ("取組の方向性", "方向性"),
    "name": ("取組名", "事務事業名", "取組"),
    "bureau": ("所管局", "所管課", "局名"),
    "reason": ("主な理由", "下回った理由", "理由"),
}
REQUIRED_ROLES = ("initiative_id", "name", "goal", "direction")
ROLE_LABELS = {
    "initiative_id": "取組番号 (id)",
    "goal": "基本目標 (goal)",
    "direction": "取組の方向性 (direction)",
    "name": "取組名 (name)",
    "bureau": "所管局 (bureau)",
    "reason": "理由 (reason)",
}
_HEADER_TO_ROLE = {
    spelling: role for role, spellings in HEADER_ROLES.items() for spelling in spellings
}

ERA_BASE = {"平成": 1988, "H": 1988, "令和": 2018, "R": 2018}
_YEAR_HEADER = re.compile(
    r"(?P<pre>.*?)"
    r"(?:(?P<era>平成|令和|H|R)(?P<era_year>元|[0-9]{1,2})(?:年度|年)?"
    r"(?:\((?P<paren>[0-9]{4})(?:年度|年)?\))?"
    r"|(?:FY)?(?P<west>[0-9]{4}))"
    r"(?P<post>.*)"
)
_YEAR_WRAPPER = re.compile(
    r"(?:達成度|達成状況|評価結果|評価|結果|年度|年|度|の|[()\[\]【】「」『』:/_・-])*"
)
_LOOKS_LIKE_A_YEAR = re.compile(r"[0-9]{4}|平成|令和|年度|\b[HRhr][0-9]{1,2}\b")

# Achievement spellings (after NFKC and removing spaces) -> category.
ACHIEVEMENT_SPELLINGS = {
    "exceeded": ("目標を上回って達成", "目標を上回った", "目標を大きく上回って達成", "1", "2"),
    "on_target": ("ほぼ目標どおり", "ほぼ目標通り", "目標をほぼ達成", "3"),
    "below": ("目標を下回った", "目標を大きく下回った", "4", "5"),
    # dashes: hyphen-minus, full-width hyphen-minus, horizontal bar, em dash, minus sign,
    # katakana long-vowel mark (and its half-width form), hyphen, non-breaking hyphen, en dash
    "not_evaluated": ("", "-", "－", "―", "—", "−", "ー", "ｰ", "‐", "‑", "–", "対象外"),
}
# Kawasaki's 5-level scale: code -> (category, its own label and that label's other spellings).
FIVE_LEVELS = {
    "1": ("exceeded", ("目標を大きく上回って達成",)),
    "2": ("exceeded", ("目標を上回って達成",)),
    "3": ("on_target", ("ほぼ目標どおり", "ほぼ目標通り")),
    "4": ("below", ("目標を下回った",)),
    "5": ("below", ("目標を大きく下回った",)),
}
# A code written with a label, as dropdowns give it: "3 ほぼ目標どおり", "3:…", "2.…", "4(…)".
_CODE_WITH_LABEL = re.compile(r"(?P<code>[1-5])(?:[:.、・)]?(?P<label>[^()]+)|\((?P<paren>.+)\))")
_NOT_A_CODE = -1

REASON_ID_BLANK = "取組番号が空欄です。取組ごとに重ならない番号を入力してください (id is blank)"
REASON_DUPLICATE_FIX = "取組ごとに重ならない番号にしてください (duplicate id)"
REASON_NAME_BLANK = "取組名が空欄です。取組名を入力してください (name is blank)"
REASON_ACHIEVEMENT = (
    "達成度の値を判別できません。目標を上回って達成 / ほぼ目標どおり / 目標を下回った、"
    "5段階の1〜5、または空欄・－（評価対象外）のいずれかを入力してください"
)
_DASHES = "-‐‑−–ー"


@dataclass(frozen=True)
class CleanResult:
    """What cleaning produced: tidy rows, rejected rows, the manifest and the plan used."""

    tidy: pd.DataFrame
    rejected: pd.DataFrame
    manifest: dict
    plan: Plan


@dataclass
class _Layout:
    """Which column of a file holds which field, by position."""

    roles: dict[str, int]
    years: dict[int, int] = field(default_factory=dict)


# ---------------------------------------------------------------- spellings of single values


def _key(text: str) -> str:
    """NFKC, all spaces (full-width too) removed: the form spellings are compared in."""
    return "".join(unicodedata.normalize("NFKC", str(text)).split())


def header_role(header: str) -> str | None:
    """The field a non-year header names (``initiative_id``, ``goal``...), or None."""
    key = _key(header)
    return _HEADER_TO_ROLE.get(key.lower() if key.isascii() else key)


def parse_fiscal_year_header(header: str) -> int | None:
    """The Western fiscal year a header names (``平成30年度`` -> 2018), or None if it names none.

    Raises
    ------
    ValueError
        If the header gives an era year and a Western year in brackets that disagree.
    """
    key = _key(header).upper()
    match = _YEAR_HEADER.fullmatch(key)
    if match is None:
        return None
    for part in (match["pre"], match["post"]):
        if not _YEAR_WRAPPER.fullmatch(part):
            return None
    if match["west"] is not None:
        return int(match["west"])
    number = 1 if match["era_year"] == "元" else int(match["era_year"])
    if number < 1:
        return None
    year = ERA_BASE[match["era"]] + number
    if match["paren"] is not None and int(match["paren"]) != year:
        era = "平成" if match["era"] in ("平成", "H") else "令和"
        written = "元" if number == 1 else str(number)
        raise ValueError(
            f"{era}{written}年度は {year} 年度ですが、括弧内は {match['paren']} 年度です"
        )
    return year


_ROMAN = re.compile(r"(X{0,3})(IX|IV|V?I{0,3})")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10}


def _number(text: str) -> int | None:
    """An Arabic or Roman numeral (I, II, III ... after NFKC) as an int, else None."""
    if text.isascii() and text.isdigit():
        return int(text)
    upper = text
    if upper and _ROMAN.fullmatch(upper):
        total = 0
        for i, char in enumerate(upper):
            value = _ROMAN_VALUES[char]
            following = _ROMAN_VALUES[upper[i + 1]] if i + 1 < len(upper) else 0
            total += -value if value < following else value
        return total
    return None


def parse_goal(value: str) -> int | None:
    """The goal number a cell names (``１``, ``基本目標1``, ``Ⅰ``...), or None."""
    key = _key(value)
    key = key.removeprefix("基本目標")
    return _number(key)


def parse_direction(value: str) -> tuple[int | None, int] | None:
    """(goal or None, direction) a cell names (``2``, ``方向性2``, ``Ⅱ``, ``1-2``), or None."""
    key = _key(value)
    for prefix in ("取組の方向性", "方向性"):
        key = key.removeprefix(prefix)
    for dash in _DASHES:
        if dash in key:
            goal_part, _, direction_part = key.partition(dash)
            goal, direction = parse_goal(goal_part), _number(direction_part)
            if goal is None or direction is None:
                return None
            return goal, direction
    direction = _number(key)
    return None if direction is None else (None, direction)


def achievement_spellings(plan: Plan | None = None) -> dict[str, str]:
    """Every accepted achievement spelling (normalised) -> category, plus the plan's labels."""
    spellings = {
        _key(s): category for category, values in ACHIEVEMENT_SPELLINGS.items() for s in values
    }
    if plan is not None:
        for category, label in plan.achievement_labels.items():
            spellings.setdefault(_key(label), category)
    return spellings


def _or_minus_one(number: int | None) -> int:
    return -1 if number is None else number


def _direction_part(value: str, part: int) -> int:
    """Goal part (0 when absent) or direction (-1 when unreadable) of a direction cell."""
    parsed = parse_direction(value)
    if parsed is None:
        return -1
    if part == 0:
        return parsed[0] or 0
    return parsed[1]


def parse_achievement(value: str, plan: Plan | None = None) -> str | None:
    """The achievement category a cell names, or None for a value the contract does not know."""
    return read_achievement(value, achievement_spellings(plan))[0]


def read_achievement(value: str, spellings: dict[str, str]) -> tuple[str | None, str | None]:
    """(category, None) for an accepted achievement cell, else (None, the reason it is bad).

    Besides the ``spellings`` (see :func:`achievement_spellings`), a 5-level code written with
    its own label (``3 ほぼ目標どおり``, ``３：ほぼ目標どおり``, ``4（目標を下回った）``) is
    accepted; a code written with another level's label is bad, with a reason saying so.
    """
    key = _key(value)
    category = spellings.get(key)
    if category is not None:
        return category, None
    match = _CODE_WITH_LABEL.fullmatch(key)
    if match is not None:
        code = match["code"]
        label = match["label"] if match["label"] is not None else match["paren"]
        own_category, own_labels = FIVE_LEVELS[code]
        if label in own_labels:
            return own_category, None
        if spellings.get(label, "not_evaluated") != "not_evaluated" and not label.isdigit():
            return None, (
                f"達成度のコード {code} と表記「{label}」が一致しません"
                f"（{code} は「{own_labels[0]}」）。コードか表記のどちらかを直してください"
            )
    return None, REASON_ACHIEVEMENT


# ---------------------------------------------------------------- vectorised helpers


def _arrow(values: pd.Series) -> pa.Array:
    """The column as one Arrow string array (no copy for Arrow-backed columns)."""
    array = pa.array(values.astype(TEXT), type=pa.large_string())
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _encode(values: pd.Series | pa.Array) -> tuple[np.ndarray, list]:
    """Dictionary encoding: (index of each row's value, -1 for missing; the distinct values)."""
    array = values if isinstance(values, pa.Array) else _arrow(values)
    encoded = pc.dictionary_encode(array)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    indices = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    return indices.astype(np.int32, copy=False), encoded.dictionary.to_pylist()


def _map_distinct(values: pd.Series, function, dtype=object, encoded=None) -> np.ndarray:
    """``function`` applied once per distinct value, spread back over every row."""
    indices, distinct = _encode(values) if encoded is None else encoded
    mapped = np.array([function(u) for u in distinct], dtype=dtype)
    if not len(mapped):
        return np.empty(len(values), dtype=dtype)
    return mapped[indices]


def _stripped(values: pd.Series) -> pd.Series:
    return values.astype(TEXT).str.strip()


def _normalised_ids(values: pd.Series) -> pd.Series:
    """NFKC + strip; only non-ASCII ids need the per-value NFKC pass."""
    ids = _stripped(values)
    non_ascii = ~ids.str.isascii().to_numpy(dtype=bool)
    if non_ascii.any():
        ids = ids.copy()
        ids[non_ascii] = _map_distinct(
            ids[non_ascii], lambda v: unicodedata.normalize("NFKC", v).strip()
        )
    return ids


def _optional_text(values: pd.Series | None, length: int) -> pd.api.extensions.ExtensionArray:
    """Stripped text (Arrow's trim, as pandas' ``str.strip`` uses), empty as missing."""
    if values is None:
        return pd.array(pa.nulls(length, pa.large_string()), dtype=TEXT)
    text = pc.utf8_trim_whitespace(_arrow(values))
    return pd.array(pc.if_else(pc.equal(text, ""), None, text), dtype=TEXT)


# ---------------------------------------------------------------- one file


def _layout(table: RawTable, plan: Plan) -> _Layout:
    """Find each field's column in ``table``.

    Raises
    ------
    InputFileError
        If a required column is missing, a column is repeated, or a year header contradicts itself.
    """
    roles: dict[str, int] = {}
    years: dict[int, int] = {}
    ignored_years: list[str] = []
    for position, header in enumerate(table.header):
        role = header_role(header)
        if role is not None:
            if role in roles:
                first = table.header[roles[role]]
                if role == "bureau":
                    log.warning(
                        "%s: 列「%s」と「%s」はどちらも所管の列です。左の「%s」を使います",
                        table.file,
                        first,
                        header,
                        first,
                    )
                    continue
                raise InputFileError(
                    table.path,
                    f"列「{first}」と列「{header}」はどちらも {ROLE_LABELS[role]} の列です。"
                    "1つにしてください (the same field appears in two columns)",
                )
            roles[role] = position
            continue
        try:
            year = parse_fiscal_year_header(header)
        except ValueError as exc:
            raise InputFileError(
                table.path, f"列「{header}」の年度が矛盾しています: {exc}。どちらかを直してください"
            ) from exc
        if year is None:
            if _LOOKS_LIKE_A_YEAR.search(_key(header)):
                log.warning(
                    "%s: 列「%s」は年度の列のようですが、年度を読み取れないため使いません "
                    "(column ignored). "
                    "年度の列なら 2018年度、平成30年度、R3 のように書いてください",
                    table.file,
                    header,
                )
            elif _key(header):
                log.info(
                    "%s: 列「%s」は認識できないため使いません (column ignored)", table.file, header
                )
            continue
        if year in years:
            raise InputFileError(
                table.path,
                f"列「{table.header[years[year]]}」と列「{header}」はどちらも {year} 年度の列です。"
                "1つにしてください (two columns for the same fiscal year)",
            )
        years[year] = position
        if year not in plan.program_years:
            ignored_years.append(header)
    for role in REQUIRED_ROLES:
        if role not in roles:
            spellings = " / ".join(
                s if not s.isascii() else s.upper() if len(s) <= 2 else s.capitalize()
                for s in HEADER_ROLES[role]
            )
            raise InputFileError(
                table.path,
                f"{ROLE_LABELS[role]} の列がありません (no {role} column). "
                f"ヘッダー（1行目）に {spellings} のいずれかの列を置いてください"
                + _sheet_note(table),
            )
    program = ", ".join(str(y) for y in plan.program_years)
    for header in ignored_years:
        log.warning(
            "%s: 列「%s」は計画の年度 (%s) ではないため使いません (column ignored)",
            table.file,
            header,
            program,
        )
    kept = {y: p for y, p in years.items() if y in plan.program_years}
    if not kept:
        raise InputFileError(
            table.path,
            f"計画の年度 ({program}) の達成度の列がありません (no fiscal-year column). "
            "ヘッダーに 2018年度、平成30年度、R3 などの年度の列を置いてください"
            + _sheet_note(table),
        )
    return _Layout(roles, dict(sorted(kept.items())))


def _sheet_note(table: RawTable) -> str:
    """For a workbook read from its first sheet (none named 取組): which sheet, and the fix."""
    if table.sheet is None or table.sheet.strip() == PREFERRED_SHEET:
        return ""
    return (
        f" (シート「{table.sheet}」を読みました。"
        f"データのシートの名前を「{PREFERRED_SHEET}」にしてください)"
    )


@dataclass
class _Checked:
    """One file parsed: per-row fields, per-year achievement codes and the problems found."""

    table: RawTable
    layout: _Layout
    fields: pd.DataFrame
    achievement_codes: dict[int, np.ndarray]
    achievement_raw: dict[int, tuple[np.ndarray, list]]
    problems: list[pd.DataFrame]


def _problems(table: RawTable, mask: np.ndarray, position: int, reason) -> pd.DataFrame:
    """Rejected-table lines for the rows in ``mask`` at column ``position``.

    ``reason`` is one text for all, or a function of the row positions giving one text each.
    """
    where = np.flatnonzero(mask)
    cells = table.cells.iloc[where, position]
    reasons = reason if isinstance(reason, str) else reason(where)
    return pd.DataFrame(
        {
            "file": table.file,
            "row": table.cells.index.to_numpy()[where],
            "column": table.header[position],
            "value": cells.to_numpy(dtype=object),
            "reason": reasons,
            "_position": position,
        }
    )


def _check_table(table: RawTable, layout: _Layout, plan: Plan) -> _Checked:
    """Parse every field of ``table`` and list every problem (no raising for bad rows)."""
    cells = table.cells
    n = len(cells)
    roles = layout.roles
    problems: list[pd.DataFrame] = []

    ids = _normalised_ids(cells[roles["initiative_id"]]).reset_index(drop=True)
    id_blank = ids.eq("").to_numpy(dtype=bool)
    problems.append(_problems(table, id_blank, roles["initiative_id"], REASON_ID_BLANK))

    names = _stripped(cells[roles["name"]]).reset_index(drop=True)
    name_blank = names.eq("").to_numpy(dtype=bool)
    problems.append(_problems(table, name_blank, roles["name"], REASON_NAME_BLANK))

    goal_numbers = list(plan.goal_numbers)
    allowed_goals = "、".join(str(g) for g in goal_numbers)
    goal = _map_distinct(cells[roles["goal"]], lambda v: _or_minus_one(parse_goal(v)), np.int64)
    goal_unreadable = goal < 0
    goal_unknown = ~goal_unreadable & ~np.isin(goal, goal_numbers)
    problems.append(
        _problems(
            table,
            goal_unreadable,
            roles["goal"],
            f"基本目標を判別できません。{allowed_goals} のいずれか（１、基本目標1、Ⅰ なども可）"
            "を入力してください",
        )
    )
    problems.append(
        _problems(
            table,
            goal_unknown,
            roles["goal"],
            lambda where: [
                f"基本目標 {g} は計画にありません。{allowed_goals} のいずれかを入力してください"
                for g in goal[where]
            ],
        )
    )
    goal_ok = ~goal_unreadable & ~goal_unknown

    direction_cells = cells[roles["direction"]]
    encoded = _encode(direction_cells)
    direction_goal = _map_distinct(
        direction_cells, lambda v: _direction_part(v, 0), np.int64, encoded
    )
    direction = _map_distinct(direction_cells, lambda v: _direction_part(v, 1), np.int64, encoded)
    direction_unreadable = direction < 0
    disagree = goal_ok & ~direction_unreadable & (direction_goal > 0) & (direction_goal != goal)
    allowed_pairs = [g.goal * 1000 + d.direction for g in plan.goals for d in g.directions]
    unknown_direction = (
        goal_ok
        & ~direction_unreadable
        & ~disagree
        & ~np.isin(goal * 1000 + direction, allowed_pairs)
    )
    problems.append(
        _problems(
            table,
            direction_unreadable,
            roles["direction"],
            "取組の方向性を判別できません。方向性の番号（2、２、方向性2、Ⅱ など）または"
            "「基本目標-方向性」（1-2 など）を入力してください",
        )
    )
    problems.append(
        _problems(
            table,
            disagree,
            roles["direction"],
            lambda where: [
                f"取組の方向性の基本目標 {dg} が基本目標の列（{g}）と一致しません。"
                "どちらかを直してください"
                for dg, g in zip(direction_goal[where], goal[where], strict=True)
            ],
        )
    )
    allowed_directions = {
        g.goal: "、".join(str(d.direction) for d in g.directions) for g in plan.goals
    }
    problems.append(
        _problems(
            table,
            unknown_direction,
            roles["direction"],
            lambda where: [
                f"基本目標 {g} に取組の方向性 {d} はありません。"
                f"{allowed_directions[g]} のいずれかを入力してください"
                for g, d in zip(goal[where], direction[where], strict=True)
            ],
        )
    )

    spellings = achievement_spellings(plan)
    category_code = {c: i for i, c in enumerate(ACHIEVEMENTS)}
    codes: dict[int, np.ndarray] = {}
    raw: dict[int, tuple[np.ndarray, list]] = {}
    for year, position in layout.years.items():
        raw[year] = _encode(cells[position])
        indices, distinct = raw[year]
        readings = [read_achievement(v, spellings) for v in distinct]
        distinct_codes = np.array(
            [category_code.get(c, _NOT_A_CODE) for c, _ in readings] + [_NOT_A_CODE], np.int64
        )
        distinct_reasons = np.array([r for _, r in readings] + [REASON_ACHIEVEMENT], object)
        code = distinct_codes[indices]
        codes[year] = code
        problems.append(
            _problems(
                table,
                code == _NOT_A_CODE,
                position,
                lambda where, i=indices, r=distinct_reasons: r[i[where]].tolist(),
            )
        )

    fields = pd.DataFrame(
        {
            "initiative_id": ids,
            "goal": goal,
            "direction": direction,
            "name": names,
            "bureau": _optional_text(cells[roles["bureau"]] if "bureau" in roles else None, n),
            "reason": _optional_text(cells[roles["reason"]] if "reason" in roles else None, n),
            "source_row": cells.index.to_numpy(dtype=np.int64),
        },
        copy=False,  # copying would stack the int columns into one 2-D block: a needless copy
    )
    return _Checked(table, layout, fields, codes, raw, problems)


# ---------------------------------------------------------------- all files


def _repeated(ids: pa.Array) -> np.ndarray:
    """Which entries of ``ids`` occur more than once; a sort, skipped when already ascending."""
    n = len(ids)
    repeated = np.zeros(n, dtype=bool)
    if n < 2 or pc.all(pc.less(ids[:-1], ids[1:])).as_py():
        return repeated
    order = pc.sort_indices(ids).to_numpy()
    ordered = ids.take(pa.array(order))
    same = pc.equal(ordered[:-1], ordered[1:]).to_numpy(zero_copy_only=False)
    in_group = np.zeros(n, dtype=bool)
    in_group[:-1] |= same
    in_group[1:] |= same
    repeated[order[in_group]] = True
    return repeated


def _duplicate_problems(checked: list[_Checked]) -> list[pd.DataFrame]:
    """Both (all) places of an id that appears more than once, each naming the others."""
    all_ids = pa.concat_arrays([_arrow(c.fields["initiative_id"]) for c in checked])
    repeated_mask = _repeated(all_ids) & pc.not_equal(all_ids, "").to_numpy(zero_copy_only=False)
    lines = []
    if repeated_mask.any():
        where = np.flatnonzero(repeated_mask)
        sizes = [len(c.fields) for c in checked]
        parts = np.repeat(np.arange(len(checked)), sizes)[where]
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        repeated = pd.DataFrame(
            {
                "part": parts,
                "initiative_id": all_ids.take(pa.array(where)).to_pylist(),
                "file": [checked[p].table.file for p in parts],
                "row": [
                    int(checked[p].fields["source_row"].iat[i - starts[p]])
                    for p, i in zip(parts, where, strict=True)
                ],
            }
        )
    else:
        repeated = pd.DataFrame(columns=["part", "initiative_id", "file", "row"])
    for initiative_id, group in repeated.groupby("initiative_id", sort=True):
        places = list(group[["part", "file", "row"]].itertuples(index=False, name=None))
        for part, file, row in places:
            others = "、".join(f"{f} 行 {r}" for p, f, r in places if (f, r) != (file, row))
            c = checked[part]
            position = c.layout.roles["initiative_id"]
            lines.append(
                {
                    "part": part,
                    "file": file,
                    "row": int(row),
                    "column": c.table.header[position],
                    "value": c.table.cells.at[row, position],
                    "reason": f"取組番号「{initiative_id}」が重複しています"
                    f"（{others} と同じ番号）。{REASON_DUPLICATE_FIX}",
                    "_position": position,
                }
            )
    if not lines:
        return [pd.DataFrame(columns=["part", *REJECTED_COLUMNS, "_position"])]
    return [pd.DataFrame(lines)]


def _categories(
    pieces: list[tuple[np.ndarray, list]],
) -> tuple[list[np.ndarray], pd.CategoricalDtype]:
    """Codes of several dictionary encodings mapped onto one set of sorted text categories."""
    categories = sorted({v for _, distinct in pieces for v in distinct if v is not None})
    position = {v: i for i, v in enumerate(categories)}
    codes = []
    for indices, distinct in pieces:
        lookup = np.array([position.get(v, -1) for v in distinct] + [-1], dtype=np.int32)
        codes.append(lookup[indices])
    return codes, pd.CategoricalDtype(pd.Index(categories, dtype=TEXT))


def _categorical(codes: np.ndarray, dtype: pd.CategoricalDtype) -> pd.Categorical:
    """A Categorical of ``codes`` keeping only the categories in use (still sorted)."""
    used = np.bincount(codes + 1, minlength=len(dtype.categories) + 1)[1:] > 0
    if not used.all():
        renumber = np.append(np.cumsum(used) - 1, -1).astype(np.int32)
        codes = renumber[codes]
        dtype = pd.CategoricalDtype(dtype.categories[used])
    return pd.Categorical.from_codes(codes, dtype=dtype)


def _tidy(
    checked: list[_Checked], rejected_rows: list[np.ndarray], plan: Plan
) -> tuple[pd.DataFrame, list[int]]:
    """Long table of accepted rows (one per initiative and program year in its file), sorted,
    and the number of raw rows behind it in each file.

    Repeated text (bureau, reason, file, achievement as written) becomes categoricals, so that
    the long table repeats small integer codes rather than strings.
    """
    years = list(plan.program_years)
    k = len(years)
    keeps = [
        ~np.isin(c.fields["source_row"].to_numpy(), bad)
        for c, bad in zip(checked, rejected_rows, strict=True)
    ]
    sizes = [int(keep.sum()) for keep in keeps]
    n = sum(sizes)

    def numbers(name: str) -> np.ndarray:
        return np.concatenate(
            [
                c.fields[name].to_numpy(dtype=np.int64)[keep]
                for c, keep in zip(checked, keeps, strict=True)
            ]
        )

    def text(name: str) -> pa.Array:
        return pa.concat_arrays(
            [
                _arrow(c.fields[name]).filter(pa.array(keep))
                for c, keep in zip(checked, keeps, strict=True)
            ]
        )

    goal, direction, source_row = numbers("goal"), numbers("direction"), numbers("source_row")
    part = np.repeat(np.arange(len(checked), dtype=np.int32), sizes)
    ids = text("initiative_id")

    # Sort by (goal, direction) rank, then id: a stable integer sort over the ids' order.
    pair = goal * 1000 + direction
    pairs = np.unique(pair[:: max(1, n // 4096)]) if n else pair
    pair_rank = np.searchsorted(pairs, pair)
    if n and not np.array_equal(pairs[np.minimum(pair_rank, len(pairs) - 1)], pair):
        pairs, pair_rank = np.unique(pair, return_inverse=True)
    pair_rank = pair_rank.astype(np.int16 if len(pairs) < 2**15 else np.int64)
    if n > 1 and not pc.all(pc.less(ids[:-1], ids[1:])).as_py():
        id_order = pc.sort_indices(ids).to_numpy()
        order = id_order[np.argsort(pair_rank[id_order], kind="stable")]
    else:
        order = np.argsort(pair_rank, kind="stable")

    # Row i of the sorted wide table becomes rows (i, year) for each year its file has.
    codes = np.full((n, k), _NOT_A_CODE, dtype=np.int8)
    raw_pieces, raw_slots = [], []
    start = 0
    for c, keep, size in zip(checked, keeps, sizes, strict=True):
        for j, year in enumerate(years):
            if year in c.layout.years:
                codes[start : start + size, j] = c.achievement_codes[year][keep]
                indices, distinct = c.achievement_raw[year]
                raw_pieces.append((indices[keep], distinct))
                raw_slots.append((start, size, j))
        start += size
    raw_parts, raw_dtype = _categories(raw_pieces)
    raw_codes = np.full((n, k), -1, dtype=np.int32)
    for (first, size, j), piece in zip(raw_slots, raw_parts, strict=True):
        raw_codes[first : first + size, j] = piece
    codes = codes[order].ravel()
    present = codes != _NOT_A_CODE
    rows = np.repeat(order, k)[present]
    take = pa.array(rows)

    strings = pa.table({"initiative_id": ids.take(take), "name": text("name").take(take)})
    strings = strings.to_pandas(types_mapper={pa.large_string(): TEXT}.get, split_blocks=True)
    optional = {}
    for name in ("bureau", "reason"):
        (indices,), dtype = _categories([_encode(text(name))])
        optional[name] = _categorical(indices[rows], dtype)
    files = sorted({c.table.file for c in checked})
    file_codes = np.array([files.index(c.table.file) for c in checked], dtype=np.int32)
    file_dtype = pd.CategoricalDtype(pd.Index(files, dtype=TEXT))
    tidy = pd.DataFrame(
        {
            "initiative_id": strings["initiative_id"],
            "goal": goal[rows],
            "direction": direction[rows],
            "name": strings["name"],
            "bureau": optional["bureau"],
            "fiscal_year": np.tile(np.asarray(years, dtype=np.int64), n)[present],
            "achievement": pd.Categorical.from_codes(codes[present], dtype=ACHIEVEMENT_DTYPE),
            "achievement_raw": _categorical(raw_codes[order].ravel()[present], raw_dtype),
            "reason": optional["reason"],
            "source_file": _categorical(file_codes[part[rows]], file_dtype),
            "source_row": source_row[rows],
        },
        copy=False,  # copying would stack the int columns into one 2-D block: a needless copy
    )
    behind = present.reshape(n, k).any(axis=1)
    accepted = np.bincount(part[order][behind], minlength=len(checked))
    return tidy, [int(a) for a in accepted]


def _plan_file_name(plan: Plan) -> str:
    """The plan file as a relative name: ``plan.toml`` from the raw folder, or the bundled path."""
    source = Path(plan.source)
    if source.resolve() == BUNDLED_PLAN.resolve():
        return BUNDLED_PLAN.relative_to(PROJECT_ROOT).as_posix()
    return source.name


def clean(raw_dir: Path, plan: Plan | None = None) -> CleanResult:
    """Read and clean every initiatives file in ``raw_dir``; bad rows are rejected, not raised.

    Raises
    ------
    InputFileError
        If the folder or its files cannot be read (no file, empty, wrong format, missing column).
    PlanDefinitionError
        If the plan definition in force is invalid.
    TidyValidationError
        If the tidy table breaks its schema (a bug in cleaning).
    """
    raw_dir = Path(raw_dir)
    if plan is None:
        plan = load_plan(raw_dir)
    checked = []
    for path in find_initiative_files(raw_dir):
        table = read_initiative_file(path)
        layout = _layout(table, plan)
        if table.cells.empty:
            log.warning("%s: ヘッダーだけで、取組の行がありません", table.file)
        checked.append(_check_table(table, layout, plan))

    duplicates = _duplicate_problems(checked)
    all_problems = pd.concat(
        [p.assign(part=i) for i, c in enumerate(checked) for p in c.problems] + duplicates,
        ignore_index=True,
    )
    all_problems = all_problems.sort_values(
        ["part", "row", "_position", "reason"], kind="stable", ignore_index=True
    )
    rejected_rows = [
        np.unique(all_problems.loc[all_problems["part"].eq(i), "row"].to_numpy(dtype=np.int64))
        for i in range(len(checked))
    ]
    rejected = pd.DataFrame(
        {
            "file": all_problems["file"].astype(TEXT),
            "row": all_problems["row"].astype("int64"),
            "column": all_problems["column"].astype(TEXT),
            "value": all_problems["value"].astype(TEXT),
            "reason": all_problems["reason"].astype(TEXT),
        }
    )
    tidy, accepted = _tidy(checked, rejected_rows, plan)
    tidy = validate_tidy(tidy, plan)

    files = []
    for c, bad, accepted_rows in zip(checked, rejected_rows, accepted, strict=True):
        files.append(
            {
                "file": c.table.file,
                "sha256": c.table.sha256,
                "raw_rows": len(c.table.cells),
                "accepted_rows": accepted_rows,
                "rejected_rows": len(bad),
            }
        )
    manifest = {
        "package_version": __version__,
        "plan": {"file": _plan_file_name(plan), "sha256": file_sha256(plan.source)},
        "files": files,
        "totals": {
            key: sum(f[key] for f in files)
            for key in ("raw_rows", "accepted_rows", "rejected_rows")
        },
    }
    return CleanResult(tidy=tidy, rejected=rejected, manifest=manifest, plan=plan)


def check_manifest(manifest: dict) -> None:
    """Check that every raw row was either accepted or rejected.

    Raises
    ------
    ManifestMismatchError
        If raw rows differ from accepted plus rejected rows for some file.
    """
    for f in manifest["files"]:
        if f["raw_rows"] != f["accepted_rows"] + f["rejected_rows"]:
            raise ManifestMismatchError(
                f"{f['file']}: 行数が合いません (row counts do not add up): "
                f"raw {f['raw_rows']} != accepted {f['accepted_rows']} + "
                f"rejected {f['rejected_rows']}. kawaeval の不具合として報告してください"
            )


def clean_records(
    raw_dir: Path, out_dir: Path | None = None, allow_rejects: bool = False
) -> CleanResult:
    """Clean, check the manifest, stop on rejected rows unless allowed, then write outputs.

    Outputs (``tidy.parquet``, ``tidy.csv``, ``rejected.csv``, ``manifest.json``) replace the
    previous ones only once all of them are written; a failed run leaves the old ones in place.

    Raises
    ------
    InputFileError, PlanDefinitionError
        If the inputs cannot be read.
    ManifestMismatchError
        If some raw row was neither accepted nor rejected.
    RejectedRowsError
        If rows were rejected and ``allow_rejects`` is False (nothing is written).
    OutputWriteError
        If ``out_dir`` cannot be written to.
    """
    result = clean(raw_dir)
    check_manifest(result.manifest)
    if len(result.rejected) and not allow_rejects:
        raise RejectedRowsError(result.rejected)
    if out_dir is not None:
        write_outputs(result, Path(out_dir))
    return result


def write_outputs(result: CleanResult, out_dir: Path) -> None:
    """Write the four outputs into ``out_dir`` byte-for-byte reproducibly, replacing atomically.

    Raises
    ------
    OutputWriteError
        If the folder cannot be created or written to; earlier outputs are left as they were.
    """
    try:
        _write_outputs(result, Path(out_dir))
    except OSError as exc:
        raise OutputWriteError(out_dir, exc.strerror or str(exc)) from exc


def _write_outputs(result: CleanResult, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".kawaeval-clean-", dir=out_dir))
    try:
        plain = result.tidy.assign(
            **{c: _decoded(result.tidy[c]) for c in _categorical_text(result.tidy)}
        )
        table = pa.Table.from_pandas(plain, preserve_index=False)
        pq.write_table(table, staging / "tidy.parquet", compression="snappy")
        _write_csv(result.tidy, staging / "tidy.csv")
        _write_csv(result.rejected, staging / "rejected.csv")
        (staging / "manifest.json").write_text(
            json.dumps(result.manifest, ensure_ascii=False, indent=2) + "\n",
            encoding="utf-8",
            newline="\n",
        )
        for name in OUTPUT_FILES:
            os.replace(staging / name, out_dir / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _categorical_text(frame: pd.DataFrame) -> list[str]:
    """Columns holding text as a categorical (decoded to plain strings in tidy.parquet)."""
    return [
        c
        for c in frame.columns
        if isinstance(frame[c].dtype, pd.CategoricalDtype) and frame[c].cat.categories.dtype == TEXT
    ]


def _decoded(column: pd.Series) -> pd.Series:
    """A categorical text column as plain Arrow strings (an Arrow take; pandas' astype is slow)."""
    encoded = pa.array(column.array)
    dictionary = encoded.dictionary.cast(pa.large_string())
    decoded = pa.table({"text": dictionary.take(encoded.indices)})
    text = decoded.to_pandas(types_mapper={pa.large_string(): TEXT}.get)["text"]
    return text.set_axis(column.index)


CSV_CHUNK_ROWS = 262_144
_NEEDS_QUOTES = '[,"\n]'


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """CSV in UTF-8 with BOM (Excel in Japan opens it as is), "\\n" line endings.

    The bytes are those of ``DataFrame.to_csv(index=False)`` (minimal quoting: a field is quoted
    when it holds a comma, a double quote or a line feed), built with Arrow kernels a chunk of
    rows at a time; a column of another type falls back to pandas.
    """
    if not all(_csv_field_kind(frame[c]) for c in frame.columns):
        frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
        return
    header = ",".join(_csv_quote(str(c)) for c in frame.columns) + "\n"
    with path.open("wb") as handle:
        handle.write(codecs.BOM_UTF8 + header.encode("utf-8"))
        for first in range(0, len(frame), CSV_CHUNK_ROWS):
            chunk = frame.iloc[first : first + CSV_CHUNK_ROWS]
            fields = [_csv_fields(chunk[c]) for c in chunk.columns]
            lines = pc.binary_join_element_wise(
                pc.binary_join_element_wise(*fields, _large(",")), _large(""), _large("\n")
            )
            handle.write(_string_bytes(lines))


def _csv_quote(text: str) -> str:
    if re.search(_NEEDS_QUOTES, text):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_field_kind(column: pd.Series) -> str | None:
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical" if dtype.categories.dtype in (TEXT, "str", object) else None
    if dtype == TEXT:
        return "text"
    if pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_extension_array_dtype(dtype):
        return "integer"
    return None


def _csv_fields(column: pd.Series) -> pa.Array:
    """One CSV field per row as Arrow strings: quoted where needed, missing as empty."""
    kind = _csv_field_kind(column)
    if kind == "integer":
        return pc.cast(pa.array(column.to_numpy()), pa.large_string())
    if kind == "categorical":
        categories = [_csv_quote(str(v)) for v in column.cat.categories]
        codes = column.cat.codes.to_numpy()
        indices = pa.array(codes, mask=codes < 0)
        fields = pa.array(categories, type=pa.large_string()).take(indices)
        return pc.fill_null(fields, "")
    text = _arrow(column)
    quote = pc.match_substring_regex(text, _NEEDS_QUOTES)
    if pc.any(quote).as_py():
        quote_mark = _large('"')
        escaped = pc.binary_join_element_wise(
            quote_mark, pc.replace_substring(text, '"', '""'), quote_mark, _large("")
        )
        text = pc.if_else(quote, escaped, text)
    return pc.fill_null(text, "")


def _large(text: str) -> pa.Scalar:
    return pa.scalar(text, type=pa.large_string())


def _string_bytes(array: pa.Array) -> memoryview:
    """The characters of a (large) string array, back to back, without copying."""
    array = array.cast(pa.large_string())
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset :]
    data = array.buffers()[2]
    if data is None:
        return memoryview(b"")
    return memoryview(data)[int(offsets[0]) : int(offsets[len(array)])]
