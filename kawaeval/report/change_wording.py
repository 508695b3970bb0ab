"""The change record's words: what each change, field, figure, grade and text is called, and
how its values are written on the page (12件, 64.7%, +1件, −2.7ポイント).

Used by the record's tables (:mod:`~kawaeval.report.change_tables`), its CSV
(:mod:`~kawaeval.report.change_csv`) and its page (:mod:`~kawaeval.report.changes`).
"""

from __future__ import annotations

from kawaeval.common.text import era_year
from kawaeval.evaluation.comparison import FigureChange, GradeChange, InitiativeChange, OtherChange
from kawaeval.evaluation.model import Assessment
from kawaeval.report.wording import (
    ACHIEVED_WORDS,
    ASSUMPTION_MARK,
    NO_GRADE,
    goal_label,
    number,
    pct,
)

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


def achievement_value(assessment: Assessment, code: object) -> str:
    return NO_RECORD if code is None else assessment.labels.get(str(code), str(code))


def field_value(assessment: Assessment, change: InitiativeChange, value: object) -> str:
    if change.field == "achievement":
        return achievement_value(assessment, value)
    if value is None or value == "":
        return NONE_TEXT
    if change.field == "goal":
        return goal_label(int(value))
    if change.field == "direction":
        return f"方向性{value}"
    return str(value)


def field_label(change: InitiativeChange) -> str:
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
