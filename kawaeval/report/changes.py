"""The change record of a report: ``changes.html``, ``data/changes.csv`` and its sheets in
``tables.xlsx``, made from a comparison of two reports (:mod:`kawaeval.evaluation.comparing`).

A :class:`ChangeRecord` holds the two reports' names (from their build stamps: commit, input
digests, the ``SOURCE_DATE_EPOCH`` date; never a clock time), the comparison, or why the older
report could not be read. :func:`change_tables` gives its tables as :class:`ReportTable`
frames, which the page and the workbook both render; :func:`changes_frame` is the CSV's one
long table, for Excel. The page is byte-stable for the same pair of reports, every record text
is escaped by the templates, and the CSV goes through the formula-safe writer.

The change record is for reviewers of the HTML report: the index page's section on it carries
:data:`HTML_ONLY`, which the editions made from the pages (PDF, Word, summary) leave out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from markupsafe import Markup

from kawaeval.common.files import epoch_date
from kawaeval.common.text import era_year
from kawaeval.evaluation.comparing import (
    MOVEMENTS,
    Comparison,
    FigureChange,
    GradeChange,
    InitiativeChange,
    OtherChange,
)
from kawaeval.evaluation.model import Assessment
from kawaeval.records.outputs import write_csv
from kawaeval.report.combined import HTML_ONLY
from kawaeval.report.presenting import page_nav, report_css
from kawaeval.report.rendering import (
    MAX_LISTED,
    Column,
    Fragment,
    render,
    shown,
    table_html,
)
from kawaeval.report.tables import ReportTable
from kawaeval.report.wording import (
    ACHIEVED_WORDS,
    ASSUMPTION_MARK,
    NO_GRADE,
    goal_label,
    number,
    pct,
    report_title,
)

CHANGES_PAGE = "changes.html"
CHANGES_CSV = "changes.csv"
"""In the report's ``data/`` folder."""
CHANGES_CHAPTER = ("changes", "変更の記録")
"""The chapter name and title the change record's tables carry (tables.xlsx's contents)."""
SHORT = 12
"""Hex digits of a commit or SHA-256 shown on the page (the CSV and the stamps keep them all)."""

CSV_COLUMNS = [
    "change",
    "scope",
    "goal",
    "direction",
    "initiative_id",
    "name",
    "subject",
    "old_fiscal_year",
    "new_fiscal_year",
    "field",
    "label",
    "old",
    "new",
    "difference",
    "source_file",
    "source_row",
]
"""The columns of ``data/changes.csv`` (docs/data-dictionary.md)."""

CHANGE_LABELS = {
    "added": "追加",
    "removed": "削除",
    "changed": "変更",
    "fell_below": "新たに目標を下回った",
    "recovered": "目標を下回った状態から回復した",
    "moved_up": "達成度が上がった",
    "moved_down": "達成度が下がった",
    "newly_evaluated": "新たに評価の対象になった",
    "no_longer_evaluated": "評価の対象でなくなった",
}
FIELD_LABELS = {
    "initiative_id": "取組番号",
    "former_ids": "旧取組番号",
    "goal": "基本目標",
    "direction": "取組の方向性",
    "name": "取組名",
    "bureau": "所管",
    "achievement": "達成度",
    "reason": "主な理由",
}
GRADE_SUBJECTS = {"progress": "達成状況", "outlook": "今後の方向性", "statement": "総合的な評価"}
GRADE_FIELDS = {
    "suggested": "提案評価（評価ルール）",
    "final": "最終評価",
    "source": "評価の根拠",
    "reason": "評価委員会の理由",
    "statement": "評価委員会の総合的な評価",
}
GRADE_SOURCES = {"suggested": "評価ルールによる提案評価", "committee": "評価委員会の判断"}
OTHER_PARTS = {
    "highlights": "主な実績",
    "notice": "お知らせ",
    "plan": "計画定義",
    "grading_rule": "評価ルールの説明",
    "data_quality": "データ品質",
    "assessment": "評価結果",
}
TEXT_PLACES = {
    "achievement_text": "各取組の達成度の状況",
    "grades_text": "達成状況と今後の方向性",
    "narrative": "取組の方向性の評価",
    "goals_text": "基本目標ごとの達成状況と今後の方向性",
    "context": "社会経済環境の変化",
}
"""The report's texts (文) by their place in the assessment."""
TEXT_SOURCES = {"rule": "評価ルールによる文案", "committee": "評価委員会の文"}
ASSESSMENT_KEYS = {
    "committee_sheets": "評価委員会の評価シート",
    "judgements_present": "評価委員会の判断の入力",
    "other": "その他の内容",
}
OTHER_FIELDS = {
    "added": "追加",
    "removed": "削除",
    "changed": "変更",
    "city": "自治体名",
    "name": "計画の名称",
    "program": "実行プログラムの名称",
    "vision": "めざす姿",
    "vision_subtitle": "めざす姿（副題）",
    "vision_heading": "めざす姿（見出し）",
    "goal.name": "基本目標の名称",
    "goal.policy": "取組方針",
    "text_ja": "説明文",
    "other": "その他の内容",
    "rejected": "内容",
    "warning": "読み込みで気付いたこと",
}
INDICATOR_LABELS = {
    "baseline": "基準値",
    "target": "目標値",
    "actual": "実績値",
    "achievement_rate_pct": "達成率（%）",
    "achieved": "達成",
}
NONE_TEXT = "（なし）"
NO_RECORD = "（記録なし）"


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


