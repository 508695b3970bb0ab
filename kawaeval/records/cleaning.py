"""Raw initiatives tables -> the tidy table, the rejected rows and the manifest.

Finds each field's column in a sheet, checks every row, finds duplicate ids and builds the
tidy frame. What a spelling means lives in :mod:`kawaeval.records.spellings`; writing the outputs in
:mod:`kawaeval.records.outputs`. Work is vectorised: each column's *distinct* values are read once,
then mapped back onto the rows, and the tidy table is built with Arrow takes rather than a
Python loop per cell.
"""

from __future__ import annotations

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
    FormulaWithoutValueError,
    InputFileError,
    ManifestMismatchError,
    RejectedRowsError,
)
from kawaeval.paths import BUNDLED_PLAN, SOURCE_ROOT
from kawaeval.plan import ACHIEVEMENTS, Plan, load_plan
from kawaeval.records.outputs import CleanResult, write_outputs
from kawaeval.records.reading import (
    PREFERRED_SHEET,
    RawTable,
    find_initiative_files,
    read_initiative_file,
)
from kawaeval.records.spellings import (
    HEADER_ROLES,
    LOOKS_LIKE_A_YEAR,
    REASON_ACHIEVEMENT,
    REASON_DUPLICATE_FIX,
    REASON_ID_BLANK,
    REASON_NAME_BLANK,
    REQUIRED_ROLES,
    ROLE_LABELS,
    achievement_spellings,
    header_role,
    parse_direction,
    parse_fiscal_year_header,
    parse_goal,
    read_achievement,
    spelling_key,
)
from kawaeval.records.validating import (
    ACHIEVEMENT_DTYPE,
    TEXT,
    is_in_small,
    text_array,
    validate_tidy,
)
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
    "source_file",
    "source_row",
]

_NOT_A_CODE = -1


@dataclass
class _Layout:
    """Which column of a file holds which field, by position."""

    roles: dict[str, int]
    years: dict[int, int] = field(default_factory=dict)


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


def _optional_text(values: pd.Series | None, length: int) -> tuple[np.ndarray, list]:
    """An optional text column as (code of each row's distinct value, the distinct values
    trimmed with empty ones as None): trimming a few distinct bureaus or reasons, not a million
    cells."""
    if values is None:
        return np.full(length, -1, dtype=np.int32), []
    indices, distinct = _encode(values)
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
            if LOOKS_LIKE_A_YEAR.search(spelling_key(header)):
                log.warning(
                    "%s: 列「%s」は年度の列のようですが、年度を読み取れないため使いません "
                    "(column ignored). "
                    "年度の列なら 2018年度、平成30年度、R3 のように書いてください",
                    table.file,
                    header,
                )
            elif spelling_key(header):
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
    optional: dict[str, tuple[np.ndarray, list]]  # bureau, reason: codes and distinct values
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
            "source_row": cells.index.to_numpy(dtype=np.int64),
        },
        copy=False,  # copying would stack the int columns into one 2-D block: a needless copy
    )
    optional = {
        name: _optional_text(cells[roles[name]] if name in roles else None, n)
        for name in ("bureau", "reason")
    }
    return _Checked(table, layout, fields, codes, raw, optional, problems)


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
            "source_file": _categorical(file_codes[part[order]], file_dtype, spread=rows),
            "source_row": source_row[order][rows],
        },
        copy=False,  # copying would stack the int columns into one 2-D block: a needless copy
    )
    behind = present.reshape(n, k).any(axis=1)
    accepted = np.bincount(part[order][behind], minlength=len(checked))
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
    """The plan file as a relative name: ``plan.toml`` from the raw folder, or the bundled path
    (``kawaeval/data/plan.toml``, installed or not)."""
    source = Path(plan.source)
    if source.resolve() == BUNDLED_PLAN.resolve():
        return BUNDLED_PLAN.relative_to(SOURCE_ROOT).as_posix()
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
        _check_formulas(table, layout)
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
    initiative_ids, names = _initiatives_of(checked, all_problems)
    rejected = pd.DataFrame(
        {
            "file": all_problems["file"].astype(TEXT),
            "row": all_problems["row"].astype("int64"),
            "initiative_id": initiative_ids,
            "name": names,
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
    if out_dir is not None:
        write_outputs(result, Path(out_dir))
    return result
