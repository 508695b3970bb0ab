"""Raw initiatives tables -> the tidy table, the rejected rows and the manifest.

Finds each field's column in a sheet, checks every row, finds duplicate ids and builds the
tidy frame. What a spelling means lives in :mod:`kawaeval.records.spellings`; writing the outputs in
:mod:`kawaeval.records.outputs`. Work is vectorised: each column's *distinct* values are read once,
then mapped back onto the rows, and the tidy table is built with Arrow takes rather than a
Python loop per cell.
"""

from __future__ import annotations

import dataclasses
import logging
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kawaeval.common.files import file_sha256
from kawaeval.exceptions import (
    DuplicateFileError,
    FormulaWithoutValueError,
    InputFileError,
    ManifestMismatchError,
    MissingFiscalYearsError,
    MissingInitiativesError,
    RejectedRowsError,
)
from kawaeval.paths import BUNDLED_PLAN, PROJECT_ROOT
from kawaeval.plan import ACHIEVEMENTS, Plan, load_plan
from kawaeval.records.folder import FolderEntry, find_initiative_files, survey_folder
from kawaeval.records.outputs import CleanResult, write_outputs
from kawaeval.records.reading import RawTable, column_letter, describe_rows, read_initiative_file
from kawaeval.records.spellings import (
    HEADER_ROLES,
    LOOKS_LIKE_A_YEAR,
    REASON_ACHIEVEMENT,
    REASON_DUPLICATE_FIX,
    REASON_ID_BLANK,
    REASON_NAME_BLANK,
    REQUIRED_ROLES,
    ROLE_LABELS,
    TRIMMED,
    YEAR_KINDS,
    achievement_spellings,
    header_role,
    parse_direction,
    parse_goal,
    read_achievement,
    read_year_header,
    remove_invisible,
    row_marker,
    spelling_key,
    visible,
)
from kawaeval.records.validating import (
    ACHIEVEMENT_DTYPE,
    TEXT,
    is_in_small,
    text_array,
    validate_tidy,
)
from kawaeval.records.workbooks import PREFERRED_SHEET
from kawaeval.version import __version__

__all__ = [  # CleanResult and write_outputs are imported from here by building and the CLI
    "TIDY_COLUMNS",
    "CleanResult",
    "check_manifest",
    "clean",
    "clean_records",
    "write_outputs",
]

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
    "former_ids",
    "source_file",
    "source_row",
]

_NOT_A_CODE = -1


@dataclass
class _Layout:
    """Which column of a file holds which field, by position."""

    roles: dict[str, int]
    years: dict[int, int] = field(default_factory=dict)
    actual_years: set[int] = field(default_factory=set)  # read from a 実績 column alone
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (header, why not used)
    unlabeled: list[int] = field(default_factory=list)  # positions of blank headers


# ---------------------------------------------------------------- cells to numbers


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


# ---------------------------------------------------------------- vectorised helpers


def _encode(values: pd.Series | pa.Array) -> tuple[np.ndarray, list]:
    """Dictionary encoding: (index of each row's value, -1 for missing; the distinct values)."""
    array = values if isinstance(values, pa.Array) else text_array(values)
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
    """Text with spaces and invisible characters (zero-width space, BOM...) trimmed at both
    ends: one Arrow trim, as cheap as trimming spaces alone."""
    return values.astype(TEXT).str.strip(TRIMMED)


def _normalised_ids(values: pd.Series, with_mask: bool = False):
    """NFKC + strip; only non-ASCII ids need the per-value NFKC pass (and only they can hold
    invisible characters). With ``with_mask``, also which ids were not ASCII."""
    ids = _stripped(values)
    non_ascii = ~ids.str.isascii().to_numpy(dtype=bool)
    if non_ascii.any():
        ids = ids.copy()
        ids[non_ascii] = _map_distinct(
            ids[non_ascii], lambda v: remove_invisible(unicodedata.normalize("NFKC", v)).strip()
        )
    return (ids, non_ascii) if with_mask else ids


def _markers(table: RawTable, ids: pd.Series, candidates: np.ndarray) -> list[dict]:
    """Totals rows (合計, 計, 小計…) and note lines (※…) among the candidate rows (a blank id,
    or one that is such a word): the row's first cell that is not blank says so; a note stands
    alone."""
    found = []
    for i in np.flatnonzero(candidates):
        row = table.cells.iloc[i].tolist()
        filled = [v for v in row if spelling_key(v)]
        if not filled:
            continue
        marker = row_marker(filled[0])
        if marker is None or (marker == "note" and len(filled) > 1):
            continue
        if ids.iat[i] and row_marker(ids.iat[i]) is None:
            continue  # an id of its own: a record, whatever else the row says
        found.append(
            {"row": int(table.cells.index[i]), "kind": marker, "text": visible(filled[0].strip())}
        )
    return found


def _optional_text(values: pd.Series | None, length: int) -> tuple[np.ndarray, list]:
    """An optional text column as (code of each row's distinct value, the distinct values
    trimmed with empty ones as None): trimming a few distinct bureaus or reasons, not a million
    cells."""
    if values is None:
        return np.full(length, -1, dtype=np.int32), []
    indices, distinct = _encode(values)
    distinct = [remove_invisible(v) if v is not None else None for v in distinct]
    trimmed = pc.utf8_trim_whitespace(pa.array(distinct, type=pa.large_string())).to_pylist()
    return indices, [text or None for text in trimmed]


