"""Tables and text of the report as escaped HTML, built from the assessment dict.

The notebooks only call these functions and show what they return, so every piece of text
that comes from the records (initiative names, reasons, results) goes through :func:`esc`.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

from kawaeval.exceptions import UsageError

EVALUATED_KEYS = ("exceeded", "on_target", "below")
ACHIEVEMENT_KEYS = (*EVALUATED_KEYS, "not_evaluated")
NO_MATH = "tex2jax_ignore mathjax_ignore"
_FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
_ERAS = ((2019, "令和"), (1989, "平成"), (1926, "昭和"))


class Fragment:
    """A piece of report HTML that Jupyter shows as HTML (and as a fixed plain-text stand-in)."""

    def __init__(self, markup: str):
        self.html = markup

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return "<kawaeval report fragment>"

    def __str__(self) -> str:
        return self.html

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Fragment) and other.html == self.html

    def __hash__(self) -> int:
        return hash(self.html)


def esc(value: object) -> str:
    """Escape any value as HTML text; ``$`` too, so no math renderer reads it as TeX."""
    if value is None:
        return ""
    return html.escape(str(value), quote=True).replace("$", "&#36;")


def _block(markup: str, css: str = "") -> Fragment:
    classes = " ".join(filter(None, ["kawaeval", NO_MATH, css]))
    return Fragment(f'<div class="{classes}">{markup}</div>')


def era_year(fiscal_year: int) -> str:
    """The era form the city writes: 2021 -> 令和３(2021)年度, 2019 -> 令和元(2019)年度."""
    for start, era in _ERAS:
        if fiscal_year >= start:
            n = fiscal_year - start + 1
            # the city writes one digit full-width (令和３), two digits half-width (平成30)
            number = "元" if n == 1 else str(n).translate(_FULL_WIDTH_DIGITS) if n < 10 else str(n)
            return f"{era}{number}({fiscal_year})年度"
    return f"{fiscal_year}年度"


def count_share(count: int | None, share: float | None) -> str:
    """``1件(0.9%)``, a count with its share as the city writes it; ``－`` for no count."""
    if count is None:
        return "－"
    if share is None:
        return f"{count}件"
    return f"{count}件({share:.1f}%)"


def pct(share: float | None) -> str:
    """A share as ``80.7%``; ``－`` when there is none."""
    return "－" if share is None else f"{share:.1f}%"


def evaluation_label(assessment: dict) -> str:
    """最終評価 for the last program year, 中間評価 for the others."""
    return "最終評価" if assessment["evaluation"] == "final" else "中間評価"


def load_assessment(
    fiscal_year: int,
    raw_dir: Path | str | None = None,
    allow_rejects: bool = False,
    assessment_json: Path | str | None = None,
) -> dict:
    """The assessment a chapter presents: ``assessment_json`` when given, else the records'.

    Raises
    ------
    UsageError
        If the JSON file is for another fiscal year, or the year is not a program year.
    """
    if assessment_json is not None:
        assessment = json.loads(Path(assessment_json).read_text(encoding="utf-8"))
        if assessment["fiscal_year"] != fiscal_year:
            raise UsageError(
                f"{Path(assessment_json).name} は {assessment['fiscal_year']} 年度の評価です"
                f" (fiscal_year = {fiscal_year} was asked for)"
            )
        return assessment
    from kawaeval.assessing import assess_records
    from kawaeval.paths import RAW_DIR

    # The cleaning step logs notes for the analyst (e.g. ignored columns); in a report page
    # they would show as stray stderr output, so a chapter keeps them out of its page.
    logger = logging.getLogger("kawaeval")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())

    raw = Path(raw_dir) if raw_dir is not None else RAW_DIR
    return assess_records(raw, fiscal_year, allow_rejects=allow_rejects)


def goal_block(assessment: dict, goal: int) -> dict:
    """The assessment of one goal.

    Raises
    ------
    UsageError
        If the plan has no such goal; the message names the goals it has.
    """
    for block in assessment["goals"]:
        if block["goal"] == goal:
            return block
    allowed = ", ".join(str(g["goal"]) for g in assessment["goals"])
    raise UsageError(f"基本目標 {goal} はありません (goal must be one of: {allowed})")


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    caption: str | None = None,
    numeric: Sequence[int] = (),
) -> str:
    """An HTML table with every header and cell escaped; columns in ``numeric`` align right."""
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in headers)
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            align = ' class="num"' if i in numeric else ""
            tag = 'th scope="row"' if i == 0 else "td"
            close = "th" if i == 0 else "td"
            cells.append(f"<{tag}{align}>{esc(cell)}</{close}>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (
        f'<table class="kawaeval-table">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _labels(assessment: dict) -> dict:
    return assessment["plan"]["achievement_labels"]


# ---------------------------------------------------------------- every chapter


def chapter_heading(assessment: dict, title: str) -> Fragment:
    """The chapter title with the plan, program, fiscal year and 最終評価 / 中間評価."""
    plan = assessment["plan"]
    year = assessment["fiscal_year"]
    when = (
        f"{plan['program']}計画期間終了時点"
        if assessment["evaluation"] == "final"
        else f"{plan['program']}計画期間中"
    )
    return _block(
        f"<h1>{esc(title)}</h1>"
        f'<p class="kawaeval-sub">{esc(plan["name"])} {esc(plan["program"])}　'
        f'<span class="kawaeval-badge">{esc(evaluation_label(assessment))}</span>　'
        f"{esc(era_year(year))}（{esc(when)}）</p>" + data_notice(assessment)
    )


def data_notice(assessment: dict) -> str:
    """The raw folder's notice (e.g. that the records are a sample), on every page when given."""
    notice = assessment.get("notice")
    return f'<p class="kawaeval-notice">{esc(notice)}</p>' if notice else ""


