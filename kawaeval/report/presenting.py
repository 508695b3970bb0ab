"""The report's sections as HTML: each a call a chapter notebook makes and shows.

Frames come from :mod:`kawaeval.report.tables` and :mod:`kawaeval.report.chapter_tables`, words
from :mod:`kawaeval.report.wording`, and the HTML from :mod:`kawaeval.report.rendering`
(templates, escaping, the table renderer); the pages around the chapters (the index page, the
navigation, the styles) are :mod:`kawaeval.report.pages`.

One concern a little over 600 lines: every section the notebooks call as ``presenting.<name>``,
chapter by chapter, kept in one module so that a notebook needs one import.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from markupsafe import Markup

from kawaeval.common.text import city_digits, era_year
from kawaeval.evaluation.model import (
    Assessment,
    Counts,
    GoalResult,
    GradeDecision,
    PlanGrade,
    Shares,
    Text,
)
from kawaeval.exceptions import UsageError
from kawaeval.plan import EVALUATED
from kawaeval.report import chapter_tables, frames, tables
from kawaeval.report.chapters import GOAL_CHAPTER, appendix_link, chapter_title
from kawaeval.report.frames import goal_block
from kawaeval.report.rendering import (
    MAX_LISTED,
    Column,
    Fragment,
    counted,
    counted_share,
    fragment,
    paragraph,
    percent,
    render,
    section,
    shown,
    table_html,
    text_html,
)
from kawaeval.report.wording import (
    ASSUMPTION_MARK,
    ASSUMPTION_NOTE,
    count_share,
    evaluation_label,
    goal_label,
    grade_source,
    grade_text,
    number,
    pct,
)

PERIODS_NOT_YET = "期間の比較は、比較する期間の年度がそろってから示します。"
APPENDIX_NOTE = "件数から、付録の取組一覧の該当する取組の方向性へ移動できます。"
LONG_LIST = 30
"""Below-target lists longer than this are grouped by direction and folded (<details>)."""


def _texts(assessment: Assessment) -> list[Text]:
    """Every text of the assessment."""
    found = [
        assessment.program.achievement_text,
        assessment.overall.goals_text,
        assessment.overall.context,
    ]
    for goal in assessment.goals:
        found += [goal.achievement_text, goal.grades_text]
        found += [d.narrative for d in goal.directions]
    return found


def _labels(assessment: Assessment):
    return frames.labels(assessment)


def _title(assessment: Assessment, key: str, goal: int | None = None) -> str:
    return tables.table_title(assessment, key, goal)


# ---------------------------------------------------------------- loading


def load_assessment(
    fiscal_year: int,
    raw_dir: Path | str | None = None,
    allow_rejects: bool = False,
    assessment_json: Path | str | None = None,
) -> Assessment:
    """The assessment a chapter presents: ``assessment_json`` (validated) when given, else the
    records'.

    Raises
    ------
    AssessmentFileError
        If the JSON file is not an assessment of this version's shape.
    UsageError
        If the JSON file is for another fiscal year, or the year is not a program year.
    """
    if assessment_json is not None:
        path = Path(assessment_json)
        assessment = Assessment.from_json(path.read_bytes(), path)
        if assessment.fiscal_year != fiscal_year:
            raise UsageError(
                f"{path.name} は {assessment.fiscal_year} 年度の評価です"
                f" (fiscal_year = {fiscal_year} was asked for)"
            )
        return assessment
    from kawaeval.evaluation.assessing import assess_records
    from kawaeval.paths import default_raw_dir

    # The cleaning step logs notes for the analyst (e.g. ignored columns); in a report page
    # they would show as stray stderr output, so a chapter keeps them out of its page.
    logger = logging.getLogger("kawaeval")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())

    raw = Path(raw_dir) if raw_dir is not None else default_raw_dir()
    return assess_records(raw, fiscal_year, allow_rejects=allow_rejects)


# ---------------------------------------------------------------- every chapter


def chapter_heading(
    assessment: Assessment, title: str | None, chapter: str | None = None
) -> Fragment:
    """The chapter title with the plan, program, fiscal year and 最終評価 / 中間評価.

    ``title`` None means the title the chapter registry gives ``chapter`` (a notebook run on
    its own); the build passes the registry's title as the notebook's ``title`` parameter.
    """
    if title is None:
        title = chapter_title(chapter)
    plan = assessment.plan
    return fragment(
        "chapter_heading.html.j2",
        title=title,
        plan=plan,
        evaluation=evaluation_label(assessment),
        year=era_year(assessment.fiscal_year),
        when=f"{plan.program}計画期間{'終了時点' if assessment.is_final else '中'}",
        notice=assessment.notice,
    )


def judgement_notice(assessment: Assessment) -> Fragment:
    """Says that final grades equal the suggested ones when no committee judgements were given,
    names each returned sheet made from figures the records no longer give, and explains the
    「文案」 label when a drafted text is shown."""
    return fragment(
        "judgement_notice.html.j2",
        present=assessment.judgements_present,
        stale=[s.file for s in assessment.committee_sheets if not s.current],
        drafted=any(t.drafted for t in _texts(assessment)),
    )


def data_quality(assessment: Assessment) -> Fragment:
    """The rejected rows (file, Excel row, column, value, reason, initiative) when let through,
    and what reading noticed in the files (hidden rows, files not read, a blank returned form)."""
    quality = assessment.data_quality
    table_shown = tables.is_shown(assessment, "data_quality")
    if not table_shown and not quality.warnings:
        return section()
    table = None
    if table_shown:
        frame = chapter_tables.data_quality(assessment)
        columns = [
            shown(c, numeric=c == "行（Excel）") for c in chapter_tables.DATA_QUALITY_COLUMNS
        ]
        table = table_html(frame, columns, f"集計から除外した行（{quality.rejected_rows}行）")
    return fragment(
        "data_quality.html.j2",
        css="kawaeval-quality",
        title=_title(assessment, "data_quality") if table else "データ品質：確認が必要な点",
        rows=quality.rejected_rows,
        table=table,
        warnings=quality.warnings,
    )


# ---------------------------------------------------------------- the plan


def plan_overview(assessment: Assessment) -> Fragment:
    """The plan's vision (when it has one) and the program with its years."""
    plan = assessment.plan
    years = plan.program_years
    return fragment(
        "plan_overview.html.j2",
        plan=plan,
        vision_heading=plan.vision_heading or "めざす姿",
        first=era_year(years[0]),
        last=era_year(years[-1]),
        years=len(years),
        year=era_year(assessment.fiscal_year),
        evaluation=evaluation_label(assessment),
    )


