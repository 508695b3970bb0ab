"""The committee's input: the returned evaluation sheets (基本目標評価シート) and judgements.csv,
merged into one set of decisions per fiscal year, goal and direction.

``kawaeval sheets`` (:mod:`kawaeval.forms.evaluation_sheets`) writes one workbook per goal and
one for the whole program, named :func:`sheet_file_name`; put back into the raw folder, they
are read here. Every cell the committee fills has a workbook-level defined name
(:func:`defined_name`), so reading does not depend on where a row sits. A value given by two
inputs must be the same; different values stop the run naming both places.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from kawaeval.exceptions import CommitteeConflictError, CommitteeSheetError
from kawaeval.plan import Grade, Plan

SHEET_PREFIX = "基本目標評価シート"
PROGRAM_WORD = "全体"
SHEET = "評価シート"
"""The sheet of a workbook that holds the figures and the committee's cells."""
SHEET_SUFFIXES = (".xlsx", ".xlsm")
_NAME = re.compile(
    rf"^{SHEET_PREFIX}_(?P<year>\d{{4}})年度_(?:基本目標(?P<goal>\d+)|(?P<program>{PROGRAM_WORD}))"
)

# What a sheet holds, by field. Goal sheets: progress, outlook, reason and the texts
# achievement (各取組の達成度の状況) and grades (達成状況と今後の方向性); per direction: verdict,
# verdict_reason and the text narrative. The program's sheet: progress, reason (総合的な評価)
# and the texts achievement, goals (基本目標ごとの達成状況と今後の方向性) and context.
GRADE_FIELDS = ("progress", "outlook", "verdict")
TEXT_FIELDS = ("achievement", "grades", "narrative", "goals", "context")
GOAL_FIELDS = ("progress", "outlook", "reason", "achievement", "grades")
DIRECTION_FIELDS = ("verdict", "verdict_reason", "narrative")
PROGRAM_FIELDS = ("progress", "reason", "achievement", "goals", "context")
META_FIELDS = ("fiscal_year", "goal", "fingerprint")

FIELD_LABELS = {
    "progress": "達成状況",
    "outlook": "今後の方向性",
    "reason": "評価の理由",
    "verdict": "進捗",
    "verdict_reason": "進捗の判断の理由",
    "achievement": "各取組の達成度の状況の文",
    "grades": "達成状況と今後の方向性の文",
    "narrative": "取組の状況の文",
    "goals": "基本目標ごとの達成状況と今後の方向性の文",
    "context": "社会経済環境の変化の文",
}
PROGRAM_LABELS = {"progress": "プログラム全体の達成状況", "reason": "総合的な評価"}


def defined_name(field_name: str, direction: int | None = None) -> str:
    """The workbook's name of the cell holding ``field_name`` (of ``direction``)."""
    return f"kawaeval_{field_name}" if direction is None else f"kawaeval_d{direction}_{field_name}"


def sheet_file_name(fiscal_year: int, goal: int | None) -> str:
    """``基本目標評価シート_2021年度_基本目標1.xlsx``, or ``…_全体.xlsx`` for the program."""
    which = PROGRAM_WORD if goal is None else f"基本目標{goal}"
    return f"{SHEET_PREFIX}_{fiscal_year}年度_{which}.xlsx"


def _normal_name(path: Path) -> str:
    return unicodedata.normalize("NFKC", path.name)


def is_committee_sheet(path: Path) -> bool:
    """Whether a raw-folder file is named as an evaluation sheet (Excel's ``~$`` lock files
    are not)."""
    name = _normal_name(path)
    return name.startswith(SHEET_PREFIX) and name.lower().endswith(SHEET_SUFFIXES)


def find_sheets(raw_dir: Path) -> list[Path]:
    """The evaluation sheets in the raw folder, in name order."""
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        return []
    return sorted(p for p in raw_dir.iterdir() if p.is_file() and is_committee_sheet(p))


@dataclass(frozen=True)
class Given:
    """One value the committee gave, and where it is written (file, row or sheet and cell)."""

    value: str
    where: str
    file: str


