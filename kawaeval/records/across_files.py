"""The checks across the files of one run, once each file's rows are checked.

Every program year up to the latest one any file has is a column of every file; an id used twice
(in one file or two) rejects each of its rows, naming the others; two files of one bureau (an old
file left beside the new one) stop the run; a returned form of ``kawaeval template`` left blank
for its year is named, and the initiatives it was sent with that are missing are listed.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kawaeval.exceptions import DuplicateFileError, MissingFiscalYearsError
from kawaeval.plan import Plan
from kawaeval.records.row_checks import CheckedFile, blank_cells
from kawaeval.records.spellings import REASON_DUPLICATE_FIX
from kawaeval.records.validating import text_array

# What cleaning tells keeps its one logger name, whichever of its modules notices it.
log = logging.getLogger("kawaeval.records.cleaning")


def check_years(checked: list[CheckedFile], plan: Plan) -> None:
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


def duplicate_problems(checked: list[CheckedFile]) -> list[pd.DataFrame]:
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


def check_same_bureau_files(checked: list[CheckedFile]) -> None:
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


def form_checks(
    checked: list[CheckedFile], rejected_rows: list[np.ndarray]
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
            if blank_cells(column).all():
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