def judgement_notice(assessment: dict) -> Fragment:
    """Says that final grades equal the suggested ones when no committee judgements were given."""
    if assessment["judgements_present"]:
        return _block("")
    return _block(
        '<p class="kawaeval-notice">評価委員会の判断（最終評価）が入力されていないため、'
        "最終評価は評価ルールによる提案評価と同じです。</p>"
    )


def data_quality(assessment: dict) -> Fragment:
    """The rejected rows (file, Excel row, column, value, reason) when any were let through."""
    quality = assessment["data_quality"]
    if not quality["rejected_rows"]:
        return _block("")
    rows = [
        (r["file"], r["row"], r["column"], r["value"], r["reason"]) for r in quality["rejected"]
    ]
    return _block(
        "<h2>データ品質：受け付けなかった行</h2>"
        f'<p class="kawaeval-notice">元データの {quality["rejected_rows"]} 行は内容に問題があるため'
        "集計から除外しました（--allow-rejects）。以下の行を修正してください。</p>"
        + table(["ファイル", "行（Excel）", "列", "値", "理由"], rows, numeric=(1,)),
        "kawaeval-quality",
    )


# ---------------------------------------------------------------- the plan


def plan_overview(assessment: dict) -> Fragment:
    """The city's vision and the program with its years."""
    plan = assessment["plan"]
    years = plan["program_years"]
    span = f"{era_year(years[0])}から{era_year(years[-1])}までの{len(years)}年間"
    return _block(
        "<h2>めざすグローバル都市像</h2>"
        f'<p class="kawaeval-vision">「{esc(plan["vision"])}」</p>'
        f"<p>{esc(plan['vision_subtitle'])}</p>"
        f"<h2>{esc(plan['program'])}</h2>"
        f"<p>{esc(plan['name'])}に基づく{esc(plan['program'])}の計画期間は、{esc(span)}です。"
        f"評価の対象は{esc(era_year(assessment['fiscal_year']))}の各取組の達成度です"
        f"（{esc(evaluation_label(assessment))}）。</p>"
    )


