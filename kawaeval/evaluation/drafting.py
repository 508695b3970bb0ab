"""Sentences drafted from the figures, in the city's register, until the committee supplies its
own: a goal's 各取組の達成度の状況 over the periods, the program's over the evaluated year, each
direction's figures and verdict, and the grades of a goal and of all goals.

**約N割** is the printed share (one decimal, as the tables show it) rounded half-up to the
nearest ten percent: 90.6 → 約９割, 81.3 → 約８割, 75.0 → 約８割, 99.2 → 約10割; below 5 % it
is 「１割未満」. Digits are written as the city writes them (one digit full-width: ９割, two
half-width: 10割).

**Which categories a goal's sentence names** is decided once per goal, across its periods, as
the city did: 「目標を上回った」と「ほぼ目標どおり」を合わせると… where the goal had results
above target in any period; otherwise the category most initiatives fell in over the periods
(「ほぼ目標どおり」が…). Any other category reaching 約３割 in a period is named as well
(「目標を下回った」が約４割); the categories named in one period never add up to more than
10割 (:func:`tenths_of`). Words of change between periods (やや落ち込んだ, 増加した...)
follow the change in N; the committee's own wording replaces the draft.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from kawaeval.common.text import city_digits, era_year
from kawaeval.evaluation.model import (
    Assessment,
    Counts,
    DirectionResult,
    GoalResult,
    GradeDecision,
    Shares,
    Text,
)
from kawaeval.plan import ACHIEVED, EVALUATED

NAMED_ALSO_FROM_TENTHS = 3
"""Another category is named beside the main one when it reaches 約３割 in a period."""
OUTLOOK_TERM = "今後の方向性（今後の取組構成の妥当性）"
_WIDE = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    "ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ０１２３４５６７８９",
)


def approx_tenths(share_pct: float | None) -> int | None:
    """The share in tenths, half-up from the printed share: 90.6 -> 9, 75.0 -> 8, 99.2 -> 10."""
    if share_pct is None:
        return None
    return int((Decimal(str(share_pct)) / 10).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def approx_text(share_pct: float | None) -> str:
    """``約９割``, ``約10割``; ``１割未満`` for a share under 5 %."""
    return tenths_text(approx_tenths(share_pct) or 0)


def years_text(fiscal_years: Sequence[int]) -> str:
    """``平成30(2018)年度及び令和元(2019)年度``; three years or more: ``A、B及びC``."""
    names = [era_year(y) for y in fiscal_years]
    if len(names) <= 2:
        return "及び".join(names)
    return "、".join(names[:-1]) + "及び" + names[-1]


def grade_words(code: str | None, label: str | None) -> str:
    """A grade as prose quotes it: 「Ｂ 一定の進捗があった」 (Latin letters full-width)."""
    return f"「{str(code).translate(_WIDE)} {label}」"


# ---------------------------------------------------------------- a goal over its periods


@dataclass(frozen=True)
class Span:
    """A period (or a year) of a goal: its years and distribution."""

    fiscal_years: tuple[int, ...]
    counts: Counts
    shares: Shares
    achieved: float | None

    def share(self, measure: tuple[str, ...]) -> float | None:
        """The share of a measure: one category, or the achieved share for both achieved."""
        if measure == ACHIEVED:
            return self.achieved
        (key,) = measure
        return self.shares[key]


def goal_spans(assessment: Assessment, goal: GoalResult) -> list[Span]:
    """The goal's periods (the plan's ``[[periods]]``), or each program year when it has none;
    years up to the evaluated one, periods without an evaluated initiative left out."""
    if assessment.plan.periods:
        spans = [
            Span(tuple(p.fiscal_years), p.counts, p.shares_pct, p.achieved_share_pct)
            for p in goal.periods
        ]
    else:
        spans = [
            Span((r.fiscal_year,), r.counts, r.shares_pct, r.achieved_share_pct)
            for r in assessment.goal_by_year(goal.goal)
        ]
    return [s for s in spans if s.achieved is not None]


def main_measure(spans: Sequence[Span]) -> tuple[str, ...]:
    """What a goal's sentence names in every period: both achieved categories together where
    any period had results above target, else the category most results fell in."""
    if any(s.counts.exceeded for s in spans):
        return ACHIEVED
    pooled = {k: sum(s.counts[k] for s in spans) for k in EVALUATED}
    return (max(EVALUATED, key=lambda k: pooled[k]),)  # first of equals: scale order


def tenths_of(span: Span, main: tuple[str, ...]) -> dict[tuple[str, ...], int]:
    """約N割 of the main measure and of each other category in a span. Each is the share to the
    nearest tenth, but the others together never exceed what the main measure leaves (75.0 %
    and 25.0 % read 約８割 and 約２割, not 約８割 and 約３割)."""
    main_tenths = approx_tenths(span.share(main)) or 0
    found = {main: main_tenths}
    left = 10 - main_tenths
    others = sorted((k for k in EVALUATED if k not in main), key=lambda k: -(span.shares[k] or 0))
    for key in others:
        tenths = min(approx_tenths(span.shares[key]) or 0, max(left, 0))
        found[(key,)] = tenths
        left -= tenths
    return found


def named_measures(span: Span, main: tuple[str, ...]) -> list[tuple[tuple[str, ...], int]]:
    """The main measure, then each other category that reaches 約３割 in this span, with their
    約N割 (:func:`tenths_of`)."""
    tenths = tenths_of(span, main)
    others = [(m, t) for m, t in tenths.items() if m != main and t >= NAMED_ALSO_FROM_TENTHS]
    return [(main, tenths[main]), *others]


def tenths_text(tenths: int) -> str:
    """``約９割``, ``約10割``; ``１割未満`` for none."""
    return f"約{city_digits(tenths)}割" if tenths else f"{city_digits(1)}割未満"


def measure_phrase(measure: tuple[str, ...], tenths: int, short: dict) -> str:
    """「目標を上回った」と「ほぼ目標どおり」を合わせると約９割 / 「ほぼ目標どおり」が約９割."""
    if measure == ACHIEVED:
        both = f"「{short['exceeded']}」と「{short['on_target']}」"
        return f"{both}を合わせると{tenths_text(tenths)}"
    return f"「{short[measure[0]]}」が{tenths_text(tenths)}"


def _change(before: Span, after: Span, main: tuple[str, ...], named, short) -> str:
    """Words for how ``after`` differs from ``before``: a named 「目標を下回った」 that grew, else
    the main measure's rise or fall in tenths."""
    was, now = tenths_of(before, main), tenths_of(after, main)
    for measure, _ in named[1:]:
        if measure == ("below",) and now[measure] > was[measure]:
            return f"「{short['below']}」が増加した"
    step = now[main] - was[main]
    if main == ("below",):
        step = -step  # more below target is a fall
    if step == 0:
        return "同程度となった"
    size = "やや" if abs(step) == 1 else "大きく" if abs(step) >= 3 else ""
    return f"{size}向上した" if step > 0 else f"{size}落ち込んだ"


