"""The long tidy frame: one row per accepted initiative and program year in its file, sorted.

Built with Arrow takes and integer codes rather than a Python loop per cell; repeated text
(bureau, reason, file, achievement as written, earlier ids) becomes categoricals.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kawaeval.plan import Plan
from kawaeval.records.renumbered import Links
from kawaeval.records.row_checks import NOT_A_CODE, CheckedFile
from kawaeval.records.validating import ACHIEVEMENT_DTYPE, TEXT, text_array

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


def _categorical(codes: np.ndarray, dtype: pd.CategoricalDtype, spread=None) -> pd.Categorical:
    """A Categorical of ``codes`` (spread over the years by ``spread`` if given, where every
    code is spread) keeping only the categories in use (still sorted), in the smallest integer
    type."""
    small = np.int8 if len(dtype.categories) < 127 else np.int32
    used = np.zeros(len(dtype.categories) + 1, dtype=bool)
    used[codes.astype(small, copy=False) + 1] = True  # marks, unlike bincount, copy no codes
    used = used[1:]
    if not used.all():
        renumber = np.append(np.cumsum(used) - 1, -1).astype(small)
        codes = renumber[codes]
        dtype = pd.CategoricalDtype(dtype.categories[used])
    codes = codes.astype(small, copy=False)
    return pd.Categorical.from_codes(codes if spread is None else spread(codes), dtype=dtype)


def _text_columns(columns: dict[str, tuple[pa.Array, np.ndarray]]) -> pd.DataFrame:
    """Text columns, each taken from its array at the given positions, as Arrow-backed text."""
    table = pa.table({name: values.take(pa.array(at)) for name, (values, at) in columns.items()})
    return table.to_pandas(types_mapper={pa.large_string(): TEXT}.get, split_blocks=True)


def tidy_frame(
    checked: list[CheckedFile],
    rejected_rows: list[np.ndarray],
    plan: Plan,
    links: Links | None = None,
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
    codes = np.full((n, k), NOT_A_CODE, dtype=np.int8)
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
    behind = (codes != NOT_A_CODE).any(axis=1)  # before joined years are taken elsewhere
    for where, j in drops:
        codes[where, j] = NOT_A_CODE
    raw_parts, raw_dtype = _categories(raw_pieces)
    raw_small = np.int8 if len(raw_dtype.categories) < 127 else np.int32
    raw_codes = np.full((n, k), -1, dtype=raw_small)
    for (first, size, j), piece in zip(raw_slots, raw_parts, strict=True):
        raw_codes[first : first + size, j] = piece
    codes = codes[order].ravel()
    present = codes != NOT_A_CODE
    # Row i of the sorted wide table is spread over its years: by repeating each value k times
    # when every initiative has every year (the usual case), else by taking at ``rows``. Each
    # column is gathered once, in order, into memory of its final size.
    position = np.int32 if n * k < 2**31 else np.int64
    if present.all():
        present = None

        def spread(values: np.ndarray) -> np.ndarray:
            return np.repeat(values, k)

    else:
        rows = np.repeat(np.arange(n, dtype=position), k)[present]

        def spread(values: np.ndarray) -> np.ndarray:
            return values[rows]

    def in_tidy_order(values: np.ndarray) -> np.ndarray:
        return values if present is None else values[present]

    def other_columns() -> dict:
        """Every column but the two text ones: NumPy and small categoricals."""
        optional = {}
        for name in ("bureau", "reason"):
            pieces, dtype = _categories([c.optional[name] for c in checked])
            indices = np.concatenate(pieces)
            # Every accepted initiative has a tidy row, so the categories in use are found on the
            # initiatives before spreading the codes over their years.
            optional[name] = _categorical(indices[kept[order]], dtype, spread=spread)
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
                np.concatenate(pieces)[kept[order]], dtype, spread=spread
            )
        else:
            optional["former_ids"] = pd.Categorical.from_codes(
                np.full(len(codes) if present is None else int(present.sum()), -1, dtype=np.int8),
                dtype=pd.CategoricalDtype(pd.Index([], dtype=TEXT)),
            )
        files = sorted({c.table.file for c in checked})
        file_codes = np.array([files.index(c.table.file) for c in checked], dtype=np.int32)
        file_dtype = pd.CategoricalDtype(pd.Index(files, dtype=TEXT))
        numbers = {
            "goal": spread(goal[order]),
            "direction": spread(direction[order]),
            "fiscal_year": in_tidy_order(np.tile(np.asarray(years, dtype=np.int64), n)),
            "achievement": pd.Categorical.from_codes(in_tidy_order(codes), dtype=ACHIEVEMENT_DTYPE),
            "achievement_raw": _categorical(in_tidy_order(raw_codes[order].ravel()), raw_dtype),
            "source_file": _categorical(file_codes[part[order]], file_dtype, spread=spread),
            "source_row": spread(source_row[order]),
        }
        return {**optional, **numbers}

    # The other columns are built in a second thread while Arrow gathers the two text columns
    # here (it lets go of the GIL): most of the time goes on fresh memory, now on both cores.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kawaeval-tidy") as background:
        others = background.submit(other_columns)
        strings = _text_columns(
            {
                "initiative_id": (ids, spread(order.astype(position))),
                "name": (every_row("name"), spread(kept[order].astype(position))),
            }
        )
        numbers = others.result()
    tidy = pd.DataFrame(
        {
            "initiative_id": strings["initiative_id"],
            "goal": numbers["goal"],
            "direction": numbers["direction"],
            "name": strings["name"],
            "bureau": numbers["bureau"],
            "fiscal_year": numbers["fiscal_year"],
            "achievement": numbers["achievement"],
            "achievement_raw": numbers["achievement_raw"],
            "reason": numbers["reason"],
            "former_ids": numbers["former_ids"],
            "source_file": numbers["source_file"],
            "source_row": numbers["source_row"],
        },
        copy=False,  # copying would stack the int columns into one 2-D block: a needless copy
    )
    accepted = np.bincount(part[behind], minlength=len(checked))
    return tidy, [int(a) for a in accepted]