def plan_structure(assessment: dict) -> Fragment:
    """The goals, their policies and directions, with the number of initiatives of each."""
    counts = {g["goal"]: g["initiatives"] for g in assessment["goals"]}
    by_direction = {
        (g["goal"], d["direction"]): d["initiatives"]
        for g in assessment["goals"]
        for d in g["directions"]
    }
    rows = []
    for goal in assessment["plan"]["goals"]:
        for d in goal["directions"]:
            rows.append(
                (
                    f"基本目標{goal['goal']}",
                    goal["name"],
                    goal["policy"],
                    f"{d['direction']} {d['name']}",
                    f"{by_direction.get((goal['goal'], d['direction']), 0)}件",
                    f"{counts.get(goal['goal'], 0)}件",
                )
            )
    total = sum(counts.values())
    return _block(
        table(
            ["基本目標", "名称", "取組方針", "取組の方向性", "取組数", "基本目標の取組数"],
            rows,
            caption=f"取組体系（取組数 合計 {total}件）",
            numeric=(4, 5),
        )
    )


def grading_rule(assessment: dict) -> Fragment:
    """How initiatives are rated and how the goal grades are suggested, in the plan's own words."""
    labels = _labels(assessment)
    scale = "・".join(f"「{esc(labels[k])}」" for k in EVALUATED_KEYS)
    items = "".join(f"<li>{esc(line)}</li>" for line in assessment["grading_rule"]["text_ja"])
    return _block(
        "<h2>評価の方法</h2>"
        f"<p>各取組の達成度は{scale}の3段階で評価します（評価の対象外の取組は割合の分母に含めません）。"
        "基本目標ごとに、各取組の達成度の状況、参考指標、主な実績を踏まえて、"
        "達成状況（A〜D）と今後の方向性（Ⅰ〜Ⅲ）を評価します。</p>"
        f"<h3>評価の目安</h3><ul>{items}</ul>"
    )


# ---------------------------------------------------------------- distribution


def distribution_table(block: dict, labels: dict, caption: str | None = None) -> Fragment:
    """Counts and shares of one distribution (program, goal or direction) as the city prints."""
    counts, shares = block["counts"], block["shares_pct"]
    rows = [(labels[k], f"{counts[k]}件", pct(shares[k])) for k in EVALUATED_KEYS]
    if counts["not_evaluated"]:
        rows.append((labels["not_evaluated"], f"{counts['not_evaluated']}件", "（分母に含めない）"))
    rows.append(("取組数", f"{sum(counts.values())}件", ""))
    return _block(table(["達成度", "件数", "割合"], rows, caption=caption, numeric=(1, 2)))


def distribution_summary(assessment: dict) -> Fragment:
    """One paragraph: the evaluated year's counts and shares and the achieved share."""
    program = assessment["program"]
    labels = _labels(assessment)
    counts, shares = program["counts"], program["shares_pct"]
    parts = "、".join(
        f"「{esc(labels[k])}」{esc(count_share(counts[k], shares[k]))}" for k in EVALUATED_KEYS
    )
    achieved = program.get("achieved_share_pct")
    tail = (
        f"「{esc(labels['exceeded'])}」と「{esc(labels['on_target'])}」を合わせた割合は"
        f"{esc(pct(achieved))}です。"
        if achieved is not None
        else "評価された取組はありません。"
    )
    return _block(
        f"<p>{esc(era_year(assessment['fiscal_year']))}の取組数は{program['initiatives']}件で、"
        f"各取組の達成度は{parts}でした。{tail}</p>"
    )


def trend_table(rows: Sequence[dict], labels: dict, caption: str | None = None) -> Fragment:
    """Counts and shares year by year (``program_by_year`` or one goal's ``by_year`` rows)."""
    body = []
    for r in rows:
        counts, shares = r["counts"], r["shares_pct"]
        body.append(
            (
                era_year(r["fiscal_year"]),
                f"{sum(counts.values())}件",
                *(count_share(counts[k], shares[k]) for k in EVALUATED_KEYS),
                pct(r.get("achieved_share_pct")),
            )
        )
    headers = [
        "年度",
        "取組数",
        *(labels[k] for k in EVALUATED_KEYS),
        "上回って達成＋ほぼ目標どおり",
    ]
    return _block(table(headers, body, caption=caption, numeric=(1, 2, 3, 4, 5)))


# ---------------------------------------------------------------- grades


ASSUMPTION_MARK = "※"
ASSUMPTION_NOTE = (
    "※ 市の公表資料に記載のない区分名です（計画定義ファイル plan.toml の仮の名称。"
    "評価担当課で確認してください）。"
)


NO_GRADE = "－（評価した取組がありません）"
PERIODS_NOT_YET = "期間の比較は、比較する期間の年度がそろってから示します。"