def plan_structure(assessment: Assessment) -> Fragment:
    """The goals, their policies and directions, with the number of initiatives of each."""
    frame = chapter_tables.plan_structure(assessment)
    columns = [
        shown("基本目標", span=True),
        shown("名称", span=True),
        shown("取組方針", span=True),
        shown("取組の方向性"),
        counted("取組数"),
        counted("基本目標の取組数", span=True),
    ]
    return section(
        table_html(frame, columns, _title(assessment, "plan_structure"), group="基本目標")
    )


def _grade_span(grades: Sequence[PlanGrade]) -> str:
    return f"{grades[0].grade}〜{grades[-1].grade}"


def grading_rule(assessment: Assessment) -> Fragment:
    """How initiatives are rated and how the goal grades are suggested, in the plan's own words."""
    labels = _labels(assessment)
    goals = assessment.goals
    return fragment(
        "grading_rule.html.j2",
        scale=[labels[k] for k in EVALUATED],
        indicators=any(g.indicators for g in goals),
        highlights=any(g.highlights for g in goals),
        progress_span=_grade_span(assessment.plan.progress_grades),
        outlook_span=_grade_span(assessment.plan.outlook_grades),
        lines=assessment.grading_rule.text_ja,
    )


# ---------------------------------------------------------------- distribution


def distribution_columns(assessment: Assessment) -> list[Column]:
    """Columns of a distribution table: label, count with 件, share (blank on the total)."""
    not_evaluated = _labels(assessment).not_evaluated

    def share(row: Mapping) -> str:
        if row["達成度"] == not_evaluated:
            return "（分母に含めない）"
        return "" if pd.isna(row["割合（%）"]) else pct(row["割合（%）"])

    return [shown("達成度"), counted("件数"), Column("割合", share, True)]


