"""Which column of an initiatives file holds which field, and which year's achievement.

Every header is a field, a program year's achievement (a 達成度 column, or a 実績 column alone
for its year), a column named and ignored (a year outside the plan, a 目標 or 実績 column beside
the achievement, an unknown header) or a reason to stop the run, said in words a bureau can act
on (the sheet read, a header on two rows). Formulas without a saved result are refused only in
the columns read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from kawaeval.exceptions import FormulaWithoutValueError, InputFileError
from kawaeval.plan import Plan
from kawaeval.records.reading import RawTable
from kawaeval.records.spellings import (
    HEADER_ROLES,
    LOOKS_LIKE_A_YEAR,
    REQUIRED_ROLES,
    ROLE_LABELS,
    YEAR_KINDS,
    header_role,
    read_year_header,
    spelling_key,
    visible,
)
from kawaeval.records.workbooks import PREFERRED_SHEET

# What cleaning tells keeps its one logger name, whichever of its modules notices it.
log = logging.getLogger("kawaeval.records.cleaning")


@dataclass
class Layout:
    """Which column of a file holds which field, by position."""

    roles: dict[str, int]
    years: dict[int, int] = field(default_factory=dict)
    actual_years: set[int] = field(default_factory=set)  # read from a 実績 column alone
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (header, why not used)
    unlabeled: list[int] = field(default_factory=list)  # positions of blank headers


def check_formulas(table: RawTable, layout: Layout) -> None:
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


def find_layout(table: RawTable, plan: Plan) -> Layout:
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
    note = header_note(table)
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
    return Layout(roles, dict(sorted(years.items())), actual_years, ignored, unlabeled)


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


def header_note(table: RawTable) -> str:
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