def _grade_text(grade: dict, which: str = "final") -> str:
    """A grade as the report prints it; a label the city has not published is marked ※."""
    if grade[which] is None:
        return NO_GRADE
    mark = ASSUMPTION_MARK if grade.get(f"{which}_assumption") else ""
    return f"{grade[which]} {grade[f'{which}_label']}{mark}"


def _assumption_note(*grades: dict) -> str:
    """The footnote for ※, when any grade shown carries it."""
    shown = any(g.get("final_assumption") or g.get("suggested_assumption") for g in grades)
    return f'<p class="kawaeval-note">{esc(ASSUMPTION_NOTE)}</p>' if shown else ""


def _grade_source(grade: dict) -> str:
    if grade["source"] == "committee":
        if grade["differs"]:
            return f"評価委員会の判断（提案評価 {_grade_text(grade, 'suggested')} から変更）"
        return "評価委員会の判断（提案評価と同じ）"
    return "評価ルールによる提案評価"


def _grades_source(progress: dict, outlook: dict) -> str:
    first, second = _grade_source(progress), _grade_source(outlook)
    return first if first == second else f"達成状況：{first}／今後の方向性：{second}"


def grades_table(assessment: dict) -> Fragment:
    """Each goal's progress and outlook grade (final, with how it was reached)."""
    rows = [
        (
            f"基本目標{g['goal']}",
            g["name"],
            _grade_text(g["progress"]),
            _grade_text(g["outlook"]),
            _grades_source(g["progress"], g["outlook"]),
        )
        for g in assessment["goals"]
    ]
    return _block(
        table(
            ["基本目標", "名称", "達成状況", "今後の方向性（取組構成の妥当性）", "評価の根拠"],
            rows,
            caption="基本目標ごとの達成状況と今後の方向性",
        )
        + _assumption_note(*(g[k] for g in assessment["goals"] for k in ("progress", "outlook")))
    )


def external_cause_summary(assessment: dict) -> Fragment:
    """How many below-target results the records attribute to the external cause (COVID-19)."""
    cause = assessment["external_cause"]
    year = era_year(assessment["fiscal_year"])
    if not cause["below"]:
        return _block(f"<p>{esc(year)}に「目標を下回った」取組はありません。</p>")
    if not cause["with_external_cause"]:
        return _block(
            "<h2>社会経済環境の変化</h2>"
            f"<p>{esc(year)}に「目標を下回った」{cause['below']}件のうち、"
            f"主な理由が「{esc(cause['label'])}」によるものはありませんでした。</p>"
        )
    return _block(
        "<h2>社会経済環境の変化</h2>"
        f"<p>{esc(year)}に「目標を下回った」{cause['below']}件のうち、"
        f"{cause['with_external_cause']}件（{esc(pct(cause['share_pct']))}）は、"
        f"主な理由が「{esc(cause['label'])}」によるものでした。</p>"
    )


def goal_cause_table(assessment: dict) -> Fragment:
    """Per goal: below-target results and how many of them had the external cause."""
    label = assessment["external_cause"]["label"]
    rows = [
        (
            f"基本目標{g['goal']}",
            f"{g['external_cause']['below']}件",
            f"{g['external_cause']['with_external_cause']}件",
            pct(g["external_cause"]["share_pct"]),
        )
        for g in assessment["goals"]
    ]
    return _block(
        table(
            ["基本目標", "目標を下回った", f"うち{label}", "割合"],
            rows,
            caption=f"{era_year(assessment['fiscal_year'])}の目標を下回った取組の理由",
            numeric=(1, 2, 3),
        )
    )


def period_overview_table(assessment: dict) -> Fragment:
    """The achieved share per period (before / after COVID-19), for the program and each goal."""
    periods = assessment["program_periods"]
    if len(periods) < 2:
        return _block(f"<p>{PERIODS_NOT_YET}</p>")
    labels = _labels(assessment)
    groups = [("全取組", periods)]
    groups += [(f"基本目標{g['goal']}", g["periods"]) for g in assessment["goals"]]
    rows = [(name, *(pct(p["achieved_share_pct"]) for p in blocks)) for name, blocks in groups]
    headers = [
        "区分",
        *(f"{p['name']}（{'・'.join(era_year(y) for y in p['fiscal_years'])}）" for p in periods),
    ]
    return _block(
        table(
            headers,
            rows,
            caption=(
                f"期間ごとの「{labels['exceeded']}」と「{labels['on_target']}」を"
                "合わせた割合（延べ件数）"
            ),
            numeric=tuple(range(1, len(headers))),
        )
    )