def distribution_table(
    counts: Counts, shares: Shares, assessment: Assessment, caption: str | None = None
) -> Fragment:
    """Counts and shares of one distribution (program, goal or direction) as the city prints."""
    frame = chapter_tables.distribution(assessment, counts, shares)
    return section(table_html(frame, distribution_columns(assessment), caption))


def program_distribution_table(assessment: Assessment) -> Fragment:
    """All initiatives' distribution in the evaluated year."""
    program = assessment.program
    return distribution_table(
        program.counts,
        program.shares_pct,
        assessment,
        _title(assessment, "program_distribution"),
    )


def distribution_summary(assessment: Assessment) -> Fragment:
    """One paragraph: the evaluated year's counts and shares and the achieved share."""
    program = assessment.program
    labels = _labels(assessment)
    counts, shares = program.counts, program.shares_pct
    achieved = program.achieved_share_pct
    return fragment(
        "distribution_summary.html.j2",
        year=era_year(assessment.fiscal_year),
        initiatives=program.initiatives,
        parts=[(labels[k], count_share(counts[k], shares[k])) for k in EVALUATED],
        achieved=None if achieved is None else pct(achieved),
        exceeded=labels.exceeded,
        on_target=labels.on_target,
    )


def trend_columns(assessment: Assessment) -> list[Column]:
    """Columns of a year-by-year table: year, initiatives, each achievement, achieved share."""
    labels = _labels(assessment)
    return [
        shown("年度"),
        counted("取組数"),
        *(counted_share(labels[k]) for k in EVALUATED),
        percent(frames.ACHIEVED_SHARE),
    ]


def program_trend_table(assessment: Assessment) -> Fragment:
    """All initiatives' distribution in every program year up to the evaluated one."""
    frame = chapter_tables.program_trend(assessment)
    return section(
        table_html(frame, trend_columns(assessment), _title(assessment, "program_trend"))
    )


# ---------------------------------------------------------------- grades


def _assumption_note(*grades: GradeDecision) -> Markup | str:
    """The footnote for ※, when any grade shown carries it."""
    shown_mark = any(g.final_assumption or g.suggested_assumption for g in grades)
    return render("assumption_note.html.j2", note=ASSUMPTION_NOTE) if shown_mark else ""


def grades_table(assessment: Assessment) -> Fragment:
    """Each goal's progress and outlook grade (final, with how it was reached)."""
    frame = chapter_tables.grades(assessment)
    return section(
        table_html(
            frame, [shown(c) for c in chapter_tables.GRADES_COLUMNS], _title(assessment, "grades")
        ),
        _assumption_note(*(grade for g in assessment.goals for grade in (g.progress, g.outlook))),
    )


def external_cause_summary(assessment: Assessment) -> Fragment:
    """社会経済環境の変化: the committee's text on the program's surroundings (when given), and
    how many below-target results the records attribute to the external cause (COVID-19)."""
    cause = assessment.external_cause
    context = text_html(assessment.overall.context)
    if cause.below and not tables.external_cause_used(assessment):
        cause = None
    if cause is None and not context:
        return section()
    return fragment(
        "external_cause.html.j2",
        cause=cause,
        context=context,
        year=era_year(assessment.fiscal_year),
        below=_labels(assessment).below,
        share=pct(cause.share_pct) if cause is not None else "",
    )


def goal_cause_table(assessment: Assessment) -> Fragment:
    """Per goal: below-target results and how many of them had the external cause."""
    if not tables.is_shown(assessment, "below_target_causes"):
        return section()
    frame = chapter_tables.below_target_causes(assessment)
    count_columns = [c for c in frame.columns if c.endswith(frames.COUNT_SUFFIX)]
    columns = [
        shown("基本目標"),
        *(counted(c, c.removesuffix(frames.COUNT_SUFFIX)) for c in count_columns),
        percent("割合（%）"),
    ]
    return section(table_html(frame, columns, _title(assessment, "below_target_causes")))


