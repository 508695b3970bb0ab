"""Renumbered initiatives (旧取組番号): a row naming its earlier id joined with that id's row.

The initiative keeps its newest id and counts once, each year from the one row that has a result
for it; one earlier id named by two initiatives, a loop of earlier ids, or two different results
for one year reject the rows concerned.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kawaeval.plan import ACHIEVEMENTS
from kawaeval.records.row_checks import NOT_A_CODE, CheckedFile


@dataclass
class Links:
    """Renumbered initiatives (旧取組番号) joined: per file, each row's current id, which of
    its years another row of the same initiative gives, and the earlier ids."""

    ids: dict[int, np.ndarray] = field(default_factory=dict)  # part -> id of each row
    drop: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)  # (part, year)
    former: dict[int, list] = field(default_factory=dict)  # part -> earlier ids text or None


def link_renumbered(
    checked: list[CheckedFile], rejected_rows: list[np.ndarray]
) -> tuple[list[pd.DataFrame], Links | None]:
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
    links = Links()
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
            evaluated = [m for m in having if codes[m] not in (not_evaluated, NOT_A_CODE)]
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