@dataclass(frozen=True)
class SheetInput:
    """What one returned sheet says: its year and goal (None: the program), the fingerprint of
    the figures it was made from, and its filled cells by (direction, field)."""

    file: str
    fiscal_year: int
    goal: int | None
    fingerprint: str | None
    values: dict[tuple[int | None, str], Given]


Key = tuple[int, int | None, int | None, str]
"""(fiscal year, goal or None for the program, direction or None, field)."""


@dataclass
class CommitteeInput:
    """Every value the committee gave, by (fiscal year, goal, direction, field), with the
    sheets read (for the fingerprint check)."""

    values: dict[Key, Given] = field(default_factory=dict)
    sheets: list[SheetInput] = field(default_factory=list)

    def get(self, fiscal_year: int, goal: int | None, direction: int | None, name: str):
        """The value given for one place and field, or None."""
        given = self.values.get((fiscal_year, goal, direction, name))
        return None if given is None else given.value

    def given(self, fiscal_year: int, goal: int | None, direction: int | None, name: str):
        """The :class:`Given` for one place and field (its value and where), or None."""
        return self.values.get((fiscal_year, goal, direction, name))

    def years(self) -> set[int]:
        """The fiscal years some value was given for."""
        return {key[0] for key in self.values}

    def add(self, key: Key, given: Given) -> None:
        """Record a value; the same value again is fine, a different one is a conflict.

        Raises
        ------
        CommitteeConflictError
            If ``key`` already holds a different value, naming both places.
        """
        known = self.values.get(key)
        if known is None:
            self.values[key] = given
            return
        if _comparable(known.value) != _comparable(given.value):
            raise CommitteeConflictError(
                place_label(*key),
                known.where,
                known.value,
                given.where,
                given.value,
                _remedy(known, given),
            )


def _remedy(first: Given, second: Given) -> str:
    """Which input to remove so that the other stands."""
    if first.file == second.file:
        return f"{first.file} の中で同じ項目が2回書かれています。一方を消してください"
    if is_committee_sheet(Path(first.file)):
        return (
            f"どちらか一方のシートを残してください（{first.file} か {second.file} を"
            " raw フォルダから取り除きます）"
        )
    return (
        f"どちらか一方にしてください: {second.file} の値を使うなら {first.where}の値を消し"
        f"（行ごと消しても構いません）、{first.file} の値を使うなら {second.file} を"
        " raw フォルダから取り除いてください"
    )


def _comparable(value: str) -> str:
    return unicodedata.normalize("NFKC", value).replace("\r\n", "\n").strip()


def place_label(fiscal_year: int, goal: int | None, direction: int | None, name: str) -> str:
    """``2021年度 基本目標1 取組の方向性2 の進捗``: a place and field in words."""
    if goal is None:
        what = PROGRAM_LABELS.get(name) or f"プログラム全体の{FIELD_LABELS[name]}"
        return f"{fiscal_year}年度 {what}"
    where = f"基本目標{goal}" + (f" 取組の方向性{direction}" if direction is not None else "")
    return f"{fiscal_year}年度 {where} の{FIELD_LABELS[name]}"


def merge(judgements: list[dict], sheets: list[SheetInput], judgements_file: str | None):
    """One :class:`CommitteeInput` from judgements.csv's rows and the returned sheets.

    Raises
    ------
    CommitteeConflictError
        If two of them give different values for one place and field.
    """
    merged = CommitteeInput()
    columns = {
        "progress": "達成状況",
        "outlook": "今後の方向性",
        "reason": "理由",
        "verdict": "達成状況",
        "verdict_reason": "理由",
    }
    for row in judgements:
        direction = row.get("direction")
        names = ("verdict", "verdict_reason") if direction is not None else GOAL_FIELDS[:3]
        for name in names:
            source = {"verdict": "progress", "verdict_reason": "reason"}.get(name, name)
            value = row.get(source)
            if value is None or not str(value).strip():
                continue
            where = f"{judgements_file} 行 {row['source_row']} 列「{columns[name]}」"
            merged.add(
                (row["fiscal_year"], row["goal"], direction, name),
                Given(str(value), where, str(judgements_file)),
            )
    for sheet in sheets:
        for (direction, name), given in sheet.values.items():
            merged.add((sheet.fiscal_year, sheet.goal, direction, name), given)
        merged.sheets.append(sheet)
    return merged