# ---------------------------------------------------------------- one file


def _check_formulas(table: RawTable, layout: _Layout) -> None:
    """Refuse formulas without a saved result in the columns cleaning reads.

    A formula in a column cleaning ignores (the input workbook's looked-up direction name,
    say) does not matter, whoever saved the file.

    Raises
    ------
    FormulaWithoutValueError
        If a read column holds a formula whose result was not saved (names the first cell).
    """
    if not table.formulas_without_values:
        return
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    used = {*layout.roles.values(), *layout.years.values()}
    missing = [
        cell
        for cell in table.formulas_without_values
        if column_index_from_string(coordinate_from_string(cell)[0]) - 1 in used
    ]
    if missing:
        raise FormulaWithoutValueError(table.path, table.sheet, missing[0], len(missing))


def _layout(table: RawTable, plan: Plan) -> _Layout:
    """Find each field's column in ``table``.

    Every header that names a year is read or stops the run: a year column is the achievement
    (a ``達成度`` column, or a ``実績`` column alone for its year, whose values are checked
    later); ``目標`` and ``実績`` columns beside a year's achievement are named and ignored.

    Raises
    ------
    InputFileError
        If a required column is missing, a column is repeated, a header looks like a year but
        cannot be read or contradicts itself, or a program year has only a target column.
    """
    roles: dict[str, int] = {}
    by_year: dict[int, dict[str, list[int]]] = {}
    ignored: list[tuple[str, str]] = []
    unlabeled: list[int] = []
    note = _header_note(table)
    for position, header in enumerate(table.header):
        shown = visible(header)
        if not spelling_key(header):
            unlabeled.append(position)
            continue
        role = header_role(header)
        if role is not None:
            if role in roles:
                first = visible(table.header[roles[role]])
                if role == "bureau":
                    log.warning(
                        "%s: 列「%s」と「%s」はどちらも所管の列です。左の「%s」を使います",
                        table.file,
                        first,
                        shown,
                        first,
                    )
                    ignored.append((header, f"所管の列は左の「{first}」を使います"))
                    continue
                raise InputFileError(
                    table.path,
                    f"列「{first}」と列「{shown}」はどちらも {ROLE_LABELS[role]} の列です。"
                    "1つにしてください (the same field appears in two columns)" + note,
                )
            roles[role] = position
            continue
        try:
            read = read_year_header(header)
        except ValueError as exc:
            raise InputFileError(
                table.path,
                f"列「{shown}」の年度が矛盾しています: {exc}。どちらかを直してください" + note,
            ) from exc
        if read is None:
            if LOOKS_LIKE_A_YEAR.search(spelling_key(header).upper()):
                raise InputFileError(
                    table.path,
                    f"列「{shown}」は年度を含んでいますが、何の列か読み取れません "
                    "(a header that looks like a year cannot be read). "
                    "達成度の列なら「2019年度」「令和元年度」「R1」「2019年度 達成度」のように、"
                    "指標の実績値・目標値なら「2019年度 実績」「2019年度 目標」のように書き、"
                    "どちらでもなければ見出しから年度を外してください" + note,
                )
            log.info("%s: 列「%s」は認識できないため使いません (column ignored)", table.file, shown)
            ignored.append((header, "認識できない列"))
            continue
        by_year.setdefault(read.year, {}).setdefault(read.kind, []).append(position)
    for role in REQUIRED_ROLES:
        if role not in roles:
            spellings = " / ".join(
                s if not s.isascii() else s.upper() if len(s) <= 2 else s.capitalize()
                for s in HEADER_ROLES[role]
            )
            raise InputFileError(
                table.path,
                f"{ROLE_LABELS[role]} の列がありません (no {role} column). "
                f"ヘッダー（{_header_rows_text(table)}）に {spellings} のいずれかの列を"
                "置いてください" + _sheet_note(table) + note,
            )
    program = ", ".join(str(y) for y in plan.program_years)
    years: dict[int, int] = {}
    actual_years: set[int] = set()
    for year in sorted(by_year):
        kinds = by_year[year]
        if year not in plan.program_years:
            for positions in kinds.values():
                for position in positions:
                    log.warning(
                        "%s: 列「%s」は計画の年度 (%s) ではないため使いません (column ignored)",
                        table.file,
                        visible(table.header[position]),
                        program,
                    )
                    ignored.append((table.header[position], f"計画の年度 ({program}) ではない"))
            continue
        for kind in ("achievement", "actual"):
            positions = kinds.get(kind, [])
            if len(positions) > 1:
                first, second = (visible(table.header[p]) for p in positions[:2])
                raise InputFileError(
                    table.path,
                    f"列「{first}」と列「{second}」はどちらも {year} 年度の"
                    f"{'' if kind == 'achievement' else YEAR_KINDS[kind]}列です。1つにしてください "
                    "(two columns for the same fiscal year)" + note,
                )
        chosen_kind = next((k for k in ("achievement", "actual") if kinds.get(k)), None)
        if chosen_kind is None:
            header = visible(table.header[kinds["target"][0]])
            raise InputFileError(
                table.path,
                f"列「{header}」は {year} 年度の目標（値）の列で、{year} 年度の達成度の列が"
                f"ありません (a target column, but no achievement column for {year}). "
                f"達成度の列（見出しは「{year}年度」「{year}年度 達成度」など）を加えてください"
                + note,
            )
        years[year] = kinds[chosen_kind][0]
        if chosen_kind == "actual":
            actual_years.add(year)
        chosen = visible(table.header[years[year]])
        for kind, positions in kinds.items():
            for position in positions:
                if position == years[year]:
                    continue
                why = f"{year} 年度の{YEAR_KINDS[kind]}の列（達成度は列「{chosen}」から読みます）"
                log.info("%s: 列「%s」は%s", table.file, visible(table.header[position]), why)
                ignored.append((table.header[position], why))
    if not years:
        raise InputFileError(
            table.path,
            f"計画の年度 ({program}) の達成度の列がありません (no fiscal-year column). "
            "ヘッダーに 2018年度、平成30年度、R3 などの年度の列を置いてください"
            + _sheet_note(table)
            + (note or _years_below_note(table)),
        )
    return _Layout(roles, dict(sorted(years.items())), actual_years, ignored, unlabeled)


