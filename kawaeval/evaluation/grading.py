"""The grading rules: the goal grades and direction verdicts the plan's thresholds suggest, and
the rule in words.

Suggestions compare the printed (rounded) shares with the thresholds of ``plan.toml``
``[grading.*]``; the committee's grade, where given, is final (:func:`grade_decision`).
"""

from __future__ import annotations

from decimal import Decimal

from kawaeval.evaluation.model import GradeDecision
from kawaeval.plan import Grade, Plan


def _reached(share: float | None, threshold: float) -> bool:
    return share is not None and Decimal(str(share)) >= Decimal(str(threshold))


def suggest_progress(plan: Plan, share: float | None) -> str | None:
    """First progress grade whose minimum the (rounded) achieved share reaches."""
    if share is None:
        return None
    for grade in plan.progress_grades:
        if _reached(share, plan.grading.progress_min_achieved_share[grade.grade]):
            return grade.grade
    return plan.progress_grades[-1].grade


def suggest_direction(plan: Plan, share: float | None) -> str | None:
    """First direction verdict whose minimum the direction's (rounded) achieved share in the
    evaluated year reaches; None without ``[grading.direction]`` or an evaluated initiative.

    The evaluated year, not a period: over FY2018-19 goal 2's directions score above goal 1's,
    the reverse of the verdicts the city gave at the end of the program.
    """
    rule = plan.direction_rule
    if rule is None or share is None:
        return None
    for grade in plan.direction_grades:
        if _reached(share, rule.min_achieved_share[grade.grade]):
            return grade.grade
    return plan.direction_grades[-1].grade


def suggest_outlook(
    plan: Plan, min_year_share: float | None, adjusted_share: float | None
) -> str | None:
    """Ⅰ if every year so far reached the effective share, else Ⅱ if the pooled adjusted
    share (achieved + below for an external cause) reaches its minimum, else Ⅲ."""
    if min_year_share is None and adjusted_share is None:
        return None
    best, middle, worst = (g.grade for g in plan.outlook_grades)
    if _reached(min_year_share, plan.grading.outlook_effective_min_year_share):
        return best
    if _reached(adjusted_share, plan.grading.outlook_broadly_effective_adjusted_share):
        return middle
    return worst


def _grade_of(grades: tuple[Grade, ...], grade: str | None) -> Grade | None:
    return next((g for g in grades if g.grade == grade), None)


def grade_decision(
    suggested: str | None,
    committee: str | None,
    reason: str | None,
    grades: tuple[Grade, ...],
) -> GradeDecision:
    """The suggestion, the committee's grade when it gives one (with its reason), and whether
    the two differ; ``assumption`` where a grade shown carries ``assumption = true``."""
    from_committee = committee is not None
    final = committee if from_committee else suggested
    suggested_grade = _grade_of(grades, suggested)
    final_grade = _grade_of(grades, final)
    return GradeDecision(
        suggested=suggested,
        final=final,
        suggested_label=suggested_grade.label if suggested_grade else None,
        final_label=final_grade.label if final_grade else None,
        source="committee" if from_committee else "suggested",
        differs=bool(from_committee and final != suggested),
        reason=reason if from_committee else None,
        assumption=bool(
            (suggested_grade and suggested_grade.assumption)
            or (final_grade and final_grade.assumption)
        ),
        suggested_assumption=bool(suggested_grade and suggested_grade.assumption),
        final_assumption=bool(final_grade and final_grade.assumption),
    )


def _pct(value: float) -> str:
    return f"{value:.1f}%"