def goal_achievement_draft(assessment: Assessment, goal: GoalResult) -> str | None:
    """〇各取組の達成度の状況: the goal's shares over its periods, as the city writes them."""
    spans = goal_spans(assessment, goal)
    if not spans:
        return None
    short = assessment.plan.achievement_short_labels
    main = main_measure(spans)
    clauses = []
    for span in spans:
        named = named_measures(span, main)
        phrases = "、".join(measure_phrase(m, tenths, short) for m, tenths in named)
        clauses.append((span, named, f"{years_text(span.fiscal_years)}の達成度の状況は、{phrases}"))
    first_span, _, first = clauses[0]
    if len(clauses) == 1:
        return f"{first}となった。"
    if len(clauses) == 2:
        span, named, second = clauses[1]
        change = _change(first_span, span, main, named, short)
        if change == "同程度となった":
            also = second.replace("の状況は、", "の状況も、", 1)
            return f"{first}となり、{also}と同程度となった。"
        return f"{first}となったが、{second}と{change}。"
    sentences = [f"{first}となった。"]
    for (before, _, _), (span, named, clause) in itertools.pairwise(clauses):
        sentences.append(f"{clause}と{_change(before, span, main, named, short)}。")
    return "".join(sentences)


# ---------------------------------------------------------------- the program in the year


def program_achievement_draft(assessment: Assessment) -> str | None:
    """The program's sentence on the evaluated year (各取組における達成度の状況)."""
    program = assessment.program
    if program.achieved_share_pct is None:
        return None
    short = assessment.plan.achievement_short_labels
    span = Span(
        (assessment.fiscal_year,), program.counts, program.shares_pct, program.achieved_share_pct
    )
    named = named_measures(span, main_measure([span]))
    phrases = []
    for measure, tenths in named:
        share = tenths_text(tenths)
        if measure == ACHIEVED:
            both = f"「{short['exceeded']}」と「{short['on_target']}」"
            phrases.append(f"{both}を合わせた割合が{share}")
        else:
            phrases.append(f"「{short[measure[0]]}」の割合が{share}")
    plan = assessment.plan
    when = "計画期間終了時点に当たる" if assessment.is_final else "計画期間中の"
    return (
        f"{plan.program}{when}{era_year(assessment.fiscal_year)}の各取組の達成度については、"
        + "、".join(phrases)
        + "となった。"
    )


# ---------------------------------------------------------------- a direction in the year