def _sheet_note(table: RawTable) -> str:
    """For a workbook read from its first sheet (none named 取組): which sheet, and the fix."""
    if table.sheet is None or spelling_key(table.sheet) == PREFERRED_SHEET:
        return ""
    return (
        f" (シート「{table.sheet}」を読みました。"
        f"データのシートの名前を「{PREFERRED_SHEET}」にしてください)"
    )


def _header_rows_text(table: RawTable) -> str:
    rows = table.header_rows
    return f"{rows[0]}行目" if len(rows) == 1 else f"{rows[0]}〜{rows[-1]}行目"


def _header_note(table: RawTable) -> str:
    """For a header read from two rows: that it was, and the fix if it cannot be read."""
    if len(table.header_rows) < 2:
        return ""
    first, last = table.header_rows[0], table.header_rows[-1]
    return (
        f" (見出しが2行になっています: 行 {first} と行 {last} を合わせて読みました。"
        "読めないときは見出しを1行にまとめてください)"
    )


def _years_below_note(table: RawTable) -> str:
    """When the row under the header names years: the header spans two rows."""
    if table.cells.empty:
        return ""
    row = table.cells.iloc[0]
    if any(LOOKS_LIKE_A_YEAR.search(spelling_key(v).upper()) for v in row.tolist()):
        return (
            f" (見出しが2行になっています: 行 {int(table.cells.index[0])} に年度があります。"
            "見出しを1行にまとめ、年度ごとの列の見出しに年度を書いてください)"
        )
    return ""


def _blank_cells(values: pd.Series) -> np.ndarray:
    return _stripped(values).eq("").to_numpy(dtype=bool)


def _check_actual_column(table: RawTable, year: int, position: int, code: np.ndarray) -> None:
    """A 実績 column read as a year's achievement must hold achievement values only.

    Raises
    ------
    InputFileError
        If a value is not an achievement (an indicator's actual value, say), naming the
        header, the row and the value.
    """
    bad = np.flatnonzero(code == _NOT_A_CODE)
    if not len(bad):
        log.info(
            "%s: 列「%s」を %s 年度の達成度として読みました（値がすべて達成度です）",
            table.file,
            visible(table.header[position]),
            year,
        )
        return
    row = int(table.cells.index[bad[0]])
    value = visible(table.cells.iat[bad[0], position])
    header = visible(table.header[position])
    raise InputFileError(
        table.path,
        f"列「{header}」は {year} 年度の実績の列ですが、値が達成度ではありません"
        f"（行 {row} の値「{value}」{'' if len(bad) == 1 else f'ほか {len(bad) - 1} 件'}）"
        f" (the only {year} column holds actual values, not achievements). "
        f"この列が達成度なら見出しを「{year}年度 達成度」にして値を直し、指標の実績値の列なら "
        f"{year} 年度の達成度の列を加えてください" + _header_note(table),
    )


@dataclass
class _Checked:
    """One file parsed: per-row fields, per-year achievement codes and the problems found."""

    table: RawTable
    layout: _Layout
    fields: pd.DataFrame
    achievement_codes: dict[int, np.ndarray]
    achievement_raw: dict[int, tuple[np.ndarray, list]]
    optional: dict[str, tuple[np.ndarray, list]]  # bureau, reason: codes and distinct values
    problems: list[pd.DataFrame]
    excluded: list[dict] = field(default_factory=list)  # totals rows and notes: row, kind, text
    former_ids: pd.Series | None = None  # 旧取組番号 of each row (cleaned), when the file has it


def _problems(
    table: RawTable, mask: np.ndarray, position: int, reason, column: str | None = None
) -> pd.DataFrame:
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
            "column": table.header[position] if column is None else column,
            "value": cells.to_numpy(dtype=object),
            "reason": reasons,
            "_position": position,
        }
    )