# ---------------------------------------------------------------- wording of values


def _frame(rows: Sequence[dict], columns: Sequence[str]) -> pd.DataFrame:
    """A frame of Python objects (numbers stay numbers); no column is a share in percent."""
    frame = pd.DataFrame(list(rows), columns=list(columns), dtype=object)
    frame = frame.astype(object).where(frame.notna(), None)
    frame.attrs["shares"] = []
    return frame


def _achievement(assessment: Assessment, code: object) -> str:
    return NO_RECORD if code is None else assessment.labels.get(str(code), str(code))


def _field_value(assessment: Assessment, change: InitiativeChange, value: object) -> str:
    if change.field == "achievement":
        return _achievement(assessment, value)
    if value is None or value == "":
        return NONE_TEXT
    if change.field == "goal":
        return goal_label(int(value))
    if change.field == "direction":
        return f"方向性{value}"
    return str(value)


def _field_label(change: InitiativeChange) -> str:
    label = FIELD_LABELS.get(change.field or "", change.field or "")
    if change.field == "achievement" and change.new_year is not None:
        return f"{label}（{era_year(change.new_year)}）"
    return label


def figure_scope(change: FigureChange | OtherChange | GradeChange) -> str:
    """Where a figure (or grade) belongs, as the page names it: 全取組, 基本目標2, ..."""
    scope, goal = getattr(change, "scope", "goal"), change.goal
    whole = "全取組" if goal is None else goal_label(goal)
    if scope == "direction":
        return f"{goal_label(goal)} 取組の方向性{change.direction}"
    if scope == "period":
        return f"{whole}・期間「{change.subject}」（延べ件数）"
    if scope == "indicator":
        return f"{goal_label(goal)}・参考指標「{change.subject}」"
    if scope == "data_quality":
        return "データ品質"
    if scope == "program":
        return "全体" if isinstance(change, GradeChange) else "全取組"
    return whole


def figure_label(assessment: Assessment, change: FigureChange) -> str:
    """What a figure is, in the report's words: 目標を下回った（件）, 達成割合（%）..."""
    labels = assessment.labels
    field = change.field
    if change.scope == "indicator":
        return INDICATOR_LABELS.get(field, field)
    if field == "initiatives":
        return "取組数（件）"
    if field == "rejected_rows":
        return "受け付けなかった行（行）"
    if field == "achieved_share_pct":
        return "達成割合（%）"
    group, _, key = field.partition(".")
    cause = assessment.external_cause.label
    if group == "counts":
        return f"{labels.get(key, key)}（件）"
    if group == "shares_pct":
        return f"{labels.get(key, key)}（%）"
    if field == "external_cause.with_external_cause":
        return f"「{labels.below}」のうち{cause}（件）"
    if field == "external_cause.share_pct":
        return f"「{labels.below}」のうち{cause}の割合（%）"
    if field == "rule_inputs.min_year_achieved_share_pct":
        return "評価ルールの入力値：各年度の達成割合の最小値（%）"
    if field == "rule_inputs.adjusted_share_pct":
        return "評価ルールの入力値：外部要因を考慮した割合（%）"
    return field


def figure_unit(assessment: Assessment, change: FigureChange) -> str:
    """The unit of a figure: 件, %, 行, or the indicator's own unit ("" for 達成)."""
    if change.scope == "indicator":
        if change.field in ("achievement_rate_pct",):
            return "%"
        if change.field == "achieved":
            return ""
        for goal in assessment.goals:
            for indicator in goal.indicators:
                if goal.goal == change.goal and indicator.name == change.subject:
                    return indicator.unit or ""
        return ""
    if change.field == "rejected_rows":
        return "行"
    if change.field.startswith(("shares_pct.", "rule_inputs.")) or change.field.endswith("_pct"):
        return "%"
    return "件"


