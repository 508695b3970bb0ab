"""How city staff write headers and values, and what each spelling means.

Header roles, fiscal-year headers (era years), goal / direction / achievement spellings,
Kawasaki's 5-level scale, dash markers and the wording of rejection reasons. Pure functions
of one cell's text; :mod:`kawaeval.records.layout` and :mod:`kawaeval.records.row_checks`
apply them to whole columns.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from kawaeval.plan import Plan

# Header spellings (after NFKC, spaces removed, Latin letters lower-cased) -> role.
HEADER_ROLES = {
    "initiative_id": ("取組番号", "番号", "no", "no.", "id"),
    "goal": ("基本目標",),
    "direction": ("取組の方向性", "方向性"),
    "name": ("取組名", "事務事業名", "取組"),
    "bureau": ("所管局", "所管課", "局名"),
    "reason": ("主な理由", "下回った理由", "理由"),
    "former_id": ("旧取組番号", "旧番号", "旧ID", "変更前の取組番号"),
}
REQUIRED_ROLES = ("initiative_id", "name", "goal", "direction")
ROLE_LABELS = {
    "initiative_id": "取組番号 (id)",
    "goal": "基本目標 (goal)",
    "direction": "取組の方向性 (direction)",
    "name": "取組名 (name)",
    "bureau": "所管局 (bureau)",
    "reason": "理由 (reason)",
    "former_id": "旧取組番号 (former id)",
}
_HEADER_TO_ROLE = {
    spelling: role for role, spellings in HEADER_ROLES.items() for spelling in spellings
}

ERA_BASE = {"平成": 1988, "H": 1988, "令和": 2018, "R": 2018}
ERA_NAMES = {"平成": "平成", "H": "平成", "令和": "令和", "R": "令和"}

# What a year column holds besides the year: words -> kind. 達成度-like words win over the
# others (``目標達成度`` is an achievement); 実績 is an indicator's actual value or, in some
# files, the achievement itself; 目標 is an indicator's target.
ACHIEVEMENT_WORDS = ("達成度", "達成状況", "評価結果", "評価", "結果")
ACTUAL_WORDS = ("実績値", "実績")
TARGET_WORDS = ("目標値", "目標")
YEAR_KINDS = {"achievement": "達成度", "actual": "実績", "target": "目標"}
_YEAR_TOKEN = re.compile(
    r"(?P<era>平成|令和|(?<![A-Z])H|(?<![A-Z])R)(?P<era_year>元|[0-9]{1,2})(?![0-9])(?:年度|年)?"
    r"|(?<![0-9])(?:FY)?(?P<west>(?:19|20)[0-9]{2})(?![0-9])(?:年度|年)?"
    r"|(?P<word>" + "|".join((*ACHIEVEMENT_WORDS, *ACTUAL_WORDS, *TARGET_WORDS)) + r")"
    r"|(?P<open>[(\[【「『〔<])|(?P<close>[)\]】」』〕>])"
    r"|(?P<filler>年度|年|度|の|分|[:/_・.,~-])"
)
LOOKS_LIKE_A_YEAR = re.compile(
    r"(?<![0-9])(?:19|20)[0-9]{2}(?![0-9])|平成|令和|(?<![A-Z])[HR](?:元|[0-9]{1,2})(?![0-9])"
)


@dataclass(frozen=True)
class YearHeader:
    """A header naming a fiscal year: the year, and what the column holds (``YEAR_KINDS``)."""

    year: int
    kind: str = "achievement"


def _year_label(token: re.Match) -> str:
    if token["west"] is not None:
        return f"{token['west']}年度"
    return f"{ERA_NAMES[token['era']]}{token['era_year']}年度"


def read_year_header(header: str) -> YearHeader | None:
    """The fiscal year a header names and what its column holds, or None if it names none.

    Any mix of Western, era and FY forms, bracketed alternatives (``2019(R1)``,
    ``平成31（令和元）年度``, ``2019（令和元）年度``) and the words of ``YEAR_KINDS``
    (``2019年度実績``, ``令和元年度 達成度``) is read; every year it mentions must be the same.

    Raises
    ------
    ValueError
        If the header names two different years (``平成30(2019)年度``).
    """
    key = spelling_key(header).upper()
    position, depth = 0, 0
    years: list[tuple[int, re.Match, bool]] = []
    words: set[str] = set()
    while position < len(key):
        token = _YEAR_TOKEN.match(key, position)
        if token is None or token.end() == position:
            return None
        position = token.end()
        if token["open"] is not None:
            depth += 1
        elif token["close"] is not None:
            depth -= 1
        elif token["word"] is not None:
            words.add(token["word"])
        elif token["west"] is not None:
            years.append((int(token["west"]), token, depth > 0))
        elif token["era"] is not None:
            number = 1 if token["era_year"] == "元" else int(token["era_year"])
            if number < 1:
                return None
            years.append((ERA_BASE[token["era"]] + number, token, depth > 0))
    if not years:
        return None
    first, first_token, _ = years[0]
    for year, token, bracketed in years[1:]:
        if year != first:
            where = "括弧内" if bracketed else f"「{_year_label(token)}」"
            raise ValueError(
                f"{_year_label(first_token)}は {first} 年度ですが、{where}は {year} 年度です"
            )
    if words & set(ACHIEVEMENT_WORDS) or not words:
        return YearHeader(first, "achievement")
    if words <= set(ACTUAL_WORDS):
        return YearHeader(first, "actual")
    if words <= set(TARGET_WORDS):
        return YearHeader(first, "target")
    return None  # 目標 and 実績 in one header: which one is it?


def parse_fiscal_year_header(header: str) -> int | None:
    """The Western fiscal year a header names (``平成30年度`` -> 2018), or None if it names none.

    Raises
    ------
    ValueError
        If the header names two different years (``平成30(2019)年度``).
    """
    read = read_year_header(header)
    return None if read is None else read.year


def read_fiscal_year(value: str) -> tuple[int | None, str | None]:
    """(year, None) for a cell naming a fiscal year (``2021``, ``令和3年度``, ``R3``,
    ``2021(R3)``), else (None, why): the same spellings as year headers, without the words."""
    try:
        read = read_year_header(value)
    except ValueError as exc:
        return None, str(exc)
    if (
        read is None
        or read.kind != "achievement"
        or any(w in spelling_key(value) for w in ACHIEVEMENT_WORDS)
    ):
        return None, None
    return read.year, None


# Rows that are not records: totals (合計, 計, 小計…) and notes (※…) below or inside a table.
_TOTAL_WORD = re.compile(r"(?:合計|小計|総計|累計|計)(?:[(\[:].*|[0-9]+件?)?")
_NOTE_MARK = ("※", "*", "注:", "注)", "(注", "注記", "備考:")


def row_marker(value: str) -> str | None:
    """``total`` for a cell that makes its row a totals row, ``note`` for a note, else None."""
    key = spelling_key(value)
    if not key:
        return None
    if _TOTAL_WORD.fullmatch(key):
        return "total"
    if key.startswith(_NOTE_MARK):
        return "note"
    return None


# Invisible characters (format characters, Unicode category Cf): removed from every header and
# value before it is read; shown as <U+XXXX> in messages.
_INVISIBLE = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u08e2\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)
_SHOWN = re.compile(
    _INVISIBLE.pattern[:-1] + "\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u00a0\u2000-\u200a"
    "\u2028\u2029\u202f\u205f]"
)
INVISIBLE_PATTERN = _INVISIBLE.pattern
TRIMMED = (
    " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
    "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
    "\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"
)
"""What is trimmed from both ends of a text value: every space and the usual invisible marks."""


def remove_invisible(text: str) -> str:
    """``text`` without zero-width spaces, BOMs, direction marks and other format characters."""
    return _INVISIBLE.sub("", text) if not text.isascii() else text


def visible(text: object) -> str:
    """``text`` with invisible and unusual space characters written as ``<U+200B>``."""
    text = "" if text is None else str(text)
    if text.isascii() and text.isprintable():
        return text
    return _SHOWN.sub(lambda m: f"<U+{ord(m[0]):04X}>", text)


# Achievement spellings (after NFKC and removing spaces) -> category.
ACHIEVEMENT_SPELLINGS = {
    "exceeded": ("目標を上回って達成", "目標を上回った", "目標を大きく上回って達成", "1", "2"),
    "on_target": ("ほぼ目標どおり", "ほぼ目標通り", "目標をほぼ達成", "3"),
    "below": ("目標を下回った", "目標を大きく下回った", "4", "5"),
    # dashes: hyphen-minus, full-width hyphen-minus, horizontal bar, em dash, minus sign,
    # katakana long-vowel mark (and its half-width form), hyphen, non-breaking hyphen, en dash
    "not_evaluated": ("", "-", "－", "―", "—", "−", "ー", "ｰ", "‐", "‑", "–", "対象外"),
}
# Kawasaki's 5-level scale: code -> (category, its own label and that label's other spellings).
FIVE_LEVELS = {
    "1": ("exceeded", ("目標を大きく上回って達成",)),
    "2": ("exceeded", ("目標を上回って達成",)),
    "3": ("on_target", ("ほぼ目標どおり", "ほぼ目標通り")),
    "4": ("below", ("目標を下回った",)),
    "5": ("below", ("目標を大きく下回った",)),
}
# A code written with a label, as dropdowns give it: "3 ほぼ目標どおり", "3:…", "2.…", "4(…)".
_CODE_WITH_LABEL = re.compile(r"(?P<code>[1-5])(?:[:.、・)]?(?P<label>[^()]+)|\((?P<paren>.+)\))")
REASON_ID_BLANK = "取組番号が空欄です。取組ごとに重ならない番号を入力してください (id is blank)"
REASON_DUPLICATE_FIX = "取組ごとに重ならない番号にしてください (duplicate id)"
REASON_NAME_BLANK = "取組名が空欄です。取組名を入力してください (name is blank)"
REASON_ACHIEVEMENT = (
    "達成度の値を判別できません。目標を上回って達成 / ほぼ目標どおり / 目標を下回った、"
    "5段階の1〜5、または空欄・－（評価対象外）のいずれかを入力してください"
)
_DASHES = "-‐‑‒−–—―ー"


def spelling_key(text: str) -> str:
    """NFKC, all spaces (full-width too) and invisible characters removed: the form spellings
    are compared in."""
    text = str(text)
    if text.isascii():
        return "".join(text.split())
    return "".join(remove_invisible(unicodedata.normalize("NFKC", text)).split())


def header_role(header: str) -> str | None:
    """The field a non-year header names (``initiative_id``, ``goal``...), or None."""
    key = spelling_key(header)
    return _HEADER_TO_ROLE.get(key.lower() if key.isascii() else key)


_ROMAN = re.compile(r"(X{0,3})(IX|IV|V?I{0,3})")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10}


def _number(text: str) -> int | None:
    """An Arabic or Roman numeral (I, II, III ... after NFKC) as an int, else None."""
    if text.isascii() and text.isdigit():
        return int(text)
    upper = text
    if upper and _ROMAN.fullmatch(upper):
        total = 0
        for i, char in enumerate(upper):
            value = _ROMAN_VALUES[char]
            following = _ROMAN_VALUES[upper[i + 1]] if i + 1 < len(upper) else 0
            total += -value if value < following else value
        return total
    return None


def parse_goal(value: str) -> int | None:
    """The goal number a cell names (``１``, ``基本目標1``, ``Ⅰ``...), or None."""
    key = spelling_key(value)
    key = key.removeprefix("基本目標")
    return _number(key)


def parse_direction(value: str) -> tuple[int | None, int] | None:
    """(goal or None, direction) a cell names (``2``, ``方向性2``, ``Ⅱ``, ``1-2``), or None."""
    key = spelling_key(value)
    for prefix in ("取組の方向性", "方向性"):
        key = key.removeprefix(prefix)
    for dash in _DASHES:
        if dash in key:
            goal_part, _, direction_part = key.partition(dash)
            goal, direction = parse_goal(goal_part), _number(direction_part)
            if goal is None or direction is None:
                return None
            return goal, direction
    direction = _number(key)
    return None if direction is None else (None, direction)


def achievement_spellings(plan: Plan | None = None) -> dict[str, str]:
    """Every accepted achievement spelling (normalised) -> category, plus the plan's labels."""
    spellings = {
        spelling_key(s): category
        for category, values in ACHIEVEMENT_SPELLINGS.items()
        for s in values
    }
    if plan is not None:
        for category, label in plan.achievement_labels.items():
            spellings.setdefault(spelling_key(label), category)
    return spellings


