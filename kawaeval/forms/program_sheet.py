"""The whole program's evaluation sheet: the program's figures by year, each goal's grades as
decided, and the committee's open cells for the overall statement.
"""

from __future__ import annotations

from openpyxl import Workbook

from kawaeval.common.text import era_year
from kawaeval.evaluation.model import Assessment, GradeDecision
from kawaeval.forms.sheet_guide import write_guide
from kawaeval.forms.sheet_writer import (
    BOX,
    SHARE_FORMAT,
    TEXT_PROMPT,
    decided_choice,
    figure_header,
    grade_choice,
    new_sheet,
    period_rows,
    suggested_choice,
    supplied,
    write_fingerprint,
    write_meta,
    year_rows,
)


def program_workbook(assessment: Assessment) -> Workbook:
    """The sheet of the whole program: its figures, every goal's and direction's standing, the
    sentences on them, and the committee's overall judgement."""
    plan = assessment.plan
    w = new_sheet(
        assessment, f"基本目標評価シート　{plan.program}全体　{era_year(assessment.fiscal_year)}"
    )
    book = w.book
    write_meta(w, assessment, None)

    w.section("１ 各取組の達成度の状況（全取組）")
    figure_header(w, assessment)
    year_rows(w, assessment.program_by_year)
    period_rows(w, assessment, assessment.program_periods)
    w.free_text(
        "各取組の達成度の状況（文案）",
        supplied(assessment.program.achievement_text),
        ("achievement",),
        TEXT_PROMPT,
    )
    w.next()

    w.section("２ 基本目標ごとの達成状況と今後の方向性")
    w.note(
        "各基本目標と取組の方向性の評価は、それぞれの基本目標評価シートで判断します。"
        "下の表はこのシートを作成した時点の値です（提案、または委員会の判断）。"
    )
    w.header("基本目標", "達成割合", ("達成状況", 2), ("今後の方向性", 2), "根拠")
    for g in assessment.goals:
        w.cell(1, f"基本目標{g.goal} {g.name}").border = BOX
        w.cell(
            2,
            None if g.achieved_share_pct is None else g.achieved_share_pct / 100,
            number_format=SHARE_FORMAT,
        ).border = BOX
        w.merged(3, 4, _final(g.progress)).border = BOX
        w.merged(5, 6, _final(g.outlook)).border = BOX
        w.cell(7, _source(g.progress)).border = BOX
        w.fit(1, 1, f"基本目標{g.goal} {g.name}")
        w.next()
    w.next()
    w.header("取組の方向性", "達成割合", ("進捗", 4), "根拠")
    for g in assessment.goals:
        for d in g.directions:
            label = f"{g.goal}-{d.direction} {d.name}"
            w.cell(1, label).border = BOX
            w.cell(
                2,
                None if d.achieved_share_pct is None else d.achieved_share_pct / 100,
                number_format=SHARE_FORMAT,
            ).border = BOX
            w.merged(3, 6, _final(d.progress)).border = BOX
            w.cell(7, _source(d.progress)).border = BOX
            w.fit(1, 1, label)
            w.next()
    w.free_text(
        "基本目標ごとの達成状況と今後の方向性（文案）",
        supplied(assessment.overall.goals_text),
        ("goals",),
        TEXT_PROMPT + "基本目標のシートで評価を変えた場合は、この文も合わせて直してください。",
    )
    w.next()

    w.section("３ 社会経済環境の変化")
    w.free_text(
        "計画期間中の社会経済環境の変化（任意。書いた場合は報告書の総合的な評価に載ります）",
        supplied(assessment.overall.context),
        ("context",),
        "計画期間中に取組を取り巻く環境がどう変わったかを書いてください（任意）。",
        lines=3,
    )
    w.next()

    w.section("４ 総合的な評価")
    program = assessment.program
    w.choice_header()
    w.choice(
        "全体の達成状況",
        suggested_choice(program.progress),
        "progress",
        decided_choice(program.progress),
        ("progress",),
        "",
    )
    w.free_text(
        "総合的な評価（委員会の評価の文）",
        assessment.overall.statement,
        ("reason",),
        "プログラム全体の総合的な評価を書いてください。"
        "提案と異なる達成状況を選んだ場合は、その理由も。",
    )
    write_fingerprint(w, assessment, None)
    write_guide(book, assessment, None)
    book.active = 0
    return book


def _final(decision: GradeDecision) -> str:
    if decision.final is None:
        return "－"
    return grade_choice(decision.final, decision.final_label) + (
        "※" if decision.final_assumption else ""
    )


def _source(decision: GradeDecision) -> str:
    return "委員会" if decision.source == "committee" else "提案"