def direction_draft(assessment: Assessment, direction: DirectionResult) -> str:
    """A direction's figures in the evaluated year, ending with its verdict when it has one:
    「令和３(2021)年度は、取組４件のうち「ほぼ目標どおり」が３件、…ことから、一定の進捗があった。」"""
    short = assessment.plan.achievement_short_labels
    counts = direction.counts
    year = era_year(assessment.fiscal_year)
    evaluated = sum(counts[k] for k in EVALUATED)
    if not evaluated:
        return f"{year}は、達成度を評価した取組がなかった。"
    apart = (
        f"（「{short['not_evaluated']}」の{city_digits(counts.not_evaluated)}件を除く）"
        if counts.not_evaluated
        else ""
    )
    present = [k for k in EVALUATED if counts[k]]
    if len(present) == 1:
        body = f"取組{city_digits(evaluated)}件{apart}すべてが「{short[present[0]]}」となった"
    else:
        listed = "、".join(f"「{short[k]}」が{city_digits(counts[k])}件" for k in present)
        achieved = [k for k in ACHIEVED if counts[k]]
        share = approx_text(direction.achieved_share_pct)
        if len(achieved) == 2:
            rate = f"「{short['exceeded']}」と「{short['on_target']}」を合わせた割合は{share}"
        elif achieved:
            rate = f"「{short[achieved[0]]}」の割合は{share}"
        else:
            rate = None
        body = f"取組{city_digits(evaluated)}件{apart}のうち{listed}"
        body += f"で、{rate}となった" if rate else "となった"
    verdict = direction.progress.final_label
    if verdict:
        return f"{year}は、{body}ことから、{verdict}。"
    return f"{year}は、{body}。"


# ---------------------------------------------------------------- grades in words


def goal_grades_draft(goal: GoalResult) -> str | None:
    """〇達成状況と今後の方向性: 「これらの結果、基本目標１の達成状況は「Ｂ …」とした。…」"""
    progress, outlook = goal.progress, goal.outlook
    if progress.final is None:
        return None
    text = (
        f"これらの結果、基本目標{city_digits(goal.goal)}の達成状況は"
        f"{grade_words(progress.final, progress.final_label)}とした。"
    )
    if outlook.final is not None:
        text += f"{OUTLOOK_TERM}は、{grade_words(outlook.final, outlook.final_label)}とした。"
    return text


def _goal_names(goals: Sequence[GoalResult]) -> str:
    return "及び".join(f"基本目標{city_digits(g.goal)}「{g.name}」" for g in goals)


def _by_grade(goals: Sequence[GoalResult], which: str, order: Sequence[str]) -> str | None:
    decisions: list[tuple[GoalResult, GradeDecision]] = [
        (g, getattr(g, which)) for g in goals if getattr(g, which).final is not None
    ]
    if not decisions:
        return None
    term = "達成状況" if which == "progress" else OUTLOOK_TERM
    codes = [d.final for _, d in decisions]
    if len(set(codes)) == 1:
        decision = decisions[0][1]
        everyone = (
            f"{city_digits(len(goals))}つの基本目標すべてにおいて"
            if len(decisions) == len(goals) and len(goals) > 1
            else f"{_goal_names([g for g, _ in decisions])}について"
        )
        return f"{term}は、{everyone}{grade_words(decision.final, decision.final_label)}とした。"
    groups = []
    for code in sorted(set(codes), key=lambda c: order.index(c) if c in order else len(order)):
        members = [(g, d) for g, d in decisions if d.final == code]
        decision = members[0][1]
        groups.append(
            f"{_goal_names([g for g, _ in members])}を"
            f"{grade_words(decision.final, decision.final_label)}"
        )
    return f"{term}は、" + "、".join(groups) + "とした。"


def goals_grades_draft(assessment: Assessment) -> str | None:
    """基本目標ごとの達成状況と今後の方向性: the goals' final grades, a grade's goals together."""
    plan = assessment.plan
    progress = _by_grade(assessment.goals, "progress", [g.grade for g in plan.progress_grades])
    outlook = _by_grade(assessment.goals, "outlook", [g.grade for g in plan.outlook_grades])
    parts = [p for p in (progress, outlook) if p]
    return "".join(parts) or None


# ---------------------------------------------------------------- drafts and supplied texts


def compose(draft: str | None, supplied: str | None, supplied_by: str | None = None) -> Text:
    """The text at one place: the committee's where it gave one, else the rule's draft."""
    if supplied:
        return Text(
            text=supplied, draft=draft, drafted=False, source="committee", supplied_by=supplied_by
        )
    return Text(
        text=draft,
        draft=draft,
        drafted=draft is not None,
        source="rule" if draft is not None else None,
        supplied_by=None,
    )