def parse_achievement(value: str, plan: Plan | None = None) -> str | None:
    """The achievement category a cell names, or None for a value the contract does not know."""
    return read_achievement(value, achievement_spellings(plan))[0]


def read_achievement(value: str, spellings: dict[str, str]) -> tuple[str | None, str | None]:
    """(category, None) for an accepted achievement cell, else (None, the reason it is bad).

    Besides the ``spellings`` (see :func:`achievement_spellings`), a 5-level code written with
    its own label (``3 ほぼ目標どおり``, ``３：ほぼ目標どおり``, ``4（目標を下回った）``) or with
    another spelling of its category (``2 目標を上回った``) is accepted; a code written with
    another level's label is bad, with a reason saying so.
    """
    key = spelling_key(value)
    category = spellings.get(key)
    if category is not None:
        return category, None
    match = _CODE_WITH_LABEL.fullmatch(key)
    if match is not None:
        code = match["code"]
        label = match["label"] if match["label"] is not None else match["paren"]
        own_category, own_labels = FIVE_LEVELS[code]
        if label in own_labels:
            return own_category, None
        # another spelling of the code's category (「2 目標を上回った」), not another level's label
        other_levels = (labels for c, (_, labels) in FIVE_LEVELS.items() if c != code)
        same = spellings.get(label) == own_category and not label.isdigit()
        if same and not any(label in o for o in other_levels):
            return own_category, None
        if spellings.get(label, "not_evaluated") != "not_evaluated" and not label.isdigit():
            return None, (
                f"達成度のコード {code} と表記「{label}」が一致しません"
                f"（{code} は「{own_labels[0]}」）。コードか表記のどちらかを直してください"
            )
    return None, REASON_ACHIEVEMENT
