"""The summary edition (概要版): ``summary.html`` in every report, and its PDF with ``--pdf``.

The city publishes a four-page summary beside its report; this page follows it, in its order:
第１章 the plan and its program (with the plan's relation to the city's comprehensive plan
when ``plan.toml``'s ``[overview]`` gives it), the plan's structure drawn from vision to goals
to directions with their initiative counts, and how the plan is managed and evaluated; 第２章
how the evaluation was done, the year's distribution as a chart with the program's sentence,
the main results per goal, the overall evaluation, and one block per goal with its count, its
sentence, its directions' verdicts and its two grades as the city prints them (達成状況 Ｂ,
方向性 Ⅱ).

Every figure, grade and verdict comes from the assessment; every text is the committee's where
it gave one, else the rule's draft (marked 文案, as in the chapters); the plan's prose comes
from ``[overview]``, and a block whose words the plan does not give is left out. The PDF is the
same page laid out by :mod:`kawaeval.report.pdf` (tagged, the bundled font, reproducible).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kawaeval.common.files import write_text
from kawaeval.common.text import city_digits, era_year, full_width
from kawaeval.paths import TEMPLATES_DIR
from kawaeval.plan import EVALUATED
from kawaeval.report import pdf
from kawaeval.report.combined import edition_name, footer_text

if TYPE_CHECKING:
    from kawaeval.evaluation.model import Assessment, GoalResult, GradeDecision
    from kawaeval.report.plotting import Chart

# The registry (kawaeval.report.editions) imports this module in every build, also one that
# finds its reports up to date: what renders the page (pandas, matplotlib, the model) is
# imported by the functions that make it.

SUMMARY_PAGE = "summary.html"
SUMMARY_TAIL = "概要"
"""What the summary PDF's name adds after the year: ``…_FY2021_概要.pdf``."""
STYLESHEET = TEMPLATES_DIR / "kawaeval" / "static" / "summary.css"
ROMAN = "ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ"
"""A goal's policy (取組方針) is numbered in Roman numerals, as the city's summary does."""
NO_GRADE = "－"


def summary_title(assessment: Assessment) -> str:
    """The summary's title, as the city's: plan and program, then 評価について（概要）."""
    plan = assessment.plan
    return f"{plan.name}{plan.program}評価について（概要）"


def summary_pdf_name(assessment: Assessment) -> str:
    """The summary PDF's file name: ``<plan>_<program>_FY<year>_概要.pdf``."""
    return edition_name(assessment, ".pdf", SUMMARY_TAIL)


def summary_page_name(assessment: Assessment) -> str:
    """The summary page's file name (the same for every report)."""
    return SUMMARY_PAGE


def _roman(number: int) -> str:
    return ROMAN[number - 1] if 1 <= number <= len(ROMAN) else str(number)


# ---------------------------------------------------------------- 第１章 the plan


def _plan_part(assessment: Assessment) -> dict:
    """(1) the plan (its relation to the comprehensive plan when given), (2) the program."""
    plan = assessment.plan
    overview = plan.overview
    years = plan.program_years
    if overview.comprehensive_plan:
        heading = f"{plan.name}と{overview.comprehensive_plan}との関係"
    else:
        heading = plan.name
    relation = list(overview.relation)
    if not relation and plan.adopted and len(plan.period) == 2:
        year, _, month = plan.adopted.partition("-")
        adopted = f"{year}年{int(month)}月" if month.isdigit() else f"{year}年"
        relation = [
            f"{plan.name}は{adopted}に策定した計画で、計画期間は{era_year(plan.period[0])}から"
            f"{era_year(plan.period[1])}までである。"
        ]
    program = list(overview.program) or [
        f"{plan.name}に基づく{plan.program}の計画期間は、{era_year(years[0])}から"
        f"{era_year(years[-1])}までの{city_digits(len(years))}年間である。"
    ]
    return {"relation_heading": heading, "relation": relation, "program": program}


def _structure(assessment: Assessment) -> dict:
    """The plan's structure: vision, then each goal with its policy and directions, counted."""
    plan = assessment.plan
    goals = []
    for goal in assessment.goals:
        planned = next(g for g in plan.goals if g.goal == goal.goal)
        goals.append(
            {
                "label": f"基本目標{city_digits(goal.goal)}",
                "name": goal.name,
                "initiatives": goal.initiatives,
                "policy": planned.policy,
                "policy_number": _roman(goal.goal),
                "directions": [
                    {
                        "number": city_digits(d.direction),
                        "name": d.name,
                        "initiatives": d.initiatives,
                    }
                    for d in goal.directions
                ],
            }
        )
    return {
        "title": f"［{plan.name}取組体系］",
        "vision_heading": plan.vision_heading or "めざす姿",
        "vision": plan.vision,
        "vision_subtitle": plan.vision_subtitle,
        "goals": goals,
        "initiatives": assessment.program.initiatives,
    }