def overall_judgement(assessment: dict) -> Fragment:
    """The program-level judgement: its grade and the committee's statement when there is one."""
    overall = assessment["overall"]
    grade = overall["progress"]
    statement = overall.get("statement")
    text = (
        f"<p>{esc(statement)}</p>"
        if statement
        else "<p>評価委員会による総合的な評価の文章は入力されていません。</p>"
    )
    return _block(
        "<h2>総合的な評価</h2>"
        '<p class="kawaeval-grade">プログラム全体の達成状況：'
        f"<strong>{esc(_grade_text(grade))}</strong>"
        f"（{esc(_grade_source(grade))}）</p>{text}{_assumption_note(grade)}"
    )


# ---------------------------------------------------------------- highlights


def highlights(goal: dict, heading: bool = True) -> Fragment:
    """A goal's main results (主な実績) as a list, under the goal's title unless told not to."""
    title = f"<h2>基本目標{goal['goal']} {esc(goal['name'])}</h2>" if heading else ""
    if not goal["highlights"]:
        return _block(title + "<p>主な実績は入力されていません。</p>")
    items = "".join(
        f"<li><strong>{esc(h['initiative'])}</strong>（取組の方向性{esc(h['direction'])}）<br>"
        f"{esc(h['result'])}</li>"
        for h in goal["highlights"]
    )
    return _block(f"{title}<ul>{items}</ul>")


# ---------------------------------------------------------------- one goal


def goal_heading(assessment: dict, goal: int) -> Fragment:
    """The goal chapter's title with its number of initiatives."""
    block = goal_block(assessment, goal)
    return chapter_heading(
        assessment, f"基本目標{block['goal']} {block['name']}（取組数：{block['initiatives']}件）"
    )


def goal_by_year_table(assessment: dict, goal: int) -> Fragment:
    """One goal's counts and shares in every program year up to the evaluated one."""
    rows = [r for r in assessment["by_year"] if r["goal"] == goal]
    return trend_table(rows, _labels(assessment), caption=f"基本目標{goal}の年度別の達成度")


def direction_table(assessment: dict, goal: int) -> Fragment:
    """The evaluated year's counts and shares per direction of one goal."""
    block = goal_block(assessment, goal)
    labels = _labels(assessment)
    rows = [
        (
            f"{d['direction']} {d['name']}",
            f"{d['initiatives']}件",
            *(count_share(d["counts"][k], d["shares_pct"][k]) for k in EVALUATED_KEYS),
        )
        for d in block["directions"]
    ]
    return _block(
        table(
            ["取組の方向性", "取組数", *(labels[k] for k in EVALUATED_KEYS)],
            rows,
            caption=f"{era_year(assessment['fiscal_year'])}の取組の方向性別の達成度",
            numeric=(1, 2, 3, 4),
        )
    )


def periods_table(assessment: dict, goal: int) -> Fragment:
    """The period comparison (e.g. before / after COVID-19) of one goal."""
    block = goal_block(assessment, goal)
    labels = _labels(assessment)
    if len(block["periods"]) < 2:
        return _block(f"<p>{PERIODS_NOT_YET}</p>")
    rows = [
        (
            p["name"],
            "・".join(era_year(y) for y in p["fiscal_years"]),
            *(count_share(p["counts"][k], p["shares_pct"][k]) for k in EVALUATED_KEYS),
        )
        for p in block["periods"]
    ]
    return _block(
        table(
            ["期間", "年度", *(labels[k] for k in EVALUATED_KEYS)],
            rows,
            caption="期間ごとの達成度（延べ件数）",
            numeric=(2, 3, 4),
        )
    )