def figure_text(value: object, unit: str) -> str:
    """A figure as the page shows it: 12件, 64.7%, 達成; － when there is none."""
    if value is None:
        return "－"
    if isinstance(value, bool):
        return ACHIEVED_WORDS[value]
    if unit == "%":
        return pct(value)
    return f"{number(value)}{unit}"


def difference_text(value: object, unit: str) -> str:
    """A difference as the page shows it: +1件, −2.7ポイント."""
    if value is None:
        return ""
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    magnitude = abs(value)
    if unit == "%":
        return f"{sign}{magnitude:.1f}ポイント"
    return f"{sign}{number(magnitude)}{unit}"


def grade_value(change: GradeChange, which: str) -> str:
    """A grade, its source or a reason as the page shows it."""
    value = change.old if which == "old" else change.new
    if change.field in ("suggested", "final"):
        if value is None:
            return NO_GRADE
        label = change.old_label if which == "old" else change.new_label
        assumed = change.old_assumption if which == "old" else change.new_assumption
        return f"{value} {label or ''}".rstrip() + (ASSUMPTION_MARK if assumed else "")
    if change.field == "source":
        return GRADE_SOURCES.get(str(value), NONE_TEXT if value is None else str(value))
    return NONE_TEXT if not value else str(value)


def grade_label(change: GradeChange) -> str:
    """What a grade row is: 達成状況の最終評価, 評価委員会の総合的な評価..."""
    if change.subject == "statement":
        return GRADE_FIELDS["statement"]
    subject = GRADE_SUBJECTS.get(change.subject, change.subject)
    return f"{subject}の{GRADE_FIELDS[change.field]}"


def other_scope(change: OtherChange) -> str:
    """Where another change belongs: 主な実績（基本目標1）, or for a text its place's owner
    (全体, 基本目標2, 基本目標2 取組の方向性1)."""
    if change.part == "text":
        if change.goal is None:
            return "全体"
        if change.direction is None:
            return goal_label(change.goal)
        return f"{goal_label(change.goal)} 取組の方向性{change.direction}"
    part = OTHER_PARTS.get(change.part, change.part)
    return part if change.goal is None else f"{part}（{goal_label(change.goal)}）"


def other_label(change: OtherChange) -> str:
    """What another change is: 取組の方向性2の名称, 各取組の達成度の状況（文）..."""
    field = change.field
    if change.part == "text":
        place, _, source = field.partition(".")
        name = TEXT_PLACES.get(place, place)
        return f"{name}（文）を書いたもの" if source else f"{name}（文）"
    if change.part == "assessment":
        return ASSESSMENT_KEYS.get(field, field)
    if field.startswith("direction."):
        return f"取組の方向性{field.partition('.')[2]}の名称"
    return OTHER_FIELDS.get(field, field)


def other_value(change: OtherChange, which: str) -> str:
    value = change.old if which == "old" else change.new
    if change.part == "text" and change.field.endswith(".source"):
        return TEXT_SOURCES.get(str(value), NONE_TEXT)
    return NONE_TEXT if value is None else str(value)


# ---------------------------------------------------------------- the tables


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
                **{era_year(y): _achievement(assessment, achievements.get(y)) for y in years},
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
            "項目": _field_label(c),
            "変更前": _field_value(assessment, c, c.old),
            "変更後": _field_value(assessment, c, c.new),
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
            old_year: _achievement(assessment, c.old),
            new_year: _achievement(assessment, c.new),
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


# ---------------------------------------------------------------- the CSV


def _csv_initiative(c: InitiativeChange, assessment: Assessment) -> dict:
    label = CHANGE_LABELS[c.change]
    if c.change == "added":
        label = "取組の追加"
    elif c.change == "removed":
        label = "取組の削除"
    elif c.change == "changed":
        label = _field_label(c)
    return {
        "change": c.change,
        "scope": "initiative",
        "goal": c.goal,
        "direction": c.direction,
        "initiative_id": c.initiative_id,
        "name": c.name,
        "old_fiscal_year": c.old_year,
        "new_fiscal_year": c.new_year,
        "field": c.field,
        "label": label,
        "old": c.old,
        "new": c.new,
        "source_file": c.source_file,
        "source_row": c.source_row,
    }