# ---------------------------------------------------------------- 第２章 the evaluation


def _method(assessment: Assessment) -> list[str]:
    """評価の方法: the plan's words, else what the report's rules do, from the plan's scales."""
    plan = assessment.plan
    if plan.overview.method:
        return list(plan.overview.method)
    labels = [f"「{assessment.labels[k]}」" for k in EVALUATED]
    progress = "〜".join(
        full_width(g.grade) for g in (plan.progress_grades[0], plan.progress_grades[-1])
    )
    outlook = f"{plan.outlook_grades[0].grade}〜{plan.outlook_grades[-1].grade}"
    return [
        f"各取組の達成度を{'・'.join(labels)}の{city_digits(len(labels))}区分で把握する。",
        f"各取組の達成度の状況を踏まえ、基本目標ごとに達成状況（{progress}）及び"
        f"今後の方向性（{outlook}）を評価する。",
    ]


def _chart_markup(chart: Chart):
    from kawaeval.report.rendering import render

    data = base64.b64encode(chart.png).decode("ascii")
    return render("chart.html.j2", css="kawaeval-summary-chart", data=data, alt=chart.alt)


def _distribution(assessment: Assessment) -> dict:
    """(1) 各取組における達成度の状況: the chart, its figures in words, the program's sentence
    and how many below-target results had the plan's external cause."""
    from kawaeval.report import plotting
    from kawaeval.report.rendering import text_html
    from kawaeval.report.wording import count_share, pct

    program = assessment.program
    labels = assessment.labels
    cause = assessment.external_cause
    cause_line = None
    if assessment.grading_rule.thresholds.external_cause_keywords and cause.below:
        below = assessment.plan.achievement_short_labels.below
        if cause.with_external_cause:
            cause_line = (
                f"「{below}」{cause.below}件のうち{cause.with_external_cause}件"
                f"（{pct(cause.share_pct)}）は、主な理由が「{cause.label}」によるものである。"
            )
        else:
            cause_line = (
                f"「{below}」{cause.below}件に、主な理由が「{cause.label}」によるものはない。"
            )
    return {
        "chart": _chart_markup(plotting.program_donut_chart(assessment)),
        "year": era_year(assessment.fiscal_year),
        "initiatives": program.initiatives,
        "figures": [
            (labels[k], count_share(program.counts[k], program.shares_pct[k])) for k in EVALUATED
        ],
        "text": text_html(program.achievement_text),
        "cause": cause_line,
    }


def _highlights(assessment: Assessment) -> list[dict]:
    """(2) 各基本目標における主な実績: each goal's main results, where any goal has some."""
    if not any(g.highlights for g in assessment.goals):
        return []
    return [
        {"title": f"基本目標{city_digits(g.goal)} {g.name}", "items": g.highlights}
        for g in assessment.goals
    ]


def _overall(assessment: Assessment) -> dict:
    """(3) 総合的な評価: the context, the goals' grades in words, the overall judgement."""
    from kawaeval.report.rendering import text_html
    from kawaeval.report.wording import grade_text

    overall = assessment.overall
    return {
        "context": text_html(overall.context),
        "goals_text": text_html(overall.goals_text),
        "statement": overall.statement,
        "grade": grade_text(overall.progress),
    }


def _badge(name: str, decision: GradeDecision, wide: bool) -> dict:
    """A grade as the city prints it beside a goal: its name, the code (Ｂ, Ⅱ) and its words."""
    from kawaeval.report.wording import ASSUMPTION_MARK

    if decision.final is None:
        return {"name": name, "code": NO_GRADE, "label": "", "css": ""}
    mark = ASSUMPTION_MARK if decision.final_assumption else ""
    return {
        "name": name,
        "code": full_width(decision.final) if wide else decision.final,
        "label": f"{decision.final_label}{mark}",
        "css": decision.final,
    }


def _verdict(decision: GradeDecision) -> str | None:
    from kawaeval.report.wording import ASSUMPTION_MARK

    if decision.final is None:
        return None
    return f"{decision.final_label}{ASSUMPTION_MARK if decision.final_assumption else ''}"


