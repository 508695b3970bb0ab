"""The change record's tables as :class:`ReportTable` frames, in page order: the two reports,
the changed inputs, initiatives added and removed, changed records, achievement movements,
grades, texts, figures and other changes. The page and ``tables.xlsx`` both render them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from kawaeval.common.text import era_year
from kawaeval.evaluation.comparison import MOVEMENTS, FigureChange, InitiativeChange
from kawaeval.report.change_record import ChangeRecord, describe
from kawaeval.report.change_wording import (
    CHANGE_LABELS,
    achievement_value,
    field_label,
    field_value,
    figure_label,
    figure_scope,
    figure_unit,
    grade_label,
    grade_value,
    other_label,
    other_scope,
    other_value,
)
from kawaeval.report.frames import ReportTable

CHANGES_CHAPTER = ("changes", "変更の記録")
"""The chapter name and title the change record's tables carry (tables.xlsx's contents)."""


def _sources(record: ChangeRecord) -> pd.DataFrame:
    old, new = describe(record.old), describe(record.new)
    first, second = record.headings
    rows = [{"項目": key, first: old[key], second: new[key]} for key in old]
    return _frame(rows, ["項目", first, second])


INPUT_CHANGES = {"added": "追加", "removed": "削除", "changed": "内容の変更"}


def _input_changes(record: ChangeRecord) -> pd.DataFrame:
    """The input files (and the plan) that differ between the two stamps."""
    rows = []
    old, new = record.old.stamp, record.new.stamp
    if old and new and isinstance(old.get("inputs"), list) and isinstance(new.get("inputs"), list):
        before = {i.get("file"): i.get("sha256") for i in old["inputs"]}
        after = {i.get("file"): i.get("sha256") for i in new["inputs"]}
        for name in sorted(set(before) | set(after), key=str):
            if name not in before:
                rows.append({"ファイル": name, "変更": INPUT_CHANGES["added"]})
            elif name not in after:
                rows.append({"ファイル": name, "変更": INPUT_CHANGES["removed"]})
            elif before[name] != after[name]:
                rows.append({"ファイル": name, "変更": INPUT_CHANGES["changed"]})
        old_plan, new_plan = old.get("plan") or {}, new.get("plan") or {}
        if old_plan.get("sha256") != new_plan.get("sha256"):
            name = new_plan.get("file") or old_plan.get("file") or "plan.toml"
            rows.append({"ファイル": f"{name}（計画定義）", "変更": INPUT_CHANGES["changed"]})
    return _frame(rows, ["ファイル", "変更"])


def _frame(rows: Sequence[dict], columns: Sequence[str]) -> pd.DataFrame:
    """A frame of Python objects (numbers stay numbers); no column is a share in percent."""
    frame = pd.DataFrame(list(rows), columns=list(columns), dtype=object)
    frame = frame.astype(object).where(frame.notna(), None)
    frame.attrs["shares"] = []
    return frame


def _source_cells(change: InitiativeChange) -> dict:
    return {"ファイル": change.source_file or "", "行（Excel）": change.source_row}


def _added_removed(record: ChangeRecord) -> pd.DataFrame:
    assessment = record.assessment
    years = assessment.years_so_far()
    columns = ["変更", "取組番号", "取組名", "基本目標", "取組の方向性", "所管"]
    columns += [era_year(y) for y in years] + ["ファイル", "行（Excel）"]
    rows = []
    for change in record.comparison.initiatives:
        if change.change not in ("added", "removed"):
            continue
        achievements = dict(change.achievements)
        rows.append(
            {
                "変更": CHANGE_LABELS[change.change],
                "取組番号": change.initiative_id,
                "取組名": change.name or "",
                "基本目標": change.goal,
                "取組の方向性": change.direction,
                "所管": change.bureau or "",
                **{era_year(y): achievement_value(assessment, achievements.get(y)) for y in years},
                **_source_cells(change),
            }
        )
    return _frame(rows, columns)


FIELD_COLUMNS = ["取組番号", "取組名", "項目", "変更前", "変更後", "ファイル", "行（Excel）"]


def _field_changes(record: ChangeRecord) -> pd.DataFrame:
    assessment = record.assessment
    rows = [
        {
            "取組番号": c.initiative_id,
            "取組名": c.name or "",
            "項目": field_label(c),
            "変更前": field_value(assessment, c, c.old),
            "変更後": field_value(assessment, c, c.new),
            **_source_cells(c),
        }
        for c in record.comparison.initiatives
        if c.change == "changed"
    ]
    return _frame(rows, FIELD_COLUMNS)


def _movements(record: ChangeRecord) -> pd.DataFrame:
    assessment, comparison = record.assessment, record.comparison
    old_year, new_year = era_year(comparison.old_year), era_year(comparison.new_year)
    columns = ["変化", "取組番号", "取組名", "基本目標", "取組の方向性", "所管", old_year, new_year]
    columns += ["ファイル", "行（Excel）"]
    moved = [c for c in comparison.initiatives if c.change in MOVEMENTS]
    moved.sort(key=lambda c: MOVEMENTS.index(c.change))  # stable: plan order within a kind
    rows = [
        {
            "変化": CHANGE_LABELS[c.change],
            "取組番号": c.initiative_id,
            "取組名": c.name or "",
            "基本目標": c.goal,
            "取組の方向性": c.direction,
            "所管": c.bureau or "",
            old_year: achievement_value(assessment, c.old),
            new_year: achievement_value(assessment, c.new),
            **_source_cells(c),
        }
        for c in moved
    ]
    return _frame(rows, columns)


def _figure_year(change: FigureChange) -> str:
    if change.old_year is None:
        return ""
    if change.old_year == change.new_year:
        return era_year(change.old_year)
    return f"{era_year(change.old_year)}→{era_year(change.new_year)}"


def _figures(record: ChangeRecord) -> pd.DataFrame:
    assessment = record.assessment
    columns = ["区分", "年度", "項目", "変更前", "変更後", "差", "単位"]
    if record.across_years:
        columns.remove("年度")
    rows = [
        {
            "区分": figure_scope(c),
            "年度": _figure_year(c),
            "項目": figure_label(assessment, c),
            "変更前": c.old,
            "変更後": c.new,
            "差": c.difference,
            "単位": figure_unit(assessment, c),
        }
        for c in record.comparison.figures
    ]
    return _frame(rows, columns)


GRADE_COLUMNS = ["区分", "項目", "変更前", "変更後"]


def _grades(record: ChangeRecord) -> pd.DataFrame:
    rows = [
        {
            "区分": figure_scope(c),
            "項目": grade_label(c),
            "変更前": grade_value(c, "old"),
            "変更後": grade_value(c, "new"),
        }
        for c in record.comparison.grades
    ]
    return _frame(rows, GRADE_COLUMNS)


def _other_rows(record: ChangeRecord, texts: bool) -> pd.DataFrame:
    rows = [
        {
            "区分": other_scope(c),
            "項目": other_label(c),
            "変更前": other_value(c, "old"),
            "変更後": other_value(c, "new"),
        }
        for c in record.comparison.others
        if (c.part == "text") == texts
    ]
    return _frame(rows, GRADE_COLUMNS)


def _texts(record: ChangeRecord) -> pd.DataFrame:
    return _other_rows(record, texts=True)


def _others(record: ChangeRecord) -> pd.DataFrame:
    return _other_rows(record, texts=False)


@dataclass(frozen=True)
class _Section:
    key: str
    title: Callable[[ChangeRecord], str]
    build: Callable[[ChangeRecord], pd.DataFrame]
    needs_comparison: bool = True


def _years_title(record: ChangeRecord, what: str) -> str:
    c = record.comparison
    return f"{what}（{era_year(c.old_year)}→{era_year(c.new_year)}）"


_SECTIONS = (
    _Section("change_sources", lambda r: "比較した報告書", _sources, needs_comparison=False),
    _Section(
        "changed_inputs",
        lambda r: "内容が変わった入力ファイル",
        _input_changes,
        needs_comparison=False,
    ),
    _Section("initiatives_added_removed", lambda r: "追加・削除された取組", _added_removed),
    _Section("initiative_changes", lambda r: "取組の記録の変更", _field_changes),
    _Section(
        "achievement_movements",
        lambda r: _years_title(r, "達成度が変わった取組"),
        _movements,
    ),
    _Section(
        "grade_changes",
        lambda r: _years_title(r, "評価の変化") if r.across_years else "評価の変化",
        _grades,
    ),
    _Section("text_changes", lambda r: "文章の変化", _texts),
    _Section(
        "figure_changes",
        lambda r: _years_title(r, "数値の変化") if r.across_years else "数値の変化",
        _figures,
    ),
    _Section("other_changes", lambda r: "その他の変更", _others),
)
TABLE_KEYS = tuple(s.key for s in _SECTIONS)


def change_tables(record: ChangeRecord) -> list[ReportTable]:
    """The change record's tables in page order (a table with no rows left out), as the page
    and ``tables.xlsx`` show them; the first names the two reports."""
    tables = []
    chapter = CHANGES_CHAPTER[0]
    for section in _SECTIONS:
        if section.needs_comparison and record.comparison is None:
            continue
        if section.key == "achievement_movements" and not record.across_years:
            continue
        frame = section.build(record)
        if section.key == "change_sources" or len(frame):
            tables.append(ReportTable(section.key, section.title(record), chapter, frame))
    return tables