def _plan_has_periods(assessment: Assessment) -> bool:
    return len(assessment.plan.periods) >= 2


def period_overview_table(assessment: Assessment) -> Fragment:
    """The achieved share per period (before / after COVID-19), for the program and each goal."""
    if not _plan_has_periods(assessment):
        return section()
    if not tables.is_shown(assessment, "period_overview"):
        return section(paragraph(PERIODS_NOT_YET))
    frame = chapter_tables.period_overview(assessment)
    columns = [shown("区分"), *(percent(c) for c in frame.columns[1:])]
    return section(table_html(frame, columns, _title(assessment, "period_overview")))


def achievement_sentences(assessment: Assessment) -> Fragment:
    """The program's sentence on the evaluated year (各取組の達成度の状況), then each goal's
    sentence over its periods."""
    goals = [
        {"title": f"{goal_label(g.goal)} {g.name}", "text": text_html(g.achievement_text)}
        for g in assessment.goals
        if g.achievement_text.text is not None
    ]
    return fragment(
        "goal_sentences.html.j2",
        program=text_html(assessment.program.achievement_text),
        goals=goals,
    )


def goals_grades_text(assessment: Assessment) -> Fragment:
    """The sentence on every goal's grades (基本目標ごとの達成状況と今後の方向性)."""
    return section(text_html(assessment.overall.goals_text))


def direction_verdicts_table(assessment: Assessment) -> Fragment:
    """Every direction's verdict, suggested and final, with its achieved share."""
    frame = chapter_tables.direction_verdicts(assessment)
    names = list(chapter_tables.DIRECTION_VERDICT_COLUMNS)
    if not frame["判断の理由"].astype(bool).any():
        names.remove("判断の理由")
    columns = [
        shown("基本目標", span=True),
        shown("取組の方向性"),
        counted("取組数"),
        percent(frames.ACHIEVED_SHARE),
        *(shown(n) for n in names[4:]),
    ]
    return section(
        table_html(frame, columns, _title(assessment, "direction_verdicts"), group="基本目標"),
        _assumption_note(*(d.progress for g in assessment.goals for d in g.directions)),
    )


def overall_judgement(assessment: Assessment) -> Fragment:
    """The program-level judgement: its grade and the committee's statement when there is one."""
    overall = assessment.overall
    grade = overall.progress
    return fragment(
        "overall_judgement.html.j2",
        grade=grade_text(grade),
        source=grade_source(grade),
        statement=overall.statement,
        note=_assumption_note(grade),
    )


# ---------------------------------------------------------------- highlights


def _highlight_goal(goal: GoalResult, heading: bool) -> dict:
    title = f"{goal_label(goal.goal)} {goal.name}" if heading else None
    return {"title": title, "items": goal.highlights}


def highlights(goal: GoalResult, heading: bool = True) -> Fragment:
    """A goal's main results (主な実績) as a list, under the goal's title unless told not to."""
    return fragment("highlights.html.j2", intro=None, goals=[_highlight_goal(goal, heading)])


def all_highlights(assessment: Assessment) -> Fragment:
    """Every goal's main results, goal by goal, after a line on what they are."""
    if not tables.is_shown(assessment, "highlights"):
        return section(paragraph("主な実績は入力されていません。"))
    program = assessment.plan.program
    return fragment(
        "highlights.html.j2",
        intro=f"{program}期間中の新たな取組又は拡充した取組等の主な実績は次のとおりです。",
        goals=[_highlight_goal(g, True) for g in assessment.goals],
    )


def goal_highlights(assessment: Assessment, goal: int) -> Fragment:
    """One goal's main results under 主な実績; nothing when the records have none for any goal."""
    if not tables.is_shown(assessment, "highlights"):
        return section()
    return section(highlights(goal_block(assessment, goal), heading=False), heading="主な実績")


# ---------------------------------------------------------------- one goal


def goal_heading(assessment: Assessment, goal: int, title: str | None = None) -> Fragment:
    """The goal chapter's title (the registry's when ``title`` is None) with its number of
    initiatives."""
    block = goal_block(assessment, goal)
    title = title or chapter_title(GOAL_CHAPTER.key, block.goal, block.name)
    return chapter_heading(assessment, f"{title}（取組数：{block.initiatives}件）")


