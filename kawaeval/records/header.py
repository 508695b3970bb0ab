"""Where the header of a sheet is, and what it says when it spans two rows.

A title block above the header is skipped (the header is the first row naming two required
fields); a header on two rows (達成度 over the years, or 目標 / 実績 under a year) is joined into
one, a merged cell's text spread over the columns it spans.
"""

from __future__ import annotations

import pandas as pd

from kawaeval.records.spellings import (
    ACHIEVEMENT_WORDS,
    ACTUAL_WORDS,
    LOOKS_LIKE_A_YEAR,
    REQUIRED_ROLES,
    TARGET_WORDS,
    header_role,
    read_year_header,
    spelling_key,
)

HEADER_SEARCH_ROWS = 20
"""The header is looked for in the first rows (a title block may stand above it)."""
KIND_WORDS = {*ACHIEVEMENT_WORDS, *ACTUAL_WORDS, *TARGET_WORDS}


def _row_texts(frame: pd.DataFrame, position: int) -> list[str]:
    return ["" if v is None else str(v) for v in frame.iloc[position].tolist()]


def _header_score(texts: list[str]) -> int:
    """How many of the required fields a row names (a header names at least two)."""
    return len({header_role(t) for t in texts} & set(REQUIRED_ROLES))


def find_header(frame: pd.DataFrame, merged: list) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """(Excel rows of the header, the header's cells): the first row naming two or more of the
    required fields among the first rows (else the first row that is not blank), joined with
    the row below when the years are written there (a two-row header: 達成度 over the years).
    """
    first = texts = None
    for position in range(min(HEADER_SEARCH_ROWS, len(frame))):
        row = _row_texts(frame, position)
        if first is None and any(spelling_key(t) for t in row):
            first = (position, row)
        if _header_score(row) >= 2:
            texts = row
            break
    if texts is None:
        position, texts = first if first is not None else (0, _row_texts(frame, 0))
    upper = _filled_across(texts, position, merged)
    if position + 1 >= len(frame):
        return (position + 1,), tuple(texts)
    lower = _row_texts(frame, position + 1)
    if _is_sub_header(upper, lower):
        return (position + 1, position + 2), tuple(_join_header(upper, lower))
    return (position + 1,), tuple(texts)


def _filled_across(texts: list[str], position: int, merged: list) -> list[str]:
    """The header row with each merged cell's text spread over the columns it spans."""
    texts = list(texts)
    for (top, left), (bottom, right) in merged or ():
        if top <= position <= bottom and left < len(texts):
            value = texts[left] if top == position else ""
            if header_role(value) is not None:
                continue  # a field's header made wide: its values stand in the first column
            for column in range(left + 1, min(right + 1, len(texts))):
                if not spelling_key(texts[column]):
                    texts[column] = value
    return texts


def _is_sub_header(upper: list[str], lower: list[str]) -> bool:
    """Whether the row below the header holds the years (or what each year column holds:
    目標, 実績, 達成度) under cells that name no field: the second row of a two-row header,
    not a record."""
    year_like = 0
    above = ""  # the nearest header cell to the left, for cells under a merged one
    for top, bottom in zip(upper, lower, strict=True):
        if spelling_key(top):
            above = top
        key = spelling_key(bottom)
        if not key:
            continue
        role = header_role(top)
        if role is not None:
            if header_role(bottom) == role:
                continue  # the field's name repeated under itself
            return False  # a value under a field's header: a record
        if _is_year_header(bottom) or LOOKS_LIKE_A_YEAR.search(key.upper()):
            year_like += 1
        elif key in KIND_WORDS and (_is_year_header(above) or not header_role(above)):
            year_like += 1
        else:
            return False
    return year_like > 0


def _join_header(upper: list[str], lower: list[str]) -> list[str]:
    """The two rows of a header as one: each column's upper and lower text, a year written
    once above several columns (目標, 実績 under 2018年度) carried to each of them."""
    joined = []
    above = ""
    for top, bottom in zip(upper, lower, strict=True):
        if spelling_key(top):
            above = top
        elif spelling_key(bottom) in KIND_WORDS and _is_year_header(above):
            top = above
        if spelling_key(top) and spelling_key(bottom) and top != bottom:
            joined.append(f"{top} {bottom}")
        else:
            joined.append(top if spelling_key(top) else bottom)
    return joined


def _is_year_header(text: str) -> bool:
    try:
        return read_year_header(text) is not None
    except ValueError:
        return True
