"""A change record and the two reports it names: :class:`ReportRef`, :class:`ChangeRecord`,
and how a report is named from its build stamp (commit, input digests, the
``SOURCE_DATE_EPOCH`` date; never a clock time).

The record's tables are :mod:`~kawaeval.report.change_tables`, its CSV
:mod:`~kawaeval.report.change_csv`, its page :mod:`~kawaeval.report.changes`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from kawaeval.common.files import epoch_date
from kawaeval.common.text import era_year
from kawaeval.evaluation.comparison import Comparison
from kawaeval.evaluation.model import Assessment

SHORT = 12
"""Hex digits of a commit or SHA-256 shown on the page (the CSV and the stamps keep them all)."""


@dataclass(frozen=True)
class ReportRef:
    """How a change record names a report: ``label`` (e.g. ``履歴 2（2-1a2b3c4d5e6f）``) and
    what its build stamp says (None when it has none)."""

    label: str
    stamp: Mapping | None = None
    fiscal_year: int | None = None
    final: bool | None = None


@dataclass(frozen=True)
class ChangeRecord:
    """What changed from the report ``old`` to the report ``new`` (whose assessment is given).

    ``comparison`` is None when the older report could not be read; ``problem`` says why.
    ``headings`` name the two reports' columns (前回 / 今回 in a report, 比較元 / 比較先 for
    ``kawaeval diff``); ``basis`` says how the older one was chosen: ``previous`` (the
    previous different report of the history), ``since`` (``build --since``) or ``diff``.
    """

    old: ReportRef
    new: ReportRef
    assessment: Assessment
    comparison: Comparison | None = None
    problem: str | None = None
    headings: tuple[str, str] = ("前回の報告書", "今回の報告書")
    basis: str = "previous"

    @property
    def across_years(self) -> bool:
        return self.comparison is not None and self.comparison.across_years


# ---------------------------------------------------------------- naming a report


def inputs_digest(stamp: Mapping) -> str | None:
    """One SHA-256 over every input of a stamp (file names and their SHA-256), or None."""
    inputs = stamp.get("inputs")
    if not isinstance(inputs, list):
        return None
    digest = hashlib.sha256()
    for item in sorted(inputs, key=lambda i: str(i.get("file"))):
        digest.update(f"{item.get('file')}\0{item.get('sha256')}\n".encode())
    return digest.hexdigest()


def stamp_date(stamp: Mapping) -> str | None:
    """The ``SOURCE_DATE_EPOCH`` a report was built with, as a date; None when unset."""
    return epoch_date(stamp.get("source_date_epoch"))


def _short(value: object) -> str:
    return str(value)[:SHORT] if value else "－"


def describe(ref: ReportRef) -> dict[str, str]:
    """What the page says of a report, item by item, all from its build stamp."""
    stamp = ref.stamp or {}
    year = "－"
    if ref.fiscal_year is not None:
        kind = "" if ref.final is None else ("（最終評価）" if ref.final else "（中間評価）")
        year = era_year(ref.fiscal_year) + kind
    inputs = stamp.get("inputs") if isinstance(stamp.get("inputs"), list) else None
    plan = stamp.get("plan") if isinstance(stamp.get("plan"), Mapping) else {}
    digest = inputs_digest(stamp)
    return {
        "報告書": ref.label,
        "評価年度": year,
        "kawaeval": str(stamp.get("package_version") or "－"),
        "git commit": _short(stamp.get("git_commit")),
        "作成日（SOURCE_DATE_EPOCH）": stamp_date(stamp) or "（指定なし）",
        "入力ファイル": "－" if inputs is None else f"{len(inputs)}件（SHA-256 {_short(digest)}）",
        "計画定義": _short(plan.get("sha256")),
        "評価結果（assessment.json）": _short(stamp.get("assessment_sha256")),
    }


def naming(ref: ReportRef) -> str:
    """A report's name on one line: its label, commit, inputs and date (the CSV's first row)."""
    items = describe(ref)
    parts = [
        items["報告書"],
        f"kawaeval {items['kawaeval']}",
        f"commit {items['git commit']}",
        f"入力 {items['入力ファイル']}",
    ]
    if ref.stamp and stamp_date(ref.stamp):
        parts.append(f"作成日 {stamp_date(ref.stamp)}")
    return "、".join(parts)