def goal_by_year_table(assessment: Assessment, goal: int) -> Fragment:
    """One goal's counts and shares in every program year up to the evaluated one."""
    frame = chapter_tables.goal_trend(assessment, goal)
    return section(
        table_html(frame, trend_columns(assessment), _title(assessment, "goal_trend", goal))
    )


def goal_achievement_text(assessment: Assessment, goal: int) -> Fragment:
    """〇各取組の達成度の状況: the goal's sentence over its periods."""
    return section(text_html(goal_block(assessment, goal).achievement_text))


def goal_grades_text(assessment: Assessment, goal: int) -> Fragment:
    """〇達成状況と今後の方向性: the goal's grades in words (the committee's text when given)."""
    return section(text_html(goal_block(assessment, goal).grades_text))


def _verdict(decision: GradeDecision) -> tuple[str | None, str]:
    """A verdict's badge (its label, ※ when the city has not published it) and its text."""
    if decision.final is None:
        return None, ""
    mark = ASSUMPTION_MARK if decision.final_assumption else ""
    return f"{decision.final_label}{mark}", grade_text(decision)


def directions(assessment: Assessment, goal: int) -> Fragment:
    """〇取組の方向性１…: each direction with its verdict, its figures by year, its main results
    and its text, as the city's page gives them."""
    block = goal_block(assessment, goal)
    frame = chapter_tables.direction_trend(assessment, goal)
    columns = trend_columns(assessment)
    items = []
    for d in block.directions:
        badge, verdict_text = _verdict(d.progress)
        rows = frame[frame["方向性"] == d.direction]
        items.append(
            {
                "number": d.direction,
                "shown_number": city_digits(d.direction),
                "name": d.name,
                "code": d.progress.final or "",
                "verdict": badge,
                "verdict_text": verdict_text,
                "source": grade_source(d.progress),
                "reason": d.progress.reason,
                "table": table_html(
                    rows, columns, f"取組の方向性{city_digits(d.direction)}の年度別の達成度"
                ),
                "highlights": [h for h in block.highlights if h.direction == d.direction],
                "text": text_html(d.narrative),
            }
        )
    return (
        fragment(
            "directions.html.j2",
            css="kawaeval-directions",
            directions=items,
        )
        if items
        else section()
    )


def direction_table(assessment: Assessment, goal: int) -> Fragment:
    """The evaluated year's counts and shares per direction; each count links to its records."""
    frame = chapter_tables.direction_distribution(assessment, goal)
    labels = _labels(assessment)

    def link(row: Mapping) -> str:
        return appendix_link(goal, int(row["方向性"]))

    columns = [
        Column("取組の方向性", lambda row: f"{row['方向性']} {row['取組の方向性']}"),
        counted("取組数", href=link),
        *(counted_share(labels[k], href=link) for k in EVALUATED),
    ]
    return section(
        table_html(frame, columns, _title(assessment, "direction_distribution", goal)),
        paragraph(APPENDIX_NOTE, "kawaeval-note"),
    )


def periods_table(assessment: Assessment, goal: int) -> Fragment:
    """The period comparison (e.g. before / after COVID-19) of one goal, under its heading."""
    if not _plan_has_periods(assessment):
        return section()
    if not tables.is_shown(assessment, "goal_periods", goal):
        return section(paragraph(PERIODS_NOT_YET), heading="期間の比較")
    frame = chapter_tables.goal_periods(assessment, goal)
    labels = _labels(assessment)
    columns = [
        shown("期間"),
        shown("年度"),
        *(counted_share(labels[k]) for k in EVALUATED),
        percent(frames.ACHIEVED_SHARE),
    ]
    return section(
        table_html(frame, columns, _title(assessment, "goal_periods", goal)),
        heading="期間の比較",
    )