# ---------------------------------------------------------------- reading a returned sheet


def parse_sheet_name(path: Path, plan: Plan) -> tuple[int, int | None]:
    """The fiscal year and goal (None: the program) a sheet's file name gives.

    Raises
    ------
    CommitteeSheetError
        If the name is not one ``kawaeval sheets`` gives, or names a year or goal the plan
        does not have.
    """
    match = _NAME.match(_normal_name(path))
    if match is None:
        raise CommitteeSheetError(
            path,
            None,
            None,
            None,
            "ファイル名から年度と基本目標が読めません。kawaeval sheets が付けた名前"
            f"（例: {sheet_file_name(plan.program_years[-1], plan.goal_numbers[0])}）"
            "のまま raw フォルダに置いてください",
        )
    year = int(match["year"])
    if year not in plan.program_years:
        allowed = "、".join(str(y) for y in plan.program_years)
        raise CommitteeSheetError(
            path,
            None,
            None,
            None,
            f"ファイル名の年度 {year} は{plan.program}の年度（{allowed}）ではありません",
        )
    goal = None if match["program"] else int(match["goal"])
    if goal is not None and goal not in plan.goal_numbers:
        allowed = "、".join(str(g) for g in plan.goal_numbers)
        raise CommitteeSheetError(
            path,
            None,
            None,
            None,
            f"ファイル名の基本目標{goal}は計画にありません（基本目標は {allowed}）",
        )
    return year, goal


class _Cells:
    """The named cells of one workbook, read as (cell, value)."""

    def __init__(self, path: Path, workbook):
        self.path = path
        self.workbook = workbook
        self.names = {name: dn for name, dn in workbook.defined_names.items()}

    def where(self, name: str) -> tuple[str, str] | None:
        dn = self.names.get(name)
        if dn is None:
            return None
        for sheet, coordinate in dn.destinations:
            return sheet, coordinate.replace("$", "")
        return None

    def read(self, name: str, required: bool = True) -> tuple[str | None, str | None, object]:
        """(sheet, cell, value) of a named cell; None cells when the name is absent."""
        place = self.where(name)
        if place is None:
            if required:
                raise CommitteeSheetError(
                    self.path,
                    SHEET,
                    None,
                    None,
                    f"記入欄（{name}）が見つかりません。kawaeval sheets が作ったシートの形の"
                    "まま返してください（行や列を消したり、シートを作り直したりしないでください）",
                )
            return None, None, None
        sheet, cell = place
        if sheet not in self.workbook.sheetnames:
            raise CommitteeSheetError(self.path, sheet, cell, None, "シートが見つかりません")
        return sheet, cell, self.workbook[sheet][cell].value


def _cell_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").strip()
    return text or None


def grade_choice(grade: Grade) -> str:
    """A grade as a drop-down lists it: ``B 一定の進捗があった``."""
    return f"{grade.grade} {grade.label}"


def read_grade(text: str, grades: tuple[Grade, ...]) -> str | None:
    """The grade code a cell's text means (``B 一定の進捗があった``, ``Ｂ``, or the label), or
    None when it is none of the scale's."""
    norm = unicodedata.normalize("NFKC", text).strip()
    first = norm.split()[0] if norm.split() else ""
    for grade in grades:
        code = unicodedata.normalize("NFKC", grade.grade)
        label = unicodedata.normalize("NFKC", grade.label)
        if norm in (code, label, f"{code} {label}") or first == code:
            return grade.grade
    return None


def read_sheet(path: Path, plan: Plan) -> SheetInput:
    """Read one returned evaluation sheet.

    Raises
    ------
    CommitteeSheetError
        If the file is not a workbook kawaeval can read, its name or its year, goal or
        directions contradict the plan or each other, or a choice is outside its list.
    """
    from openpyxl import load_workbook

    path = Path(path)
    fiscal_year, goal = parse_sheet_name(path, plan)
    try:
        workbook = load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise CommitteeSheetError(
            path, None, None, None, f"Excel のブック（.xlsx）として読めません: {exc}"
        ) from exc
    try:
        return _read(path, plan, fiscal_year, goal, _Cells(path, workbook))
    finally:
        workbook.close()