def _check_table(table: RawTable, layout: _Layout, plan: Plan) -> _Checked:
    """Parse every field of ``table`` and list every problem (no raising for bad rows)."""
    roles = layout.roles
    problems: list[pd.DataFrame] = []

    ids, non_ascii = _normalised_ids(table.cells[roles["initiative_id"]], with_mask=True)
    ids = ids.reset_index(drop=True)
    id_blank = ids.eq("").to_numpy(dtype=bool)
    candidates = id_blank.copy()  # a totals or note row has a blank id, or the word in it
    if non_ascii.any():
        candidates[non_ascii] = _map_distinct(
            ids[non_ascii], lambda v: row_marker(v) is not None, bool
        )
    excluded = _markers(table, ids, candidates)
    if excluded:
        keep = ~table.cells.index.isin([e["row"] for e in excluded])
        table = dataclasses.replace(table, cells=table.cells[keep])
        ids, id_blank = ids[keep].reset_index(drop=True), id_blank[keep]
    cells = table.cells
    n = len(cells)
    problems.append(_problems(table, id_blank, roles["initiative_id"], REASON_ID_BLANK))

    names = _stripped(cells[roles["name"]]).reset_index(drop=True)
    name_blank = names.eq("").to_numpy(dtype=bool)
    problems.append(_problems(table, name_blank, roles["name"], REASON_NAME_BLANK))

    goal_numbers = list(plan.goal_numbers)
    allowed_goals = "、".join(str(g) for g in goal_numbers)
    goal = _map_distinct(cells[roles["goal"]], lambda v: _or_minus_one(parse_goal(v)), np.int64)
    goal_unreadable = goal < 0
    goal_unknown = ~goal_unreadable & ~is_in_small(goal, goal_numbers)
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
        & ~is_in_small(goal * 1000 + direction, allowed_pairs)
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
        if year in layout.actual_years:
            _check_actual_column(table, year, position, code)
        problems.append(
            _problems(
                table,
                code == _NOT_A_CODE,
                position,
                lambda where, i=indices, r=distinct_reasons: r[i[where]].tolist(),
            )
        )

    for position in layout.unlabeled:
        problems.append(
            _problems(
                table,
                ~_blank_cells(cells[position]),
                position,
                "見出しのない列に値があります (a value in a column without a header). "
                "セルがずれていないか（取組名などにコンマが入っていないか）確認し、"
                "値を正しい列に移すか削除してください",
                column=f"（{column_letter(position)}列・見出しなし）",
            )
        )

    fields = pd.DataFrame(
        {
            "initiative_id": ids,
            "goal": goal,
            "direction": direction,
            "name": names,
            "source_row": cells.index.to_numpy(dtype=np.int64),
        },
        copy=False,  # copying would stack the int columns into one 2-D block: a needless copy
    )
    optional = {
        name: _optional_text(cells[roles[name]] if name in roles else None, n)
        for name in ("bureau", "reason")
    }
    former = None
    if "former_id" in roles:
        former = _normalised_ids(cells[roles["former_id"]]).reset_index(drop=True)
    return _Checked(table, layout, fields, codes, raw, optional, problems, excluded, former)


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
    all_ids = pa.concat_arrays([text_array(c.fields["initiative_id"]) for c in checked])
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
        columns = ["part", "file", "row", "column", "value", "reason", "_position"]
        return [pd.DataFrame(columns=columns)]
    return [pd.DataFrame(lines)]


@dataclass
class _Links:
    """Renumbered initiatives (旧取組番号) joined: per file, each row's current id, which of
    its years another row of the same initiative gives, and the earlier ids."""

    ids: dict[int, np.ndarray] = field(default_factory=dict)  # part -> id of each row
    drop: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)  # (part, year)
    former: dict[int, list] = field(default_factory=dict)  # part -> earlier ids text or None