def _goal(goal: GoalResult) -> dict:
    """(4) one goal: its count, its sentence, each direction's verdict and text, its grades."""
    from kawaeval.report.rendering import text_html

    return {
        "id": f"summary-goal-{goal.goal}",
        "title": f"基本目標{city_digits(goal.goal)} {goal.name}",
        "initiatives": goal.initiatives,
        "text": text_html(goal.achievement_text),
        "directions": [
            {
                "id": f"summary-goal-{goal.goal}-direction-{d.direction}",
                "number": city_digits(d.direction),
                "name": d.name,
                "verdict": _verdict(d.progress),
                "code": d.progress.final or "",
                "text": text_html(d.narrative),
            }
            for d in goal.directions
        ],
        "grades_text": text_html(goal.grades_text),
        "badges": [
            _badge("達成状況", goal.progress, wide=True),
            _badge("方向性", goal.outlook, wide=False),
        ],
    }


def _assumed(assessment: Assessment) -> bool:
    """Whether any grade or verdict shown carries ※ (a label the city has not published)."""
    decisions = [assessment.overall.progress]
    for goal in assessment.goals:
        decisions += [goal.progress, goal.outlook, *(d.progress for d in goal.directions)]
    return any(d.final is not None and d.final_assumption for d in decisions)


# ---------------------------------------------------------------- the page


def summary_css() -> str:
    """The summary's own styles, after the report's (screen and print)."""
    from kawaeval.report.pages import report_css

    return report_css() + STYLESHEET.read_text(encoding="utf-8")


def summary_html(assessment: Assessment) -> str:
    """The summary page, self-contained (styles and chart inline), as the city's summary reads."""
    from markupsafe import Markup

    from kawaeval.report.rendering import render
    from kawaeval.report.wording import ASSUMPTION_NOTE, evaluation_label

    plan = assessment.plan
    highlights = _highlights(assessment)
    # 第２章's numbered sections, in the city's order; one without content is left out
    sections = ["distribution", *(["highlights"] if highlights else []), "overall", "goals"]
    numbers = {key: f"({i})" for i, key in enumerate(sections, 1)}
    overview = plan.overview
    page = render(
        "summary.html.j2",
        css=Markup(summary_css()),
        title=summary_title(assessment),
        subtitle=f"{era_year(assessment.fiscal_year)}（{evaluation_label(assessment)}）",
        notice=assessment.notice,
        plan=plan,
        plan_part=_plan_part(assessment),
        structure=_structure(assessment),
        management=list(overview.management),
        evaluation=list(overview.evaluation),
        method=_method(assessment),
        numbers=numbers,
        distribution=_distribution(assessment),
        highlights=highlights,
        overall=_overall(assessment),
        goals=[_goal(g) for g in assessment.goals],
        assumption_note=ASSUMPTION_NOTE if _assumed(assessment) else None,
        drafted_note=_drafted(assessment),
    )
    return str(page) + "\n"


def _drafted(assessment: Assessment) -> bool:
    texts = [assessment.program.achievement_text, assessment.overall.goals_text]
    for goal in assessment.goals:
        texts += [goal.achievement_text, goal.grades_text, *(d.narrative for d in goal.directions)]
    return any(t.drafted and t.text is not None for t in texts)


def write_summary_page(
    report_dir: Path, chapters: Sequence[tuple[str, str]], assessment: Assessment
) -> Path:
    """Write ``summary.html`` into ``report_dir`` and return its path (every build does)."""
    path = report_dir / SUMMARY_PAGE
    write_text(path, summary_html(assessment))
    return path


def write_summary_pdf(
    report_dir: Path, chapters: Sequence[tuple[str, str]], assessment: Assessment
) -> Path:
    """Lay out ``summary.html`` (written first) as a tagged A4 PDF beside it and return it.

    Raises
    ------
    PdfUnavailableError
        If WeasyPrint or Pango is missing.
    PdfRenderError
        If the PDF cannot be laid out or written (:func:`kawaeval.report.pdf.render_pdf`).
    """
    title = summary_title(assessment)
    html = pdf.combined_html(
        report_dir,
        [(title, SUMMARY_PAGE)],
        title,
        footer_text(assessment),
        stylesheets=(*pdf.STYLESHEETS, STYLESHEET.name),
    )
    target = report_dir / summary_pdf_name(assessment)
    return pdf.render_pdf(html, report_dir, target, assessment.plan.city)
