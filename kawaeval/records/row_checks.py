"""Every row of one initiatives file checked: each field parsed, each problem a rejected line.

Blank ids and names, goals and directions that cannot be read or are not in the plan,
achievements that are not one of the plan's words, values in columns without a header; totals
rows (合計, 小計…) and note lines (※…) are excluded, not rejected. Bad rows are listed, never
raised. Work is vectorised: each column's *distinct* values are read once, then mapped back onto
the rows.
"""

from __future__ import annotations

import dataclasses
import logging
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kawaeval.common.cpus import usable_cpus
from kawaeval.exceptions import InputFileError
from kawaeval.plan import ACHIEVEMENTS, Plan
from kawaeval.records.layout import Layout, header_note
from kawaeval.records.reading import RawTable, column_letter
from kawaeval.records.spellings import (
    REASON_ACHIEVEMENT,
    REASON_ID_BLANK,
    REASON_NAME_BLANK,
    TRIMMED,
    achievement_spellings,
    parse_direction,
    parse_goal,
    read_achievement,
    remove_invisible,
    row_marker,
    spelling_key,
    visible,
)
from kawaeval.records.validating import TEXT, is_in_small, pairs_in, text_array

# What cleaning tells keeps its one logger name, whichever of its modules notices it.
log = logging.getLogger("kawaeval.records.cleaning")

NOT_A_CODE = -1  # an achievement cell that is not one of the plan's words


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


def _encode_columns(cells: pd.DataFrame, positions: list[int]) -> dict[int, tuple]:
    """:func:`_encode` of several columns at once: Arrow lets go of the GIL while it hashes,
    so the columns are encoded on every core."""
    positions = list(dict.fromkeys(positions))
    workers = min(len(positions), usable_cpus())
    if workers < 2:
        return {position: _encode(cells[position]) for position in positions}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kawaeval-encode") as pool:
        encoded = pool.map(lambda position: _encode(cells[position]), positions)
        return dict(zip(positions, encoded, strict=True))


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


def _optional_text(encoded: tuple[np.ndarray, list] | None, length: int) -> tuple[np.ndarray, list]:
    """An optional text column (as :func:`_encode` gives it) as (code of each row's distinct
    value, the distinct values trimmed with empty ones as None): trimming a few distinct
    bureaus or reasons, not a million cells."""
    if encoded is None:
        return np.full(length, -1, dtype=np.int32), []
    indices, distinct = encoded
    distinct = [remove_invisible(v) if v is not None else None for v in distinct]
    trimmed = pc.utf8_trim_whitespace(pa.array(distinct, type=pa.large_string())).to_pylist()
    return indices, [text or None for text in trimmed]


def blank_cells(values: pd.Series) -> np.ndarray:
    return _stripped(values).eq("").to_numpy(dtype=bool)


def _check_actual_column(table: RawTable, year: int, position: int, code: np.ndarray) -> None:
    """A 実績 column read as a year's achievement must hold achievement values only.

    Raises
    ------
    InputFileError
        If a value is not an achievement (an indicator's actual value, say), naming the
        header, the row and the value.
    """
    bad = np.flatnonzero(code == NOT_A_CODE)
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
        f"{year} 年度の達成度の列を加えてください" + header_note(table),
    )


@dataclass
class CheckedFile:
    """One file parsed: per-row fields, per-year achievement codes and the problems found."""

    table: RawTable
    layout: Layout
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
    rows = table.cells.index.to_numpy()[where]
    if len(where):
        values = table.cells.iloc[where, position].to_numpy(dtype=object)
    else:  # most checks find nothing: no look-up in a million cells for that
        values = np.empty(0, dtype=object)
    reasons = reason if isinstance(reason, str) else reason(where)
    return pd.DataFrame(
        {
            "file": table.file,
            "row": rows,
            "column": table.header[position] if column is None else column,
            "value": values,
            "reason": reasons,
            "_position": position,
        }
    )


def check_table(table: RawTable, layout: Layout, plan: Plan) -> CheckedFile:
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
    optional_names = [name for name in ("bureau", "reason") if name in roles]
    encoded = _encode_columns(
        cells,
        [
            roles["goal"],
            roles["direction"],
            *layout.years.values(),
            *(roles[name] for name in optional_names),
        ],
    )
    problems.append(_problems(table, id_blank, roles["initiative_id"], REASON_ID_BLANK))

    names = _stripped(cells[roles["name"]]).reset_index(drop=True)
    name_blank = names.eq("").to_numpy(dtype=bool)
    problems.append(_problems(table, name_blank, roles["name"], REASON_NAME_BLANK))

    goal_numbers = list(plan.goal_numbers)
    allowed_goals = "、".join(str(g) for g in goal_numbers)
    goal = _map_distinct(
        cells[roles["goal"]],
        lambda v: _or_minus_one(parse_goal(v)),
        np.int64,
        encoded[roles["goal"]],
    )
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
    direction_goal = _map_distinct(
        direction_cells, lambda v: _direction_part(v, 0), np.int64, encoded[roles["direction"]]
    )
    direction = _map_distinct(
        direction_cells, lambda v: _direction_part(v, 1), np.int64, encoded[roles["direction"]]
    )
    direction_unreadable = direction < 0
    disagree = goal_ok & ~direction_unreadable & (direction_goal > 0) & (direction_goal != goal)
    allowed_pairs = [(g.goal, d.direction) for g in plan.goals for d in g.directions]
    unknown_direction = (
        goal_ok & ~direction_unreadable & ~disagree & ~pairs_in(goal, direction, allowed_pairs)
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
        raw[year] = encoded[position]
        indices, distinct = raw[year]
        readings = [read_achievement(v, spellings) for v in distinct]
        distinct_codes = np.array(
            [category_code.get(c, NOT_A_CODE) for c, _ in readings] + [NOT_A_CODE], np.int64
        )
        distinct_reasons = np.array([r for _, r in readings] + [REASON_ACHIEVEMENT], object)
        code = distinct_codes[indices]
        codes[year] = code
        if year in layout.actual_years:
            _check_actual_column(table, year, position, code)
        problems.append(
            _problems(
                table,
                code == NOT_A_CODE,
                position,
                lambda where, i=indices, r=distinct_reasons: r[i[where]].tolist(),
            )
        )

    for position in layout.unlabeled:
        problems.append(
            _problems(
                table,
                ~blank_cells(cells[position]),
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
        name: _optional_text(encoded[roles[name]] if name in roles else None, n)
        for name in ("bureau", "reason")
    }
    former = None
    if "former_id" in roles:
        former = _normalised_ids(cells[roles["former_id"]]).reset_index(drop=True)
    return CheckedFile(table, layout, fields, codes, raw, optional, problems, excluded, former)