def _link_renumbered(
    checked: list[_Checked], rejected_rows: list[np.ndarray]
) -> tuple[list[pd.DataFrame], _Links | None]:
    """Join each row that names its earlier id (旧取組番号) with the row of that id.

    The initiative keeps its newest id and counts once; each year comes from the one row that
    has a result for it (the goal and direction of that row are the year's), or from the
    newest row when none has. Problems (two rows with different results for one year, two
    initiatives naming one earlier id, a loop) reject the rows concerned.
    """
    if not any(c.former_ids is not None for c in checked):
        return [], None
    where: dict[str, tuple[int, int]] = {}
    for part, c in enumerate(checked):
        bad = set(rejected_rows[part].tolist())
        rows = c.fields["source_row"].to_numpy()
        for i, initiative_id in enumerate(c.fields["initiative_id"].tolist()):
            if initiative_id and int(rows[i]) not in bad:
                where[initiative_id] = (part, i)
    pointers: dict[str, list[str]] = {}
    for initiative_id, (part, i) in where.items():
        former_ids = checked[part].former_ids
        former = None if former_ids is None else former_ids.iat[i]
        if former and former != initiative_id:
            pointers.setdefault(former, []).append(initiative_id)
    lines: list[dict] = []

    def line(initiative_id: str, reason: str, year: int | None = None) -> None:
        part, i = where[initiative_id]
        c = checked[part]
        roles = c.layout.roles
        position = c.layout.years[year] if year else roles.get("former_id", roles["initiative_id"])
        row = int(c.fields["source_row"].iat[i])
        lines.append(
            {
                "part": part,
                "file": c.table.file,
                "row": row,
                "column": c.table.header[position],
                "value": c.table.cells.at[row, position],
                "reason": reason,
                "_position": position,
            }
        )

    successor: dict[str, str] = {}
    for former, newer in sorted(pointers.items()):
        if len(newer) > 1:
            for initiative_id in newer:
                line(
                    initiative_id,
                    f"旧取組番号「{former}」を {len(newer)} つの取組（{'、'.join(sorted(newer))}）"
                    "が指しています。1つにしてください (one former id for two initiatives)",
                )
        else:
            successor[former] = newer[0]
    predecessor = {new: old for old, new in successor.items()}

    def newest(initiative_id: str) -> str | None:
        seen = {initiative_id}
        while initiative_id in successor:
            initiative_id = successor[initiative_id]
            if initiative_id in seen:
                return None
            seen.add(initiative_id)
        return initiative_id

    groups: dict[str, list[str]] = {}
    for initiative_id in where:
        head = newest(initiative_id)
        if head is None:
            line(
                initiative_id,
                "旧取組番号をたどると元の取組に戻ります。旧取組番号を見直してください "
                "(former ids form a loop)",
            )
            continue
        groups.setdefault(head, [])
    links = _Links()
    category_code = {c: i for i, c in enumerate(ACHIEVEMENTS)}
    not_evaluated = category_code["not_evaluated"]
    for head in groups:
        chain = [head]
        while chain[-1] in predecessor and predecessor[chain[-1]] not in chain:
            chain.append(predecessor[chain[-1]])
        if len(chain) == 1:
            continue
        members = [m for m in chain if m in where]
        text = "、".join(chain[1:])
        for member in members:
            part, i = where[member]
            ids = links.ids.setdefault(
                part, checked[part].fields["initiative_id"].to_numpy(dtype=object).copy()
            )
            ids[i] = head
            former = links.former.setdefault(part, [None] * len(checked[part].fields))
            former[i] = text
        years = sorted({y for m in members for y in checked[where[m][0]].layout.years})
        for year in years:
            having = [m for m in members if year in checked[where[m][0]].layout.years]
            codes = {
                m: int(checked[where[m][0]].achievement_codes[year][where[m][1]]) for m in having
            }
            evaluated = [m for m in having if codes[m] not in (not_evaluated, _NOT_A_CODE)]
            if len({codes[m] for m in evaluated}) > 1:
                for m in evaluated:
                    others = "、".join(
                        f"「{o}」（{checked[where[o][0]].table.file} 行 "
                        f"{int(checked[where[o][0]].fields['source_row'].iat[where[o][1]])}）"
                        for o in evaluated
                        if o != m
                    )
                    line(
                        m,
                        f"旧取組番号でつながる取組{others}にも {year} 年度の達成度があり、"
                        "値が違います。どちらか一方の行にだけ書いてください "
                        f"(two results for {year})",
                        year,
                    )
                continue
            chosen = evaluated[-1] if evaluated else having[0]  # the year's own row, else newest
            for m in having:
                if m != chosen:
                    part, i = where[m]
                    mask = links.drop.setdefault(
                        (part, year), np.zeros(len(checked[part].fields), dtype=bool)
                    )
                    mask[i] = True
    problems = [pd.DataFrame(lines)] if lines else []
    return problems, links


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


def _categorical(
    codes: np.ndarray, dtype: pd.CategoricalDtype, spread: np.ndarray | None = None
) -> pd.Categorical:
    """A Categorical of ``codes`` (taken at ``spread`` if given, where every code is taken)
    keeping only the categories in use (still sorted), in the smallest integer type."""
    used = np.bincount(codes + 1, minlength=len(dtype.categories) + 1)[1:] > 0
    small = np.int8 if len(dtype.categories) < 127 else np.int32
    if not used.all():
        renumber = np.append(np.cumsum(used) - 1, -1).astype(small)
        codes = renumber[codes]
        dtype = pd.CategoricalDtype(dtype.categories[used])
    codes = codes.astype(small, copy=False)
    return pd.Categorical.from_codes(codes if spread is None else codes[spread], dtype=dtype)


