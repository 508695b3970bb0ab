"""Optional inputs beside the initiative records: committee judgements, highlights, indicators,
and the committee's returned evaluation sheets (:mod:`kawaeval.records.committee`).

Each is one CSV (UTF-8, UTF-8 with BOM or CP932, detected) or xlsx (first sheet) in the raw
folder, with Japanese headers; the formats are documented in docs/data-dictionary.md. A missing
file is fine (an empty table with the same columns); a bad row stops the run with the file,
Excel row (header = row 1), column, value and what was expected.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from kawaeval.exceptions import SupplementError
from kawaeval.plan import Plan
from kawaeval.records.committee import CommitteeInput, load_committee, merge
from kawaeval.records.folder import (
    NOTICE_FILE,
    SUPPLEMENT_STEMS,
    SUPPLEMENT_SUFFIXES,
)
from kawaeval.records.spellings import (
    parse_direction,
    parse_goal,
    read_fiscal_year,
    remove_invisible,
    spelling_key,
)

FILE_STEMS = SUPPLEMENT_STEMS  # one home: reading names them when it surveys the raw folder
SUFFIXES = SUPPLEMENT_SUFFIXES

# code name -> (accepted headers, required)
JUDGEMENT_COLUMNS = {
    "fiscal_year": (("年度", "fiscal_year"), True),
    "goal": (("基本目標", "goal"), True),
    "direction": (("取組の方向性", "方向性", "direction"), False),
    "progress": (("達成状況", "progress"), True),
    "outlook": (("今後の方向性", "outlook"), True),
    "reason": (("理由", "評価の理由", "reason"), True),
}
HIGHLIGHT_COLUMNS = {
    "fiscal_year": (("年度", "fiscal_year"), True),
    "goal": (("基本目標", "goal"), True),
    "direction": (("取組の方向性", "方向性", "direction"), True),
    "initiative": (("取組名", "取組", "initiative"), True),
    "result": (("主な実績", "実績", "result"), True),
}
INDICATOR_COLUMNS = {
    "goal": (("基本目標", "goal"), True),
    "name": (("指標名", "name"), True),
    "unit": (("単位", "unit"), True),
    "better": (("望ましい方向", "better"), True),
    "baseline": (("基準値", "baseline"), True),
    "fiscal_year": (("年度", "fiscal_year"), True),
    "target": (("目標値", "target"), True),
    "actual": (("実績値", "actual"), True),
    "illustrative": (("illustrative", "例示"), False),
}

JUDGEMENT_DTYPES = {
    "fiscal_year": "int64",
    "goal": "Int64",
    "direction": "Int64",
    "progress": "string",
    "outlook": "string",
    "reason": "string",
    "source_row": "int64",
}
HIGHLIGHT_DTYPES = {
    "fiscal_year": "int64",
    "goal": "int64",
    "direction": "int64",
    "initiative": "string",
    "result": "string",
    "source_row": "int64",
}
INDICATOR_DTYPES = {
    "goal": "int64",
    "name": "string",
    "unit": "string",
    "better": "string",
    "baseline": "object",
    "fiscal_year": "int64",
    "target": "object",
    "actual": "object",
    "illustrative": "bool",
    "source_row": "int64",
}

PROGRAM_WORDS = ("全体", "総合", "総合評価", "プログラム全体")
BETTER_WORDS = {
    "高いほど良い": "higher",
    "高いほどよい": "higher",
    "高い方が良い": "higher",
    "higher": "higher",
    "低いほど良い": "lower",
    "低いほどよい": "lower",
    "低い方が良い": "lower",
    "lower": "lower",
}
TRUE_WORDS = ("true", "1", "yes", "y", "はい", "○", "〇", "例示")
FALSE_WORDS = ("false", "0", "no", "n", "いいえ", "")


@dataclass(frozen=True)
class Supplements:
    """The optional inputs as tables; each is empty (with its columns) when its file is absent."""

    judgements: pd.DataFrame
    highlights: pd.DataFrame
    indicators: pd.DataFrame
    notice: str | None = None
    committee: CommitteeInput | None = None
    """judgements.csv and the returned evaluation sheets, merged: what the assessment reads
    (when not given, the ``judgements`` table alone)."""

    def __post_init__(self) -> None:
        if self.committee is None:
            object.__setattr__(
                self, "committee", merge(judgement_records(self.judgements), [], "judgements.csv")
            )


def judgement_records(judgements: pd.DataFrame) -> list[dict]:
    """The rows of a judgements table as dicts, missing values as None."""
    rows = judgements.astype(object).where(judgements.notna(), None).to_dict("records")
    for row in rows:
        row.setdefault("direction", None)
    return rows


def empty_supplements() -> Supplements:
    """Supplements with no judgements, highlights or indicators."""
    return Supplements(
        _frame([], JUDGEMENT_DTYPES), _frame([], HIGHLIGHT_DTYPES), _frame([], INDICATOR_DTYPES)
    )


def load_supplements(raw_dir: Path, plan: Plan) -> Supplements:
    """Read the judgements, highlights, indicators and notice files in ``raw_dir`` when present.

    Raises
    ------
    SupplementError
        If a file cannot be read, two files of one kind are present, a required column is
        missing, or a row holds a value the plan does not allow.
    """
    raw_dir = Path(raw_dir)
    loaded = {}
    for kind, columns, parse in (
        ("judgements", JUDGEMENT_COLUMNS, _parse_judgement),
        ("highlights", HIGHLIGHT_COLUMNS, _parse_highlight),
        ("indicators", INDICATOR_COLUMNS, _parse_indicator),
    ):
        path = _find(raw_dir, kind)
        records = []
        if path is not None:
            for row_number, row in _rows(path, columns):
                records.append({**parse(path, row_number, row, plan), "source_row": row_number})
        loaded[kind] = records
    judgements_path = _find(raw_dir, "judgements")
    _check_unique(loaded["judgements"], ("fiscal_year", "goal", "direction"), judgements_path)
    indicators_path = _find(raw_dir, "indicators")
    _check_unique(loaded["indicators"], ("goal", "name", "fiscal_year"), indicators_path)
    _check_indicator_constants(loaded["indicators"], indicators_path)
    return Supplements(
        judgements=_frame(loaded["judgements"], JUDGEMENT_DTYPES),
        highlights=_frame(loaded["highlights"], HIGHLIGHT_DTYPES),
        indicators=_frame(loaded["indicators"], INDICATOR_DTYPES),
        notice=load_notice(raw_dir),
        committee=load_committee(
            raw_dir,
            plan,
            loaded["judgements"],
            judgements_path.name if judgements_path is not None else None,
        ),
    )


def load_notice(raw_dir: Path) -> str | None:
    """The text of ``notice.txt`` in the raw folder (shown on every report page), if any.

    Raises
    ------
    SupplementError
        If the file is not UTF-8 text.
    """
    path = Path(raw_dir) / NOTICE_FILE
    if not path.is_file():
        return None
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SupplementError(
            path, None, None, None, "UTF-8 のテキストとして保存してください (not UTF-8 text)"
        ) from exc
    return " ".join(text.split()) or None


def _frame(records: list[dict], dtypes: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            column: pd.Series([r[column] for r in records], dtype=dtype)
            for column, dtype in dtypes.items()
        }
    )


def _find(raw_dir: Path, kind: str) -> Path | None:
    found = sorted(
        p
        for stem in FILE_STEMS[kind]
        for suffix in SUFFIXES
        if (p := raw_dir / f"{stem}{suffix}").is_file()
    )
    if len(found) > 1:
        names = "、".join(p.name for p in found)
        raise SupplementError(
            found[0],
            None,
            None,
            None,
            f"同じ種類のファイルが複数あります（{names}）。1つにしてください",
        )
    return found[0] if found else None


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _table(path: Path) -> list[list[str]]:
    """All rows of a CSV (encoding detected) or of an xlsx's first sheet, as text."""
    if path.suffix == ".xlsx":
        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a damaged file
            raise SupplementError(path, None, None, None, f"xlsx として読めません: {exc}") from exc
        try:  # the first visible sheet: a hidden one is never read in its place
            sheet = next(
                (w for w in workbook.worksheets if w.sheet_state == "visible"),
                workbook.worksheets[0],
            )
            return [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        finally:
            workbook.close()
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SupplementError(
            path, None, None, None, "文字コードが UTF-8 でも CP932 (Shift_JIS) でもありません"
        )
    return list(csv.reader(io.StringIO(text, newline="")))


def _norm(text: str) -> str:
    return remove_invisible(unicodedata.normalize("NFKC", text)).strip()


def _rows(path: Path, columns: dict) -> list[tuple[int, dict[str, str]]]:
    """(Excel row number, {code name: text}) for every non-blank data row."""
    table = _table(path)
    if not table:
        raise SupplementError(path, None, None, None, "ファイルが空です（見出し行がありません）")
    header = [_norm(h) for h in table[0]]
    positions = {}
    for code, (names, required) in columns.items():
        hits = [
            i for i, h in enumerate(header) if spelling_key(h) in {spelling_key(n) for n in names}
        ]
        if hits:
            positions[code] = hits[0]
        elif required:
            raise SupplementError(
                path,
                1,
                names[0],
                None,
                "必要な列がありません（見出しは " + " / ".join(names) + " のいずれか）",
            )
    rows = []
    for number, raw in enumerate(table[1:], start=2):
        if not any(_norm(v) for v in raw):
            continue
        rows.append(
            (
                number,
                {code: (raw[i].strip() if i < len(raw) else "") for code, i in positions.items()},
            )
        )
    return rows


def _fail(path, row, column, value, problem):
    raise SupplementError(path, row, column, value, problem)


def _year(path: Path, row: int, column: str, value: str, plan: Plan) -> int:
    year, problem = read_fiscal_year(value)
    if year is None or year not in plan.program_years:
        allowed = "、".join(str(y) for y in plan.program_years)
        why = f"{problem}。" if problem else ""
        _fail(path, row, column, value, f"{why}実行プログラムの年度（{allowed}）を書いてください")
    return year


def _goal(path: Path, row: int, column: str, value: str, plan: Plan, allow_program: bool):
    if allow_program and spelling_key(value) in PROGRAM_WORDS:
        return None
    number = parse_goal(value)
    if number is None or number not in plan.goal_numbers:
        allowed = "、".join(str(g) for g in plan.goal_numbers)
        extra = "、またはプログラム全体なら「全体」" if allow_program else ""
        _fail(path, row, column, value, f"基本目標の番号（{allowed}）{extra}を書いてください")
    return number


def _direction(path: Path, row: int, column: str, value: str, plan: Plan, goal: int) -> int:
    parsed = parse_direction(value)
    if parsed is not None and parsed[0] is not None and parsed[0] != goal:
        _fail(path, row, column, value, f"基本目標の列（{goal}）と食い違っています")
    number = None if parsed is None else parsed[1]
    if number is None or number not in plan.direction_numbers(goal):
        allowed = "、".join(str(d) for d in plan.direction_numbers(goal))
        _fail(
            path,
            row,
            column,
            value,
            f"基本目標{goal}の取組の方向性の番号（{allowed}）を書いてください",
        )
    return number


def _grade(path: Path, row: int, column: str, value: str, grades, kind: str) -> str:
    text = _norm(value)
    first = text.split(" ")[0] if text else ""
    for grade in grades:
        if _norm(grade.grade) in (text, first) or _norm(grade.label) == text:
            return grade.grade
    allowed = "、".join(g.grade for g in grades)
    _fail(path, row, column, value, f"{kind}の区分（{allowed}）を書いてください")
    raise AssertionError  # unreachable: _fail raises


def _number(path: Path, row: int, column: str, value: str, required: bool):
    text = _norm(value).replace(",", "").replace(" ", "")
    if text == "":
        if required:
            _fail(path, row, column, value, "数値を書いてください")
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        _fail(path, row, column, value, "数値として読めません")
    return int(number) if number == number.to_integral_value() else float(number)


def _text(path: Path, row: int, column: str, value: str, required: bool) -> str | None:
    text = _norm(value)
    if text == "":
        if required:
            _fail(path, row, column, value, "空欄です。内容を書いてください")
        return None
    return value.strip()


def _parse_judgement(path: Path, row: int, cells: dict, plan: Plan) -> dict:
    """A goal's grades, the program's (基本目標 全体), or, with 取組の方向性 filled, a
    direction's verdict (達成状況 from the plan's direction grades, 今後の方向性 blank)."""
    goal = _goal(path, row, "基本目標", cells["goal"], plan, allow_program=True)
    direction = None
    if _norm(cells.get("direction", "")):
        if goal is None:
            _fail(
                path,
                row,
                "取組の方向性",
                cells["direction"],
                "取組の方向性の行には基本目標の番号を書いてください（全体ではなく）",
            )
        direction = _direction(path, row, "取組の方向性", cells["direction"], plan, goal)
    outlook_text = cells["outlook"]
    outlook = None
    if _norm(outlook_text):
        if direction is not None:
            _fail(
                path,
                row,
                "今後の方向性",
                outlook_text,
                "取組の方向性の行では今後の方向性を空欄にしてください（基本目標の行に書きます）",
            )
        outlook = _grade(
            path, row, "今後の方向性", outlook_text, plan.outlook_grades, "今後の方向性"
        )
    grades, kind = (
        (plan.progress_grades, "達成状況")
        if direction is None
        else (plan.direction_grades, "取組の方向性の進捗")
    )
    return {
        "fiscal_year": _year(path, row, "年度", cells["fiscal_year"], plan),
        "goal": goal,
        "direction": direction,
        "progress": _grade(path, row, "達成状況", cells["progress"], grades, kind),
        "outlook": outlook,
        "reason": _text(path, row, "理由", cells["reason"], required=False),
    }


def _parse_highlight(path: Path, row: int, cells: dict, plan: Plan) -> dict:
    goal = _goal(path, row, "基本目標", cells["goal"], plan, allow_program=False)
    return {
        "fiscal_year": _year(path, row, "年度", cells["fiscal_year"], plan),
        "goal": goal,
        "direction": _direction(path, row, "取組の方向性", cells["direction"], plan, goal),
        "initiative": _text(path, row, "取組名", cells["initiative"], required=True),
        "result": _text(path, row, "主な実績", cells["result"], required=True),
    }


def _parse_indicator(path: Path, row: int, cells: dict, plan: Plan) -> dict:
    better_text = _norm(cells["better"]).replace(" ", "")
    better = BETTER_WORDS.get(better_text.lower())
    if better is None:
        _fail(
            path,
            row,
            "望ましい方向",
            cells["better"],
            "「高いほど良い」か「低いほど良い」を書いてください",
        )
    flag = _norm(cells.get("illustrative", "")).lower()
    if flag not in TRUE_WORDS and flag not in FALSE_WORDS:
        _fail(path, row, "illustrative", cells["illustrative"], "true か false を書いてください")
    return {
        "goal": _goal(path, row, "基本目標", cells["goal"], plan, allow_program=False),
        "name": _text(path, row, "指標名", cells["name"], required=True),
        "unit": _text(path, row, "単位", cells["unit"], required=False) or "",
        "better": better,
        "baseline": _number(path, row, "基準値", cells["baseline"], required=False),
        "fiscal_year": _year(path, row, "年度", cells["fiscal_year"], plan),
        "target": _number(path, row, "目標値", cells["target"], required=False),
        "actual": _number(path, row, "実績値", cells["actual"], required=False),
        "illustrative": flag in TRUE_WORDS,
    }


def _check_unique(records: list[dict], keys: tuple[str, ...], path: Path | None) -> None:
    seen: dict[tuple, int] = {}
    for record in records:
        key = tuple(record[k] for k in keys)
        if key in seen:
            named = [(k, v) for k, v in zip(keys, key, strict=True) if v is not None or k == "goal"]
            shown = " / ".join("全体" if v is None else str(v) for _, v in named)
            _fail(
                path,
                record["source_row"],
                None,
                shown,
                f"行 {seen[key]} と同じ組み合わせ（{' / '.join(k for k, _ in named)}）"
                "が重複しています",
            )
        seen[key] = record["source_row"]


def _check_indicator_constants(records: list[dict], path: Path | None) -> None:
    first: dict[tuple, dict] = {}
    labels = {"unit": "単位", "better": "望ましい方向", "baseline": "基準値"}
    for record in records:
        key = (record["goal"], record["name"])
        if key not in first:
            first[key] = record
            continue
        for field, label in labels.items():
            if record[field] != first[key][field]:
                _fail(
                    path,
                    record["source_row"],
                    label,
                    record[field],
                    f"同じ指標の行 {first[key]['source_row']} の値"
                    f"「{first[key][field]}」と異なります（指標ごとに1つにしてください）",
                )