def grading_rule(plan: Plan) -> dict:
    """The rule that suggests grades, as lines a committee member can follow, from plan.toml."""
    rule = plan.grading
    labels = plan.achievement_labels
    progress = plan.progress_grades
    best, middle, worst = plan.outlook_grades
    steps = []
    for grade in progress[:-1]:
        minimum = _pct(rule.progress_min_achieved_share[grade.grade])
        steps.append(f"{minimum}以上なら「{grade.grade} {grade.label}」")
    last = progress[-1]
    steps.append(f"それ未満は「{last.grade} {last.label}」")
    keywords = "」「".join(rule.external_cause_keywords)
    lines = [
        f"達成割合 ＝（「{labels['exceeded']}」＋「{labels['on_target']}」の取組数）÷ "
        f"評価した取組数（「{labels['not_evaluated']}」は分母に含めない）。"
        "割合は小数第1位に四捨五入した値で判定する。",
        "達成状況（提案）: 評価年度の達成割合が、" + "、".join(steps) + "。",
        f"今後の方向性（提案）: {plan.program}のこれまでの各年度すべてで達成割合が "
        f"{_pct(rule.outlook_effective_min_year_share)}以上なら「{best.grade} {best.label}」。",
        "そうでなければ、これまでの全年度を合わせて"
        + (
            f"（達成した取組＋外部要因による「{labels['below']}」の取組）"
            if keywords
            else "達成した取組"
        )
        + f"の割合が{_pct(rule.outlook_broadly_effective_adjusted_share)}以上なら"
        f"「{middle.grade} {middle.label}」、それ未満は「{worst.grade} {worst.label}」。",
    ]
    if keywords:
        lines.append(
            f"外部要因（{rule.external_cause_label}）: 「{labels['below']}」の理由に"
            f"「{keywords}」のいずれかを含むもの。"
        )
    direction = plan.direction_rule
    if direction is not None:
        verdicts = plan.direction_grades
        steps = [
            f"{_pct(direction.min_achieved_share[g.grade])}以上なら「{g.label}」"
            for g in verdicts[:-1]
        ]
        steps.append(f"それ未満は「{verdicts[-1].label}」")
        lines.append(
            "取組の方向性ごとの進捗（提案）: 評価年度のその方向性の取組の達成割合が、"
            + "、".join(steps)
            + "。"
        )
    lines += [
        "プログラム全体の達成状況も、全取組の達成割合に同じ基準を当てはめて提案する。",
        "最終的な評価は評価委員会が決める。提案と異なる場合は、その旨と委員会の理由を示す。",
        "各区分の割合は区分ごとに小数第1位に四捨五入しているため、合計が100.0%にならず"
        "99.9〜100.1%になることがある。",
    ]
    assumed = [g.grade for g in (*plan.progress_grades, *plan.outlook_grades) if g.assumption]
    verdicts_assumed = (
        [g.label for g in plan.direction_grades if g.assumption]
        if plan.direction_grades is not plan.progress_grades
        else []
    )
    direction_assumed = direction is not None and direction.assumption
    if (
        assumed
        or verdicts_assumed
        or rule.progress_assumption
        or rule.outlook_assumption
        or direction_assumed
    ):
        note = "市の公表資料に記載がなく仮に置いたもの（計画定義ファイル plan.toml で変更できる）:"
        parts = []
        if assumed:
            parts.append("区分 " + "・".join(assumed) + " の名称")
        if verdicts_assumed:
            parts.append("取組の方向性の進捗「" + "」「".join(verdicts_assumed) + "」")
        if rule.progress_assumption:
            parts.append("達成状況の基準値")
        if rule.outlook_assumption:
            parts.append("今後の方向性の基準値")
        if direction_assumed:
            parts.append("取組の方向性の進捗の基準値")
        lines.append(note + " " + "、".join(parts) + "。")
    return {
        "text_ja": lines,
        "thresholds": {
            "progress_min_achieved_share": {
                g.grade: rule.progress_min_achieved_share[g.grade] for g in progress
            },
            "outlook_effective_min_year_share": rule.outlook_effective_min_year_share,
            "outlook_broadly_effective_adjusted_share": (
                rule.outlook_broadly_effective_adjusted_share
            ),
            "external_cause_keywords": list(rule.external_cause_keywords),
            "external_cause_label": rule.external_cause_label,
            "progress_assumption": rule.progress_assumption,
            "outlook_assumption": rule.outlook_assumption,
            "direction_min_achieved_share": (
                {g.grade: direction.min_achieved_share[g.grade] for g in plan.direction_grades}
                if direction is not None
                else None
            ),
            "direction_assumption": direction_assumed,
        },
    }
