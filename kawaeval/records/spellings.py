"""How city staff write headers and values, and what each spelling means.

Header roles, fiscal-year headers (era years), goal / direction / achievement spellings,
Kawasaki's 5-level scale, dash markers and the wording of rejection reasons. Pure functions
of one cell's text; :mod:`kawaeval.records.cleaning` applies them to whole columns.
"""

from __future__ import annotations

import re
import unicodedata

from kawaeval.plan import Plan

# Header spellings (after NFKC, spaces removed, Latin letters lower-cased) -> role.
HEADER_ROLES = {
    "initiative_id": ("取組番号", "番号", "no", "no.", "id"),
    "goal": ("基本目標",),
    "direction": ("取組の方向性", "方向性"),
    "name": ("取組名", "事務事業名", "取組"),
    "bureau": ("所管局", "所管課", "局名"),
    "reason": ("主な理由", "下回った理由", "理由"),
}
REQUIRED_ROLES = ("initiative_id", "name", "goal", "direction")
ROLE_LABELS = {
    "initiative_id": "取組番号 (id)",
    "goal": "基本目標 (goal)",
    "direction": "取組の方向性 (direction)",
    "name": "取組名 (name)",
    "bureau": "所管局 (bureau)",
    "reason": "理由 (reason)",
}
_HEADER_TO_ROLE = {
    spelling: role for role, spellings in HEADER_ROLES.items() for spelling in spellings
}

ERA_BASE = {"平成": 1988, "H": 1988, "令和": 2018, "R": 2018}
_YEAR_HEADER = re.compile(
    r"(?P<pre>.*?)"
    r"(?:(?P<era>平成|令和|H|R)(?P<era_year>元|[0-9]{1,2})(?:年度|年)?"
    r"(?:\((?P<paren>[0-9]{4})(?:年度|年)?\))?"
    r"|(?:FY)?(?P<west>[0-9]{4}))"
    r"(?P<post>.*)"
)
_YEAR_WRAPPER = re.compile(
    r"(?:達成度|達成状況|評価結果|評価|結果|年度|年|度|の|[()\[\]【】「」『』:/_・-])*"
)
LOOKS_LIKE_A_YEAR = re.compile(r"[0-9]{4}|平成|令和|年度|\b[HRhr][0-9]{1,2}\b")

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
_DASHES = "-‐‑−–ー"


def spelling_key(text: str) -> str:
    """NFKC, all spaces (full-width too) removed: the form spellings are compared in."""
    return "".join(unicodedata.normalize("NFKC", str(text)).split())


def header_role(header: str) -> str | None:
    """The field a non-year header names (``initiative_id``, ``goal``...), or None."""
    key = spelling_key(header)
    return _HEADER_TO_ROLE.get(key.lower() if key.isascii() else key)


def parse_fiscal_year_header(header: str) -> int | None:
    """The Western fiscal year a header names (``平成30年度`` -> 2018), or None if it names none.

    Raises
    ------
    ValueError
        If the header gives an era year and a Western year in brackets that disagree.
    """
    key = spelling_key(header).upper()
    match = _YEAR_HEADER.fullmatch(key)
    if match is None:
        return None
    for part in (match["pre"], match["post"]):
        if not _YEAR_WRAPPER.fullmatch(part):
            return None
    if match["west"] is not None:
        return int(match["west"])
    number = 1 if match["era_year"] == "元" else int(match["era_year"])
    if number < 1:
        return None
    year = ERA_BASE[match["era"]] + number
    if match["paren"] is not None and int(match["paren"]) != year:
        era = "平成" if match["era"] in ("平成", "H") else "令和"
        written = "元" if number == 1 else str(number)
        raise ValueError(
            f"{era}{written}年度は {year} 年度ですが、括弧内は {match['paren']} 年度です"
        )
    return year


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
    its own label (``3 ほぼ目標どおり``, ``３：ほぼ目標どおり``, ``4（目標を下回った）``) is
    accepted; a code written with another level's label is bad, with a reason saying so.
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
        if spellings.get(label, "not_evaluated") != "not_evaluated" and not label.isdigit():
            return None, (
                f"達成度のコード {code} と表記「{label}」が一致しません"
                f"（{code} は「{own_labels[0]}」）。コードか表記のどちらかを直してください"
            )
    return None, REASON_ACHIEVEMENT