def below_target_table(assessment: dict, goal: int) -> Fragment:
    """The goal's below-target initiatives in the evaluated year with the reasons given."""
    block = goal_block(assessment, goal)
    year = era_year(assessment["fiscal_year"])
    if not block["below_target"]:
        return _block(f"<p>{esc(year)}に「目標を下回った」取組はありません。</p>")
    label = assessment["external_cause"]["label"]
    rows = [
        (
            r["initiative_id"],
            r["name"],
            r["direction"],
            r["bureau"] or "",
            r["reason"] or "（理由の記載なし）",
            label if r["external_cause"] else "",
        )
        for r in block["below_target"]
    ]
    cause = block["external_cause"]
    return _block(
        table(
            ["取組番号", "取組名", "方向性", "所管", "主な理由", "外部要因"],
            rows,
            caption=f"{year}に目標を下回った取組（{len(rows)}件）",
            numeric=(2,),
        )
        + f"<p>{cause['below']}件のうち{cause['with_external_cause']}件"
        f"（{esc(pct(cause['share_pct']))}）は「{esc(label)}」によるものです。</p>"
    )


def indicators_table(assessment: dict, goal: int) -> Fragment:
    """The goal's reference indicators (参考指標) for the evaluated year."""
    block = goal_block(assessment, goal)
    if not block["indicators"]:
        return _block("<p>参考指標は入力されていません。</p>")
    better = {"higher": "高いほど良い", "lower": "低いほど良い"}
    rows = []
    for i in block["indicators"]:
        achieved = {True: "達成", False: "未達成", None: "－"}[i["achieved"]]
        rows.append(
            (
                i["name"] + ("（例示）" if i["illustrative"] and "例示" not in i["name"] else ""),
                i["unit"],
                better.get(i["better"], i["better"]),
                _number(i["baseline"]),
                _number(i["target"]),
                _number(i["actual"]),
                pct(i["achievement_rate_pct"]),
                achieved,
            )
        )
    note = (
        "<p>（例示）の指標はサンプルの値であり、市の公表値ではありません。</p>"
        if any(i["illustrative"] for i in block["indicators"])
        else ""
    )
    return _block(
        table(
            ["参考指標", "単位", "向き", "基準値", "目標値", "実績値", "達成率", "達成"],
            rows,
            caption=f"{era_year(assessment['fiscal_year'])}の参考指標",
            numeric=(3, 4, 5, 6),
        )
        + note
    )


def _number(value: object) -> str:
    if value is None:
        return "－"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, int | float):
        return f"{value:,}"
    return str(value)


def goal_grades(assessment: dict, goal: int) -> Fragment:
    """Suggested and final grades of one goal, with the rule's inputs and the committee's reason."""
    block = goal_block(assessment, goal)
    rows = []
    shown_reason = None
    for title, grade in (("達成状況", block["progress"]), ("今後の方向性", block["outlook"])):
        reason = grade["reason"] or ""
        rows.append(
            (
                title,
                _grade_text(grade, "suggested"),
                _grade_text(grade),
                _grade_source(grade),
                "（同上）" if reason and reason == shown_reason else reason,
            )
        )
        shown_reason = reason
    inputs = block["rule_inputs"]
    return _block(
        table(
            ["項目", "提案評価（評価ルール）", "最終評価", "根拠", "評価委員会の理由"],
            rows,
            caption=f"基本目標{goal}の達成状況と今後の方向性",
        )
        + _assumption_note(block["progress"], block["outlook"])
        + "<p>評価ルールの入力値："
        f"{esc(era_year(assessment['fiscal_year']))}の達成割合 "
        f"{esc(pct(inputs['achieved_share_pct']))}、"
        f"各年度の達成割合の最小値 {esc(pct(inputs['min_year_achieved_share_pct']))}、"
        f"外部要因を考慮した割合 {esc(pct(inputs['adjusted_share_pct']))}。</p>"
    )


# ---------------------------------------------------------------- pages around the chapters


def page_nav(previous: tuple[str, str] | None, following: tuple[str, str] | None) -> str:
    """Previous / index / next links (relative) for the top and bottom of a chapter page."""
    links = []
    if previous:
        links.append(f'<a rel="prev" href="{esc(previous[1])}">← {esc(previous[0])}</a>')
    links.append('<a href="index.html">目次</a>')
    if following:
        links.append(f'<a rel="next" href="{esc(following[1])}">{esc(following[0])} →</a>')
    return f'<nav class="kawaeval-nav">{" ｜ ".join(links)}</nav>'