def _tidy(
    checked: list[_Checked],
    rejected_rows: list[np.ndarray],
    plan: Plan,
    links: _Links | None = None,
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
                text_array(c.fields[name]).filter(pa.array(keep))
                for c, keep in zip(checked, keeps, strict=True)
            ]
        )

    def every_row(name: str) -> pa.Array:
        """A text field of every raw row, rejected ones too: taken at ``kept`` when needed,
        which is cheaper than filtering a million strings first."""
        arrays = [text_array(c.fields[name]) for c in checked]
        return arrays[0] if len(arrays) == 1 else pa.concat_arrays(arrays)

    kept = np.flatnonzero(np.concatenate(keeps))  # accepted rows among every file's raw rows
    goal, direction, source_row = numbers("goal"), numbers("direction"), numbers("source_row")
    part = np.repeat(np.arange(len(checked), dtype=np.int32), sizes)
    if links is None or not links.ids:
        ids = text("initiative_id")
    else:
        ids = pa.concat_arrays(
            [
                (
                    text_array(c.fields["initiative_id"])
                    if p not in links.ids
                    else pa.array(links.ids[p], type=pa.large_string())
                ).filter(pa.array(keep))
                for p, (c, keep) in enumerate(zip(checked, keeps, strict=True))
            ]
        )

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
    drops = []
    for p, (c, keep, size) in enumerate(zip(checked, keeps, sizes, strict=True)):
        for j, year in enumerate(years):
            if year in c.layout.years:
                codes[start : start + size, j] = c.achievement_codes[year][keep]
                indices, distinct = c.achievement_raw[year]
                raw_pieces.append((indices[keep], distinct))
                raw_slots.append((start, size, j))
                if links is not None and (p, year) in links.drop:
                    drops.append((start + np.flatnonzero(links.drop[(p, year)][keep]), j))
        start += size
    behind = (codes != _NOT_A_CODE).any(axis=1)  # before joined years are taken elsewhere
    for where, j in drops:
        codes[where, j] = _NOT_A_CODE
    raw_parts, raw_dtype = _categories(raw_pieces)
    raw_codes = np.full((n, k), -1, dtype=np.int32)
    for (first, size, j), piece in zip(raw_slots, raw_parts, strict=True):
        raw_codes[first : first + size, j] = piece
    codes = codes[order].ravel()
    present = codes != _NOT_A_CODE
    # Gathering in two steps, the initiatives in tidy order and then each repeated over its
    # years, reads memory in order; one gather at np.repeat(order, k) jumps about and is slower.
    rows = np.repeat(np.arange(n, dtype=np.int64), k)[present]
    take = pa.array(rows)
    wide = pa.array(order)

    strings = pa.table(
        {
            "initiative_id": ids.take(wide).take(take),
            "name": every_row("name").take(pa.array(kept[order])).take(take),
        }
    )
    strings = strings.to_pandas(types_mapper={pa.large_string(): TEXT}.get, split_blocks=True)
    optional = {}
    for name in ("bureau", "reason"):
        pieces, dtype = _categories([c.optional[name] for c in checked])
        indices = np.concatenate(pieces)
        # Every accepted initiative has a tidy row, so the categories in use are found on the
        # initiatives before spreading the codes over their years.
        optional[name] = _categorical(indices[kept[order]], dtype, spread=rows)
    if links is not None and links.former:
        former_pieces = []
        for p, c in enumerate(checked):
            texts = links.former.get(p, [None] * len(c.fields))
            distinct = sorted({v for v in texts if v is not None})
            lookup = {v: i for i, v in enumerate(distinct)}
            former_pieces.append(
                (np.array([lookup.get(v, -1) for v in texts], dtype=np.int32), distinct)
            )
        pieces, dtype = _categories(former_pieces)
        optional["former_ids"] = _categorical(
            np.concatenate(pieces)[kept[order]], dtype, spread=rows
        )
    else:
        optional["former_ids"] = pd.Categorical.from_codes(
            np.full(len(rows), -1, dtype=np.int8),
            dtype=pd.CategoricalDtype(pd.Index([], dtype=TEXT)),
        )
    files = sorted({c.table.file for c in checked})
    file_codes = np.array([files.index(c.table.file) for c in checked], dtype=np.int32)
    file_dtype = pd.CategoricalDtype(pd.Index(files, dtype=TEXT))
    tidy = pd.DataFrame(
        {
            "initiative_id": strings["initiative_id"],
            "goal": goal[order][rows],
            "direction": direction[order][rows],
            "name": strings["name"],
            "bureau": optional["bureau"],
            "fiscal_year": np.tile(np.asarray(years, dtype=np.int64), n)[present],
            "achievement": pd.Categorical.from_codes(codes[present], dtype=ACHIEVEMENT_DTYPE),
            "achievement_raw": _categorical(raw_codes[order].ravel()[present], raw_dtype),
            "reason": optional["reason"],
            "former_ids": optional["former_ids"],
            "source_file": _categorical(file_codes[part[order]], file_dtype, spread=rows),
            "source_row": source_row[order][rows],
        },
        copy=False,  # copying would stack the int columns into one 2-D block: a needless copy
    )
    accepted = np.bincount(part[behind], minlength=len(checked))
    return tidy, [int(a) for a in accepted]


def _initiatives_of(checked: list[_Checked], problems: pd.DataFrame) -> tuple[pd.Series, ...]:
    """The id and name (as cleaned; missing where blank) of each problem's raw row."""
    columns = []
    for name in ("initiative_id", "name"):
        values = np.full(len(problems), None, dtype=object)
        for i, c in enumerate(checked):
            mine = np.flatnonzero(problems["part"].to_numpy() == i)
            if not len(mine):
                continue
            source_rows = c.fields["source_row"].to_numpy()
            at = np.searchsorted(source_rows, problems["row"].to_numpy(dtype=np.int64)[mine])
            values[mine] = c.fields[name].iloc[at].to_numpy(dtype=object)
        column = pd.Series(values, index=problems.index, dtype=TEXT)
        columns.append(column.mask(column.eq("")))
    return tuple(columns)


def _plan_file_name(plan: Plan) -> str:
    """The plan file as a relative name: ``plan.toml`` from the raw folder, or the bundled path."""
    source = Path(plan.source)
    if source.resolve() == BUNDLED_PLAN.resolve():
        return BUNDLED_PLAN.relative_to(PROJECT_ROOT).as_posix()
    return source.name


def _log_folder(entries: list[FolderEntry]) -> None:
    """Name every entry of the raw folder that is not an initiatives file, and why."""
    for entry in entries:
        if entry.role == "initiatives":
            continue
        level = logging.WARNING if entry.level == "warning" else logging.INFO
        log.log(level, "%s: %s", entry.name, entry.reason)