def _other_csv_scope(change: OtherChange) -> str:
    if change.part != "text":
        return change.part
    if change.goal is None:
        return "program"
    return "goal" if change.direction is None else "direction"


def changes_frame(record: ChangeRecord) -> pd.DataFrame:
    """``data/changes.csv``: a first row naming the older report, then one row per change
    (English column names and the assessment's codes, as the report's other data files)."""
    assessment = record.assessment
    comparison = record.comparison
    first = {
        "change": "compared_with" if comparison is not None else "not_compared",
        "scope": "report",
        "old_fiscal_year": record.old.fiscal_year,
        "new_fiscal_year": record.new.fiscal_year,
        "label": naming(record.old) + ("" if comparison is not None else f"：{record.problem}"),
    }
    rows = [first]
    if comparison is not None:
        rows += [_csv_initiative(c, assessment) for c in comparison.initiatives]
        rows += [
            {
                "change": "figure",
                "scope": c.scope,
                "goal": c.goal,
                "direction": c.direction,
                "subject": c.subject,
                "old_fiscal_year": c.old_year,
                "new_fiscal_year": c.new_year,
                "field": c.field,
                "label": figure_label(assessment, c),
                "old": c.old,
                "new": c.new,
                "difference": c.difference,
            }
            for c in comparison.figures
        ]
        rows += [
            {
                "change": "grade",
                "scope": c.scope,
                "goal": c.goal,
                "direction": c.direction,
                "subject": c.subject,
                "old_fiscal_year": comparison.old_year,
                "new_fiscal_year": comparison.new_year,
                "field": c.field,
                "label": f"{figure_scope(c)} {grade_label(c)}",
                "old": c.old,
                "new": c.new,
            }
            for c in comparison.grades
        ]
        rows += [
            {
                "change": "text" if c.part == "text" else "other",
                "scope": _other_csv_scope(c),
                "goal": c.goal,
                "direction": c.direction,
                "field": c.field,
                "label": f"{other_scope(c)} {other_label(c)}",
                "old": c.old,
                "new": c.new,
            }
            for c in comparison.others
        ]
    frame = pd.DataFrame(rows, columns=CSV_COLUMNS, dtype=object)
    return frame.astype(object).where(frame.notna(), None)


# ---------------------------------------------------------------- the page


def _source_text(row: Mapping) -> str:
    if not row.get("ファイル"):
        return ""
    return f"{row['ファイル']} {row['行（Excel）']}行目"


def _place_text(row: Mapping) -> str:
    return f"{row['基本目標']}-{row['取組の方向性']}"


def _text_columns(frame: pd.DataFrame) -> list[Column]:
    """Each column as it is, but an initiative's goal and direction in one column (2-3) and
    its file and row in another (出典), so that names keep their width."""
    if "取組番号" not in frame.columns:
        return [shown(name) for name in frame.columns]
    columns = []
    for name in frame.columns:
        if name == "基本目標":
            columns.append(Column("基本目標-方向性", _place_text, nowrap=True))
        elif name == "ファイル":
            columns.append(Column("出典（ファイル・Excel行）", _source_text))
        elif name not in ("取組の方向性", "行（Excel）"):
            columns.append(shown(name, nowrap=name == "取組番号"))
    return columns


def _figure_columns(frame: pd.DataFrame) -> list[Column]:
    def value(name: str) -> Callable[[Mapping], str]:
        return lambda row: figure_text(row[name], row["単位"])

    columns = [shown("区分", span=True)]
    if "年度" in frame.columns:
        columns.append(shown("年度", nowrap=True))
    columns += [
        shown("項目"),
        Column("変更前", value("変更前"), True),
        Column("変更後", value("変更後"), True),
        Column("差", lambda row: difference_text(row["差"], row["単位"]), True),
    ]
    return columns


def _table_markup(table: ReportTable) -> tuple[Markup, int]:
    """A table of the record as HTML and the rows left out: at most
    :data:`kawaeval.report.rendering.MAX_LISTED` on the page; the CSV and the workbook hold
    every row."""
    frame = table.frame
    shown_rows = frame.head(MAX_LISTED)
    group = GROUPED.get(table.key)
    if table.key == "figure_changes":
        columns = _figure_columns(frame)
    else:
        columns = _text_columns(frame)
        if group is not None:
            columns[0] = shown(group, span=True)
    markup = table_html(shown_rows, columns, table.title, group=group)
    return markup, max(len(frame) - MAX_LISTED, 0)