def report_css() -> str:
    """The report's own styles and print styles, shared with the chapter template (templates/)."""
    from kawaeval.paths import TEMPLATES_DIR

    static = TEMPLATES_DIR / "kawaeval" / "static"
    return "".join(
        (static / name).read_text(encoding="utf-8") for name in ("kawaeval.css", "print.css")
    )


def index_page(
    assessment: dict,
    chapters: Sequence[tuple[str, str]],
    provenance: dict,
) -> str:
    """The report's entry page: title, table of contents, key figures and provenance.

    ``chapters`` is (title, relative link) in reading order; ``provenance`` holds
    ``package_version``, ``git_commit`` (or None), ``parameters`` (dict), ``inputs``
    (list of (file, sha256)), ``plan`` ((file, sha256)) and ``source_date`` (or None).
    """
    plan = assessment["plan"]
    title = (
        f"{plan['name']} {plan['program']} 評価 {era_year(assessment['fiscal_year'])}"
        f"（{evaluation_label(assessment)}）"
    )
    toc = "".join(f'<li><a href="{esc(href)}">{esc(name)}</a></li>' for name, href in chapters)
    labels = _labels(assessment)
    program = assessment["program"]
    key = "".join(
        f"<li>{esc(labels[k])}："
        f"{esc(count_share(program['counts'][k], program['shares_pct'][k]))}</li>"
        for k in EVALUATED_KEYS
    )
    prov = [
        ("kawaeval", provenance["package_version"]),
    ]
    if provenance.get("git_commit"):
        prov.append(("git commit", provenance["git_commit"]))
    if provenance.get("source_date"):
        prov.append(("作成日 (SOURCE_DATE_EPOCH)", provenance["source_date"]))
    params = ", ".join(f"{k} = {v}" for k, v in provenance["parameters"].items())
    prov.append(("パラメータ", params))
    plan_file, plan_sha = provenance["plan"]
    prov.append((f"計画定義 {plan_file}", f"SHA-256 {plan_sha}"))
    for name, sha in provenance["inputs"]:
        prov.append((f"入力 {name}", f"SHA-256 {sha}"))
    prov_html = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in prov)
    body = (
        f"<h1>{esc(title)}</h1>"
        + data_notice(assessment)
        + str(judgement_notice(assessment))
        + f'<h2>目次</h2><ol class="kawaeval-toc">{toc}</ol>'
        + "<h2>主な数値</h2>"
        + f"<p>取組数：{program['initiatives']}件（{esc(era_year(assessment['fiscal_year']))}）</p>"
        + f"<ul>{key}</ul>"
        + str(grades_table(assessment))
        + str(data_quality(assessment))
        + f'<h2>作成情報</h2><dl class="kawaeval-prov">{prov_html}</dl>'
    )
    return (
        '<!DOCTYPE html>\n<html lang="ja">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
        f"<title>{esc(title)}</title>\n<style>\n{report_css()}</style>\n</head>\n"
        f'<body>\n<main class="kawaeval">\n{body}\n</main>\n</body>\n</html>\n'
    )


# ---------------------------------------------------------------- shortcuts the notebooks call


def program_distribution_table(assessment: dict) -> Fragment:
    """All initiatives' distribution in the evaluated year."""
    return distribution_table(
        assessment["program"],
        _labels(assessment),
        caption=f"{era_year(assessment['fiscal_year'])}の各取組の達成度",
    )


def program_trend_table(assessment: dict) -> Fragment:
    """All initiatives' distribution in every program year up to the evaluated one."""
    return trend_table(
        assessment["program_by_year"], _labels(assessment), caption="年度別の達成度（全取組）"
    )


def all_highlights(assessment: dict) -> Fragment:
    """Every goal's main results, goal by goal."""
    return _block("".join(highlights(g).html for g in assessment["goals"]))


def goal_highlights(assessment: dict, goal: int) -> Fragment:
    """One goal's main results, without the goal title (the chapter has it)."""
    return highlights(goal_block(assessment, goal), heading=False)