def _below_columns(assessment: Assessment, with_direction: bool) -> list[Column]:
    columns = [shown("取組番号", nowrap=True), *(shown(n) for n in ("取組名", "所管", "主な理由"))]
    if with_direction:
        # the direction heads each group of rows, written once over them (rowspan)
        columns.insert(0, shown("方向性", numeric=True, span=True))
    if tables.external_cause_used(assessment):
        columns.append(shown("外部要因"))
    return columns


def below_target_heading(below: str) -> str:
    """The heading of the below-target list in the plan's words: 目標を下回った取組."""
    return f"{below}取組" if below.endswith("た") else f"「{below}」の取組"


def below_target_table(assessment: Assessment, goal: int) -> Fragment:
    """The goal's below-target initiatives with their reasons; long lists fold by direction."""
    block = goal_block(assessment, goal)
    frame = chapter_tables.below_target(assessment, goal)
    year = era_year(assessment.fiscal_year)
    below = _labels(assessment).below
    caption = f"{year}に{below}取組（{len(frame)}件）"
    table, groups = None, None
    if len(frame) <= LONG_LIST:
        ordered = frame.sort_values("方向性", kind="stable")
        table = table_html(ordered, _below_columns(assessment, True), caption, group="方向性")
    else:
        names = {d.direction: d.name for d in block.directions}
        by_direction = list(frame.groupby("方向性", sort=True))
        room = -(-MAX_LISTED // len(by_direction))
        groups = [
            {
                "title": f"取組の方向性{direction} {names.get(direction, '')}".rstrip(),
                "count": len(rows),
                "table": table_html(
                    rows.head(room),
                    _below_columns(assessment, False),
                    f"{below}取組：取組の方向性{direction}",
                ),
                "more": max(len(rows) - room, 0),
            }
            for direction, rows in by_direction
        ]
    cause = None
    if tables.external_cause_used(assessment):
        cause = {
            **block.external_cause.model_dump(),
            "share": pct(block.external_cause.share_pct),
            "label": assessment.external_cause.label,
        }
    return fragment(
        "below_target.html.j2",
        css="kawaeval-below",
        heading=below_target_heading(below),
        year=year,
        below=below,
        caption=caption,
        count=len(frame),
        table=table,
        groups=groups,
        cause=cause,
    )


def indicators_table(assessment: Assessment, goal: int) -> Fragment:
    """The goal's reference indicators (参考指標), under their heading when any goal has some."""
    if not any(g.indicators for g in assessment.goals):
        return section()
    block = goal_block(assessment, goal)
    if not tables.is_shown(assessment, "indicators", goal):
        return section(paragraph("参考指標は入力されていません。"), heading="参考指標")
    frame = chapter_tables.indicators(assessment, goal)
    columns = [
        shown("参考指標"),
        shown("単位"),
        shown("向き"),
        *(
            Column(n, lambda row, n=n: number(row[n]), True)
            for n in chapter_tables.INDICATOR_VALUES
        ),
        percent("達成率（%）"),
        shown("達成"),
    ]
    note = None
    if any(i.illustrative for i in block.indicators):
        note = paragraph("（例示）の指標はサンプルの値であり、市の公表値ではありません。")
    return section(
        table_html(frame, columns, _title(assessment, "indicators", goal)),
        note,
        heading="参考指標",
    )


def goal_grades(assessment: Assessment, goal: int) -> Fragment:
    """Suggested and final grades of one goal, with the rule's inputs and the committee's reason."""
    block = goal_block(assessment, goal)
    frame = chapter_tables.goal_grades(assessment, goal)
    names = list(chapter_tables.GOAL_GRADES_COLUMNS)
    if not frame["評価委員会の理由"].astype(bool).any():
        names.remove("評価委員会の理由")
    inputs = block.rule_inputs
    return fragment(
        "goal_grades.html.j2",
        table=table_html(frame, [shown(n) for n in names], _title(assessment, "goal_grades", goal)),
        note=_assumption_note(block.progress, block.outlook),
        year=era_year(assessment.fiscal_year),
        achieved=pct(inputs.achieved_share_pct),
        min_year=pct(inputs.min_year_achieved_share_pct),
        adjusted=pct(inputs.adjusted_share_pct) if tables.external_cause_used(assessment) else None,
    )