def _read(path: Path, plan: Plan, fiscal_year: int, goal: int | None, cells: _Cells):
    def fail(sheet, cell, value, problem):
        raise CommitteeSheetError(path, sheet, cell, value, problem)

    which = PROGRAM_WORD if goal is None else f"基本目標{goal}"
    sheet, cell, value = cells.read(defined_name("fiscal_year"))
    if _cell_text(value) != str(fiscal_year):
        fail(
            sheet,
            cell,
            value,
            f"ファイル名は{fiscal_year}年度ですが、シートは{_cell_text(value)}年度のものです。"
            "ファイル名とシートの中身を合わせてください"
            "（kawaeval sheets が付けた名前のまま置きます）",
        )
    sheet, cell, value = cells.read(defined_name("goal"))
    if _cell_text(value) != (PROGRAM_WORD if goal is None else str(goal)):
        shown = _cell_text(value)
        inside = PROGRAM_WORD if shown == PROGRAM_WORD else f"基本目標{shown}"
        fail(
            sheet,
            cell,
            value,
            f"ファイル名は{which}ですが、シートは{inside}のものです。"
            "ファイル名とシートの中身を合わせてください"
            "（kawaeval sheets が付けた名前のまま置きます）",
        )
    fingerprint = _cell_text(cells.read(defined_name("fingerprint"), required=False)[2])

    found: dict[tuple[int | None, str], Given] = {}

    def take(name: str, direction: int | None = None) -> None:
        sheet, cell, value = cells.read(defined_name(name, direction))
        text = _cell_text(value)
        if text is None:
            return
        if name in GRADE_FIELDS:
            grades = {
                "progress": plan.progress_grades,
                "outlook": plan.outlook_grades,
                "verdict": plan.direction_grades,
            }[name]
            code = read_grade(text, grades)
            if code is None:
                choices = "、".join(grade_choice(g) for g in grades)
                what = FIELD_LABELS[name]
                if direction is not None:
                    what = f"取組の方向性{direction}の{what}"
                fail(
                    sheet,
                    cell,
                    value,
                    f"{what}は一覧（{choices}）から選んでください"
                    "（この欄は一覧から選ぶ欄です。別の値を貼り付けないでください）",
                )
            text = code
        where = f"{path.name} シート「{sheet}」セル {cell}"
        found[(direction, name)] = Given(text, where, path.name)

    if goal is None:
        for name in PROGRAM_FIELDS:
            take(name)
    else:
        for name in GOAL_FIELDS:
            take(name)
        expected = set(plan.direction_numbers(goal))
        pattern = re.compile(r"^kawaeval_d(\d+)_verdict$")
        present = {int(m[1]): name for name in cells.names if (m := pattern.match(name))}
        for number in sorted(set(present) - expected):
            sheet, cell = cells.where(present[number]) or (SHEET, None)
            fail(
                sheet,
                cell,
                None,
                f"シートに取組の方向性{number}の欄がありますが、"
                f"計画の基本目標{goal}の取組の方向性は "
                + "、".join(str(d) for d in sorted(expected))
                + " です。計画に合わせて kawaeval sheets で作り直してください",
            )
        for number in sorted(expected - set(present)):
            fail(
                SHEET,
                None,
                None,
                f"計画の基本目標{goal}の取組の方向性{number}の欄がシートにありません。"
                "計画に合わせて kawaeval sheets で作り直してください",
            )
        for number in sorted(expected):
            for name in DIRECTION_FIELDS:
                take(name, number)
    return SheetInput(path.name, fiscal_year, goal, fingerprint, found)


def load_committee(raw_dir: Path, plan: Plan, judgements: list[dict], judgements_file):
    """The committee's input in the raw folder: judgements.csv's rows and every returned sheet.

    Raises
    ------
    CommitteeSheetError
        If a sheet cannot be read as the committee's input (file, sheet, cell).
    CommitteeConflictError
        If two inputs give different values for one place.
    """
    sheets = [read_sheet(path, plan) for path in find_sheets(raw_dir)]
    return merge(judgements, sheets, judgements_file)
