"""Whether an evaluation is settled enough to publish (``kawaeval build --final``).

Settled means: no text of the report is still the rule's draft, every grade and verdict that
has something to judge carries the committee's decision, and every final grade that differs
from its suggestion has the committee's reason. :func:`unsettled` names each place that is not,
with the sheet where the committee settles it.
"""

from __future__ import annotations

from kawaeval.evaluation.model import Assessment, GradeDecision, Text
from kawaeval.records.committee import sheet_file_name


def unsettled(assessment: Assessment) -> list[str]:
    """Every place of the assessment that keeps it from being final, in report order."""
    year = f"{assessment.fiscal_year}年度"
    places: list[str] = []

    def text(where: str, value: Text, sheet: str) -> None:
        if value.drafted:
            places.append(f"{year} {where}: 文案のままです（{sheet} で文を確定してください）")

    def decision(where: str, value: GradeDecision, sheet: str) -> None:
        if value.suggested is None and value.final is None:
            return  # nothing was evaluated, so there is nothing to decide
        if value.source != "committee":
            places.append(
                f"{year} {where}: 評価委員会の判断がありません（{sheet} で一覧から選んでください）"
            )
        elif value.differs and not (value.reason or "").strip():
            places.append(
                f"{year} {where}: 最終評価「{value.final}」が提案「{value.suggested}」と"
                f"異なりますが、理由がありません（{sheet} に理由を書いてください）"
            )

    for goal in assessment.goals:
        sheet = sheet_file_name(assessment.fiscal_year, goal.goal)
        where = f"基本目標{goal.goal}"
        text(f"{where} 各取組の達成度の状況", goal.achievement_text, sheet)
        for d in goal.directions:
            place = f"{where} 取組の方向性{d.direction}"
            decision(f"{place} の進捗", d.progress, sheet)
            text(f"{place} の取組の状況", d.narrative, sheet)
        decision(f"{where} 達成状況", goal.progress, sheet)
        decision(f"{where} 今後の方向性", goal.outlook, sheet)
        text(f"{where} 達成状況と今後の方向性", goal.grades_text, sheet)
    sheet = sheet_file_name(assessment.fiscal_year, None)
    text("全体 各取組の達成度の状況", assessment.program.achievement_text, sheet)
    text("全体 基本目標ごとの達成状況と今後の方向性", assessment.overall.goals_text, sheet)
    decision("全体 達成状況", assessment.program.progress, sheet)
    return places