GROUPED = {
    "initiatives_added_removed": "変更",
    "achievement_movements": "変化",
    "figure_changes": "区分",
    "grade_changes": "区分",
    "text_changes": "区分",
    "other_changes": "区分",
}
"""The column whose runs of equal values are written once (rowspan), per table."""


def summary(record: ChangeRecord) -> list[tuple[str, int]]:
    """(what, how many) for the page's and the index's summary; kinds with none left out."""
    if record.comparison is None:
        return []
    counts = record.comparison.summary()
    moved = [c.change for c in record.comparison.initiatives if c.change in MOVEMENTS]
    kinds = [
        ("取組の追加", counts["added"]),
        ("取組の削除", counts["removed"]),
        ("取組の記録の変更", counts["changed"]),
        *((f"達成度が変わった取組（{CHANGE_LABELS[m]}）", moved.count(m)) for m in MOVEMENTS),
        ("評価の変化", counts["grades"]),
        ("文章の変化", counts["texts"]),
        ("数値の変化", counts["figures"]),
        ("その他の変更", counts["others"]),
    ]
    return [(what, n) for what, n in kinds if n]


BASIS = {
    "previous": "{second}と、{first}（取組の記録か評価の内容が異なる直近の報告書）の違いです。"
    "同じ入力から作り直した報告書でも、比べる相手は変わりません。",
    "since": "{second}と、作成時に指定した報告書（--since）の違いです。",
    "diff": "{first}と{second}の違いです。",
}
SOURCES_NOTE = (
    "取組の記録の変更には、その取組がいま記載されているファイルと行を示します"
    "（ファイルや行が移っただけのものは変更に含めません）。"
)


def _intro(record: ChangeRecord) -> str:
    first, second = record.headings
    if record.across_years:
        c = record.comparison
        return (
            f"{first}（{era_year(c.old_year)}）と{second}（{era_year(c.new_year)}）の評価年度を"
            "比べ、達成度が変わった取組と、全取組・基本目標・取組の方向性ごとの数値と評価の"
            "変化を示します。"
        )
    text = BASIS[record.basis].format(first=first, second=second)
    return text if record.comparison is None else text + SOURCES_NOTE


def changes_title(record: ChangeRecord) -> str:
    """The page's title: 変更の記録 and the report it belongs to."""
    return f"変更の記録：{report_title(record.assessment)}"


def changes_page(record: ChangeRecord, back_link: bool = True) -> str:
    """``changes.html``: a self-contained page of the record (links back to the index page
    when ``back_link``: in a report, not in ``kawaeval diff --out``)."""
    tables = change_tables(record)
    sections = []
    for table in tables:
        markup, more = _table_markup(table)
        sections.append({"key": table.key, "table": markup, "more": more})
    nav = page_nav(None, None) if back_link else None
    page = render(
        "changes.html.j2",
        title=changes_title(record),
        css=Markup(report_css()),
        nav_top=Markup(nav.top) if nav else "",
        nav_bottom=Markup(nav.bottom) if nav else "",
        intro=_intro(record),
        problem=record.problem if record.comparison is None else None,
        empty=record.comparison is not None and record.comparison.empty,
        summary=summary(record),
        sections=sections,
        first=record.headings[0],
        csv=f"data/{CHANGES_CSV}",
    )
    return str(page) + "\n"


def index_section(record: ChangeRecord | None) -> Fragment:
    """The index page's 変更の記録: a link and a one-line summary, or why there is none."""
    return Fragment(
        render(
            "changes_index.html.j2",
            css=HTML_ONLY,
            record=record,
            old=None if record is None else record.old.label,
            first=None if record is None else record.headings[0],
            problem=None if record is None or record.comparison is not None else record.problem,
            empty=record is not None and record.comparison is not None and record.comparison.empty,
            summary=[] if record is None else summary(record),
            page=CHANGES_PAGE,
        )
    )


def write_change_record(folder: Path, record: ChangeRecord, back_link: bool = True) -> None:
    """Write ``changes.html`` into ``folder`` and ``changes.csv`` into ``folder/data``; the page
    links back to the index page when ``back_link`` (in a report, not for ``kawaeval diff``)."""
    folder = Path(folder)
    (folder / "data").mkdir(parents=True, exist_ok=True)
    page = changes_page(record, back_link)
    (folder / CHANGES_PAGE).write_text(page, encoding="utf-8", newline="\n")
    write_csv(changes_frame(record), folder / "data" / CHANGES_CSV)