def _table_warnings(table: RawTable) -> list[str]:
    """What the reader noticed about a file that a person should check (hidden content...)."""
    warnings = [f"{table.file}: {note}" for note in table.notes]
    sheet = f"シート「{table.sheet}」の" if table.sheet else ""
    if table.hidden_sheets:
        names = "、".join(f"「{s}」" for s in table.hidden_sheets)
        warnings.append(
            f"{table.file}: 非表示のシート{names}は読まず、表示されているシート"
            f"「{table.sheet}」を読みました。非表示のシートのデータが必要なら、"
            "そのシートを表示して「取組」という名前にしてください"
        )
    hidden = []
    if table.hidden_rows:
        hidden.append(f"行 {describe_rows(table.hidden_rows)}")
    if table.hidden_columns:
        hidden.append(f"列 {'、'.join(column_letter(c) for c in table.hidden_columns)}")
    if hidden:
        warnings.append(
            f"{table.file}: {sheet}{' と '.join(hidden)} が非表示になっています。"
            "非表示の行・列も読み込みました (hidden rows and columns were read). "
            "不要な行は削除し、必要な行は表示して確認してください"
        )
    return warnings


def clean(raw_dir: Path, plan: Plan | None = None) -> CleanResult:
    """Read and clean every initiatives file in ``raw_dir``; bad rows are rejected, not raised.

    Raises
    ------
    InputFileError
        If the folder or its files cannot be read (no file, empty, wrong format, missing column,
        a header that looks like a year but cannot be read, two files of one bureau).
    MissingFiscalYearsError
        If a file lacks a program year up to the latest one present in any file.
    PlanDefinitionError
        If the plan definition in force is invalid.
    TidyValidationError
        If the tidy table breaks its schema (a bug in cleaning).
    """
    raw_dir = Path(raw_dir)
    entries = survey_folder(raw_dir)
    if plan is None:
        plan = load_plan(raw_dir)
    _log_folder(entries)
    warnings = [f"{e.name}: {e.reason}" for e in entries if e.level == "warning"]
    checked = []
    for path in find_initiative_files(raw_dir):
        table = read_initiative_file(path)
        table_warnings = _table_warnings(table)
        for warning in table_warnings:
            log.warning("%s", warning)
        warnings += table_warnings
        layout = _layout(table, plan)
        _check_formulas(table, layout)
        if table.cells.empty:
            log.warning("%s: ヘッダーだけで、取組の行がありません", table.file)
        result = _check_table(table, layout, plan)
        for item in result.excluded:
            kind = "合計の行" if item["kind"] == "total" else "注記の行"
            log.info(
                "%s: 行 %s は%s（「%s」）のため取組に数えません",
                table.file,
                item["row"],
                kind,
                item["text"],
            )
        checked.append(result)
    _check_years(checked, plan)
    _check_same_bureau_files(checked)

    duplicates = _duplicate_problems(checked)
    base = [p.assign(part=i) for i, c in enumerate(checked) for p in c.problems] + duplicates
    rejected_rows = _rejected_rows(base, len(checked))
    link_problems, links = _link_renumbered(checked, rejected_rows)
    if link_problems:
        base += link_problems
        rejected_rows = _rejected_rows(base, len(checked))
        _, links = _link_renumbered(checked, rejected_rows)
    all_problems = pd.concat(base, ignore_index=True)
    all_problems = all_problems.sort_values(
        ["part", "row", "_position", "reason"], kind="stable", ignore_index=True
    )
    initiative_ids, names = _initiatives_of(checked, all_problems)
    rejected = pd.DataFrame(
        {
            "file": all_problems["file"].astype(TEXT),
            "row": all_problems["row"].astype("int64"),
            "initiative_id": initiative_ids,
            "name": names,
            "column": all_problems["column"].map(visible).astype(TEXT),
            "value": all_problems["value"].map(visible).astype(TEXT),
            "reason": all_problems["reason"].astype(TEXT),
        }
    )
    tidy, accepted = _tidy(checked, rejected_rows, plan, links)
    tidy = validate_tidy(tidy, plan)
    form_warnings, missing = _form_checks(checked, rejected_rows)
    warnings += form_warnings

    files = []
    for c, bad, accepted_rows in zip(checked, rejected_rows, accepted, strict=True):
        excluded = len(c.excluded)
        files.append(
            {
                "file": c.table.file,
                "sha256": c.table.sha256,
                "format": c.table.format,
                "encoding": c.table.encoding,
                "sheet": c.table.sheet,
                "header_rows": list(c.table.header_rows),
                "raw_rows": len(c.table.cells) + excluded,
                "accepted_rows": accepted_rows,
                "rejected_rows": len(bad),
                "excluded_rows": excluded,
                "excluded": c.excluded,
                "fiscal_years": sorted(c.layout.years),
                "ignored_columns": [
                    {"column": visible(h), "reason": why} for h, why in c.layout.ignored
                ],
                "hidden_rows": list(c.table.hidden_rows),
                "hidden_columns": [column_letter(p) for p in c.table.hidden_columns],
                "hidden_sheets": list(c.table.hidden_sheets),
            }
        )
    manifest = {
        "package_version": __version__,
        "plan": {"file": _plan_file_name(plan), "sha256": file_sha256(plan.source)},
        "files": files,
        "other_files": [e.as_dict() for e in entries if e.role != "initiatives"],
        "missing_initiatives": missing,
        "warnings": warnings,
        "totals": {
            key: sum(f[key] for f in files)
            for key in ("raw_rows", "accepted_rows", "rejected_rows", "excluded_rows")
        },
    }
    return CleanResult(tidy=tidy, rejected=rejected, manifest=manifest, plan=plan)


