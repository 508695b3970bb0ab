"""One goal's 基本目標評価シート: its figures by year and by direction, reference indicators,
main results, below-target initiatives, the rule's suggestions, the drafted sentences, and the
committee's open cells (each direction's verdict, the goal's grades, reasons and texts).
"""

from __future__ import annotations

from openpyxl import Workbook

from kawaeval.common.text import era_year
from kawaeval.evaluation.model import Assessment
from kawaeval.forms.sheet_guide import write_guide
from kawaeval.forms.sheet_writer import (
    BOX,
    COLUMNS,
    REASON_PROMPT,
    SHARE_FORMAT,
    TEXT_PROMPT,
    decided_choice,
    figure_header,
    new_sheet,
    period_rows,
    suggested_choice,
    supplied,
    write_fingerprint,
    write_meta,
    year_rows,
)
from kawaeval.records.committee import FIELD_LABELS


def goal_workbook(assessment: Assessment, goal_number: int) -> Workbook:
    """The 基本目標評価シート of one goal."""
    goal = assessment.goal(goal_number)
    w = new_sheet(
        assessment, f"基本目標評価シート　基本目標{goal.goal}　{era_year(assessment.fiscal_year)}"
    )
    book = w.book
    plan = assessment.plan
    labels = plan.achievement_labels
    write_meta(w, assessment, goal)

    w.section("１ 各取組の達成度の状況")
    figure_header(w, assessment)
    year_rows(w, assessment.goal_by_year(goal.goal))
    period_rows(w, assessment, goal.periods)
    w.note(
        f"達成割合 ＝（「{labels.exceeded}」＋「{labels.on_target}」）÷ 評価した取組数"
        f"（「{labels.not_evaluated}」は分母に含めない）。"
    )
    w.free_text(
        "各取組の達成度の状況（文案）",
        supplied(goal.achievement_text),
        ("achievement",),
        TEXT_PROMPT,
    )
    w.next()

    w.section("２ 取組の方向性ごとの評価")
    for d in goal.directions:
        w.merged(1, COLUMNS, f"取組の方向性{d.direction}　{d.name}", bold=True)
        w.next()
        figure_header(w, assessment)
        year_rows(w, d.by_year)
        results = [h for h in goal.highlights if h.direction == d.direction]
        for h in results:
            text = f"主な実績：{h.initiative} ― {h.result}"
            w.merged(1, COLUMNS, text, height_for=text)
            w.next()
        share = "－" if d.achieved_share_pct is None else f"{d.achieved_share_pct:.1f}%"
        w.choice_header()
        w.choice(
            "取組の方向性の進捗",
            f"{suggested_choice(d.progress)}（達成割合 {share}）"
            if d.progress.suggested
            else suggested_choice(d.progress),
            "verdict",
            decided_choice(d.progress),
            ("verdict", d.direction),
            "",
        )
        w.free_text(
            "進捗の判断の理由（提案と異なる場合）",
            d.progress.reason,
            ("verdict_reason", d.direction),
            REASON_PROMPT,
            lines=2,
        )
        w.free_text(
            f"取組の方向性{d.direction}の取組の状況（文案。取組の実績と進捗を書きます）",
            supplied(d.narrative),
            ("narrative", d.direction),
            TEXT_PROMPT,
        )
        w.next()

    w.section("３ 参考指標")
    if goal.indicators:
        w.header("参考指標", "単位", "基準値", "目標値", "実績値", "達成率", "達成")
        for i in goal.indicators:
            values = [
                i.name,
                i.unit,
                i.baseline,
                i.target,
                i.actual,
                None if i.achievement_rate_pct is None else i.achievement_rate_pct / 100,
                {True: "達成", False: "未達成", None: "－"}[i.achieved],
            ]
            for column, value in enumerate(values, start=1):
                cell = w.cell(column, "－" if value is None else value)
                cell.border = BOX
                if column == 6 and value is not None:
                    cell.number_format = SHARE_FORMAT
            w.fit(1, 1, i.name)
            w.next()
        if any(i.illustrative for i in goal.indicators):
            w.note("（例示）の指標はサンプルの値であり、市の公表値ではありません。")
    else:
        w.note("参考指標は入力されていません。")
    w.next()

    w.section(f"４ {era_year(assessment.fiscal_year)}に「{labels.below}」取組")
    if goal.below_target:
        w.header("取組", "方向性", "所管", ("主な理由", 4))
        for r in goal.below_target:
            name = f"{r.initiative_id} {r.name}"
            reason = r.reason or "（理由の記載なし）"
            w.cell(1, name).border = BOX
            w.cell(2, r.direction).border = BOX
            w.cell(3, r.bureau or "").border = BOX
            w.merged(4, COLUMNS, reason).border = BOX
            w.fit(1, 1, name)
            w.fit(3, 3, r.bureau or "")
            w.fit(4, COLUMNS, reason)
            w.next()
    else:
        w.note("ありません。")
    w.next()

    w.section("５ 達成状況と今後の方向性")
    inputs = goal.rule_inputs
    basis = (
        f"評価ルールの入力：{era_year(assessment.fiscal_year)}の達成割合 "
        f"{_pct(inputs.achieved_share_pct)}、"
        f"各年度の最小 {_pct(inputs.min_year_achieved_share_pct)}"
    )
    if assessment.grading_rule.thresholds.external_cause_keywords:
        basis += f"、外部要因を考慮した割合 {_pct(inputs.adjusted_share_pct)}"
    w.note(basis + "。")
    w.choice_header()
    w.choice(
        FIELD_LABELS["progress"],
        suggested_choice(goal.progress),
        "progress",
        decided_choice(goal.progress),
        ("progress",),
        "",
    )
    w.choice(
        "今後の方向性（取組構成の妥当性）",
        suggested_choice(goal.outlook),
        "outlook",
        decided_choice(goal.outlook),
        ("outlook",),
        "",
    )
    w.free_text(
        "評価の理由（提案と異なる評価を選んだ場合は必ず書いてください）",
        goal.progress.reason or goal.outlook.reason,
        ("reason",),
        REASON_PROMPT,
        lines=3,
    )
    w.free_text(
        "達成状況と今後の方向性（文案）", supplied(goal.grades_text), ("grades",), TEXT_PROMPT
    )
    write_fingerprint(w, assessment, goal.goal)
    write_guide(book, assessment, goal)
    book.active = 0
    return book


def _pct(value: float | None) -> str:
    return "－" if value is None else f"{value:.1f}%"
