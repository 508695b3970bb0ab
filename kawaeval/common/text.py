"""Text as the city writes it and as files and screens need it: era years, display width,
file names Windows accepts."""

from __future__ import annotations

import re
import unicodedata

_ERAS = ((2019, "令和"), (1989, "平成"), (1926, "昭和"))
_FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
_FULL_WIDTH_LATIN = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    "ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ０１２３４５６７８９",
)
_FORBIDDEN_IN_NAMES = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{p}{i}" for p in ("COM", "LPT") for i in range(10)
}


def city_digits(number: int) -> str:
    """A whole number as the city's prose writes it, as its era years: one digit full-width,
    more half-width (``3`` -> ``３``, ``10`` -> ``10``; ３つの基本目標, 約10割)."""
    text = str(number)
    return text.translate(_FULL_WIDTH_DIGITS) if len(text) == 1 else text


def full_width(text: str) -> str:
    """Latin letters and digits full-width, as the city prints a grade: ``B`` -> ``Ｂ``."""
    return text.translate(_FULL_WIDTH_LATIN)


def era_year(fiscal_year: int, full_width: bool = True) -> str:
    """A fiscal year in the era form the city writes: 2021 -> 令和３(2021)年度, 2019 ->
    令和元(2019)年度, 2018 -> 平成30(2018)年度.

    The city writes a one-digit era year full-width (令和３) and two digits half-width (平成30);
    ``full_width=False`` writes every digit half-width (令和3), as a form's header does.
    """
    for start, era in _ERAS:
        if fiscal_year >= start:
            n = fiscal_year - start + 1
            number = "元" if n == 1 else str(n)
            if full_width and n < 10:
                number = number.translate(_FULL_WIDTH_DIGITS)
            return f"{era}{number}({fiscal_year})年度"
    return f"{fiscal_year}年度"


def display_width(text: str) -> int:
    """Columns a text takes in a fixed-width view (a spreadsheet column): East Asian wide and
    full-width characters count 2, and so do ambiguous ones (※, Ⅱ, ○, ①), which Japanese
    fonts draw wide."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in str(text))


def safe_file_name(text: str, max_length: int = 100) -> str:
    """``text`` as a file name Windows accepts.

    Characters ``<>:"/\\|?*`` and control characters become ``_``, and so does each run of
    white space inside; leading spaces and trailing dots and spaces go; names Windows
    reserves (``CON``, ``PRN``, ``AUX``, ``NUL``, ``COM1``-``9``, ``LPT1``-``9``, with any
    extension) get a trailing ``_``; an empty result is ``_``.
    """
    name = unicodedata.normalize("NFC", str(text)).strip()
    name = re.sub(r"\s+", "_", name)
    name = _FORBIDDEN_IN_NAMES.sub("_", name)
    name = name[:max_length].rstrip(". ")
    if not name:
        return "_"
    if name.split(".")[0].strip().upper() in _WINDOWS_RESERVED:
        name += "_"
    return name