def _rejected_rows(problems: list[pd.DataFrame], parts: int) -> list[np.ndarray]:
    """The Excel rows with a problem, per file."""
    every = pd.concat(problems, ignore_index=True)
    return [
        np.unique(every.loc[every["part"].eq(i), "row"].to_numpy(dtype=np.int64))
        for i in range(parts)
    ]


def _check_years(checked: list[_Checked], plan: Plan) -> None:
    """Every program year up to the latest one any file has must be a column of every file.

    Raises
    ------
    MissingFiscalYearsError
        Naming each file and the years it lacks.
    """
    present = {y for c in checked for y in c.layout.years}
    if not present:
        return
    latest = max(present)
    required = [y for y in plan.program_years if y <= latest]
    missing = {
        c.table.file: [y for y in required if y not in c.layout.years]
        for c in checked
        if any(y not in c.layout.years for y in required)
    }
    if missing:
        raise MissingFiscalYearsError(missing, latest)


def _check_same_bureau_files(checked: list[_Checked]) -> None:
    """Two files holding the same bureau's initiatives: an old file left beside the new one.

    Raises
    ------
    DuplicateFileError
        When two files share at least half the ids of the smaller one and name the same
        bureaus (or the same name but for the extension).
    """
    if len(checked) < 2:
        return
    bureaus = [{b for b in c.optional["bureau"][1] if b} for c in checked]
    for i in range(len(checked)):
        for j in range(i + 1, len(checked)):
            first, second = checked[i].table.path, checked[j].table.path
            same_stem = first.stem.casefold() == second.stem.casefold()
            if not (same_stem or (bureaus[i] and bureaus[i] == bureaus[j])):
                continue
            ids = [text_array(checked[k].fields["initiative_id"]) for k in (i, j)]
            ids = [a.filter(pc.not_equal(a, "")) for a in ids]
            shared = pc.sum(pc.is_in(ids[0], value_set=ids[1])).as_py() or 0
            if shared and shared * 2 >= min(len(ids[0]), len(ids[1])):
                bureau = "、".join(sorted(bureaus[i])) or None
                raise DuplicateFileError(first, second, bureau, shared)


def _form_checks(
    checked: list[_Checked], rejected_rows: list[np.ndarray]
) -> tuple[list[str], list[dict]]:
    """For returned forms of ``kawaeval template``: a target year left blank on every row (a
    warning), and the initiatives the form was sent with that are not in the records."""
    warnings: list[str] = []
    missing: list[dict] = []
    if not any(c.table.form is not None for c in checked):
        return warnings, missing
    every_id = pa.concat_arrays(
        [text_array(c.fields["initiative_id"]) for c in checked]
        + [text_array(c.former_ids) for c in checked if c.former_ids is not None]
    )
    for c in checked:
        form = c.table.form
        if form is None:
            continue
        who = f"（{form.bureau}）" if form.bureau else ""
        year = form.fiscal_year
        if year is not None and year in c.layout.years and len(c.table.cells):
            column = c.table.cells[c.layout.years[year]]
            if _blank_cells(column).all():
                message = (
                    f"{c.table.file}{who}: {year} 年度の達成度がすべて空欄です"
                    f"（{len(column)} 件）。記入済みのワークブックが返送されたか確認してください "
                    f"(the {year} column of the returned form is blank on every row)"
                )
                log.warning("%s", message)
                warnings.append(message)
        sent = pa.array([i for i, _ in form.initiatives], type=pa.large_string())
        found = pc.is_in(sent, value_set=every_id).to_numpy(zero_copy_only=False)
        for (initiative_id, name), there in zip(form.initiatives, found, strict=True):
            if not there:
                missing.append(
                    {
                        "file": c.table.file,
                        "bureau": form.bureau,
                        "initiative_id": initiative_id,
                        "name": name or None,
                    }
                )
    return warnings, missing


def check_manifest(manifest: dict) -> None:
    """Check that every raw row was either accepted or rejected.

    Raises
    ------
    ManifestMismatchError
        If raw rows differ from accepted plus rejected rows for some file.
    """
    for f in manifest["files"]:
        excluded = f.get("excluded_rows", 0)
        if f["raw_rows"] != f["accepted_rows"] + f["rejected_rows"] + excluded:
            raise ManifestMismatchError(
                f"{f['file']}: 行数が合いません (row counts do not add up): "
                f"raw {f['raw_rows']} != accepted {f['accepted_rows']} + "
                f"rejected {f['rejected_rows']} + excluded {excluded}. "
                "kawaeval の不具合として報告してください"
            )


def clean_records(
    raw_dir: Path, out_dir: Path | None = None, allow_rejects: bool = False
) -> CleanResult:
    """Clean, check the manifest, stop on rejected rows unless allowed, then write outputs.

    The outputs (``tidy.parquet``, ``achievements.csv``, ``rejected.csv``, ``manifest.json``)
    replace the previous ones only once all are written; a failed run leaves the old ones.

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
    missing = result.manifest["missing_initiatives"]
    if missing and not allow_rejects:
        raise MissingInitiativesError(missing)
    for item in missing:
        message = (
            f"{item['file']}: 送ったときの取組「{item['initiative_id']}"
            f"{' ' + item['name'] if item['name'] else ''}」がありません（--allow-rejects で続行）"
        )
        log.warning("%s", message)
        result.manifest["warnings"].append(message)
    if out_dir is not None:
        write_outputs(result, Path(out_dir))
    return result
