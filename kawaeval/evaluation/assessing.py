"""The assessment: counts, shares, period comparison and suggested grades from the tidy records.

Pure functions over the tidy table (kawaeval.records.cleaning) and the optional inputs
(kawaeval.records.supplements); ``assess`` returns the JSON-ready dict the notebooks and
``kawaeval assess --json`` share (keys: ../shared/spec/data-contract.md and the brief).

Shares are percentages of evaluated initiatives (not_evaluated is left out of the
denominator), each rounded half-up to one decimal on its own, as the city prints them; the
rounded shares of one table may therefore sum to 99.9-100.1. Suggested grades compare these
printed shares with the plan's thresholds. A GRADE's ``assumption`` is true when its suggested
or final grade carries ``assumption = true`` in plan.toml (a label the city has not published).
"""

from __future__ import annotations

import logging
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd

from kawaeval.evaluation import drafting
from kawaeval.evaluation.grading import (
    grade_decision,
    grading_rule,
    suggest_direction,
    suggest_outlook,
    suggest_progress,
)
from kawaeval.evaluation.model import Assessment
from kawaeval.exceptions import NoRecordsError
from kawaeval.plan import ACHIEVED, ACHIEVEMENTS, EVALUATED, Plan, load_plan
from kawaeval.records.committee import CommitteeInput
from kawaeval.records.supplements import Supplements, empty_supplements, load_supplements

log = logging.getLogger(__name__)

REJECTED_COLUMNS = ("file", "row", "initiative_id", "name", "column", "value", "reason")


def round_half_up_pct(count: int, total: int) -> float | None:
    """``count / total`` as a percentage rounded half-up to one decimal (1/16 -> 6.3).

    Integer arithmetic, so .x5 boundaries round up exactly; None when ``total`` is 0.
    """
    if total == 0:
        return None
    tenths = (2000 * count + total) // (2 * total)
    return tenths / 10


def check_records(tidy: pd.DataFrame, fiscal_year: int, raw_dir: Path) -> None:
    """Refuse to assess a year for which the records hold no rating at all (e.g. blank templates).

    Raises
    ------
    NoRecordsError
        If no tidy row is of ``fiscal_year``.
    """
    if not (tidy["fiscal_year"] == fiscal_year).any():
        raise NoRecordsError(fiscal_year, raw_dir)


def assess_records(raw_dir: Path, fiscal_year: int, allow_rejects: bool = False) -> Assessment:
    """Clean the raw folder, read its optional inputs and assess ``fiscal_year``.

    Raises
    ------
    UnknownFiscalYearError
        Before any record is read, when the year is not a program year (exit code 2).
    NoRecordsError
        When no initiative has a row for the year.
    KawaevalError
        Whatever cleaning or the optional inputs raise (rejected rows, unreadable files...).
    """
    from kawaeval.records.cleaning import clean_records

    load_plan(raw_dir).check_fiscal_years([fiscal_year])
    result = clean_records(Path(raw_dir), allow_rejects=allow_rejects)
    check_records(result.tidy, fiscal_year, raw_dir)
    supplements = load_supplements(Path(raw_dir), result.plan)
    return assess(
        result.tidy,
        result.plan,
        fiscal_year,
        supplements,
        result.rejected,
        result.manifest["warnings"],
    )


def assess(
    tidy: pd.DataFrame,
    plan: Plan,
    fiscal_year: int,
    supplements: Supplements | None = None,
    rejected: pd.DataFrame | None = None,
    warnings: list[str] | None = None,
) -> Assessment:
    """The assessment of ``fiscal_year``, typed and validated (:mod:`kawaeval.evaluation.model`;
    it reads like the dict of the module docstring, and ``to_json()`` is that JSON).

    ``warnings`` are what cleaning noticed (the manifest's ``warnings``): the report's
    data-quality section lists them.

    Raises
    ------
    UnknownFiscalYearError
        If ``fiscal_year`` is not one of the plan's program years.
    """
    plan.check_fiscal_years([fiscal_year])
    supplements = supplements if supplements is not None else empty_supplements()
    records = _prepare(tidy, plan)
    years = [y for y in plan.program_years if y <= fiscal_year]
    records = records[records["fiscal_year"].isin(years)]
    this_year = records[records["fiscal_year"] == fiscal_year]
    decide = _Decisions(supplements.committee, fiscal_year, plan)

    goals = [
        _goal_block(records, plan, goal.goal, fiscal_year, years, decide, supplements)
        for goal in plan.goals
    ]
    program_counts = _counts(this_year)
    program_share = _achieved_share(program_counts)
    program_progress = decide.grade(
        suggest_progress(plan, program_share), None, None, "progress", plan.progress_grades
    )
    empty = drafting.compose(None, None)
    assessment = Assessment.model_validate(
        {
            "fiscal_year": int(fiscal_year),
            "evaluation": "final" if fiscal_year == plan.program_years[-1] else "interim",
            "plan": _plan_block(plan),
            "program": {
                "initiatives": _total(program_counts),
                "counts": program_counts,
                "shares_pct": _shares(program_counts),
                "achieved_share_pct": program_share,
                "progress": program_progress,
                "achievement_text": empty,
            },
            "program_by_year": [_year_block(records, year) for year in years],
            "program_periods": _periods(records, plan, fiscal_year),
            "goals": goals,
            "by_year": [
                {"goal": goal.goal, **_year_block(records[records["goal"] == goal.goal], year)}
                for goal in plan.goals
                for year in years
            ],
            "external_cause": {
                "label": plan.grading.external_cause_label,
                **_external_block(this_year),
            },
            "overall": {
                "progress": program_progress,
                "statement": decide.value(None, None, "reason"),
                "goals_text": empty,
                "context": empty,
            },
            "judgements_present": fiscal_year in supplements.committee.years(),
            "committee_sheets": [],
            "grading_rule": grading_rule(plan),
            "data_quality": _data_quality(rejected, warnings),
            "notice": supplements.notice,
            "initiatives": _initiatives(records),
        }
    )
    _fill_texts(assessment, decide)
    assessment.committee_sheets = _sheets_read(assessment, supplements.committee)
    return assessment


class _Decisions:
    """The committee's values for one fiscal year, as the assessment asks for them."""

    def __init__(self, committee: CommitteeInput, fiscal_year: int, plan: Plan):
        self.committee = committee
        self.fiscal_year = fiscal_year
        self.plan = plan

    def value(self, goal: int | None, direction: int | None, name: str) -> str | None:
        return self.committee.get(self.fiscal_year, goal, direction, name)

    def text(self, goal: int | None, direction: int | None, name: str, draft: str | None):
        given = self.committee.given(self.fiscal_year, goal, direction, name)
        if given is None:
            return drafting.compose(draft, None)
        return drafting.compose(draft, given.value, given.where)

    def grade(self, suggested, goal, direction, name, grades):
        """The decision for a grade (progress, outlook) or a direction's verdict."""
        reason = "verdict_reason" if name == "verdict" else "reason"
        return grade_decision(
            suggested,
            self.value(goal, direction, name),
            self.value(goal, direction, reason),
            grades,
        )


def _fill_texts(assessment: Assessment, decide: _Decisions) -> None:
    """Every text of the report: the committee's where it supplied one, else the rule's draft
    (drafted after the grades are decided, since a draft states the final verdict)."""
    for goal in assessment.goals:
        for direction in goal.directions:
            direction.narrative = decide.text(
                goal.goal,
                direction.direction,
                "narrative",
                drafting.direction_draft(assessment, direction),
            )
        goal.achievement_text = decide.text(
            goal.goal, None, "achievement", drafting.goal_achievement_draft(assessment, goal)
        )
        goal.grades_text = decide.text(goal.goal, None, "grades", drafting.goal_grades_draft(goal))
    assessment.program.achievement_text = decide.text(
        None, None, "achievement", drafting.program_achievement_draft(assessment)
    )
    assessment.overall.goals_text = decide.text(
        None, None, "goals", drafting.goals_grades_draft(assessment)
    )
    assessment.overall.context = decide.text(None, None, "context", None)


def _sheets_read(assessment: Assessment, committee: CommitteeInput) -> list[dict]:
    """The returned sheets of the evaluated year, each with whether the records still give the
    figures it was made from; a sheet made from other figures is logged as a warning."""
    used = []
    for sheet in committee.sheets:
        if sheet.fiscal_year != assessment.fiscal_year:
            continue
        current = sheet.fingerprint == assessment.figures_fingerprint(sheet.goal)
        if not current:
            log.warning(
                "%s: 評価委員会はこのシートを作成した時点の数値で評価しています。その後、記録の"
                "数値が変わりました（委員会に確認してください）"
                " (the committee judged on earlier figures)",
                sheet.file,
            )
        used.append({"file": sheet.file, "goal": sheet.goal, "current": current})
    return used


def _text_or_none(value) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


def _prepare(tidy: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """The columns the assessment uses, with plain types and the external-cause flag."""
    frame = pd.DataFrame(
        {
            "initiative_id": tidy["initiative_id"].astype(str),
            "goal": tidy["goal"].astype(int),
            "direction": tidy["direction"].astype(int),
            "name": tidy["name"].astype(str),
            "bureau": tidy["bureau"].astype(object) if "bureau" in tidy else None,
            "fiscal_year": tidy["fiscal_year"].astype(int),
            "achievement": pd.Categorical(tidy["achievement"].astype(str), categories=ACHIEVEMENTS),
            "reason": tidy["reason"].astype(object) if "reason" in tidy else None,
            "former_ids": tidy["former_ids"].astype(object) if "former_ids" in tidy else None,
        }
    )
    keywords = plan.grading.external_cause_keywords
    frame["external_cause"] = [
        achievement == "below" and isinstance(reason, str) and any(k in reason for k in keywords)
        for achievement, reason in zip(frame["achievement"], frame["reason"], strict=True)
    ]
    return frame


def _counts(rows: pd.DataFrame) -> dict[str, int]:
    tally = rows["achievement"].value_counts()
    return {key: int(tally.get(key, 0)) for key in ACHIEVEMENTS}


def _total(counts: dict[str, int]) -> int:
    return sum(counts.values())


def _evaluated(counts: dict[str, int]) -> int:
    return sum(counts[key] for key in EVALUATED)


def _shares(counts: dict[str, int]) -> dict[str, float | None]:
    return {key: round_half_up_pct(counts[key], _evaluated(counts)) for key in EVALUATED}


def _achieved_share(counts: dict[str, int]) -> float | None:
    return round_half_up_pct(sum(counts[key] for key in ACHIEVED), _evaluated(counts))


def _year_block(rows: pd.DataFrame, year: int) -> dict:
    counts = _counts(rows[rows["fiscal_year"] == year])
    return {
        "fiscal_year": int(year),
        "initiatives": _total(counts),
        "counts": counts,
        "shares_pct": _shares(counts),
        "achieved_share_pct": _achieved_share(counts),
    }


def _external_block(rows: pd.DataFrame) -> dict:
    below = int((rows["achievement"] == "below").sum())
    external = int(rows["external_cause"].sum())
    return {
        "below": below,
        "with_external_cause": external,
        "share_pct": round_half_up_pct(external, below),
    }


def _goal_block(
    records: pd.DataFrame,
    plan: Plan,
    goal: int,
    fiscal_year: int,
    years: list[int],
    decide: _Decisions,
    supplements: Supplements,
) -> dict:
    rows = records[records["goal"] == goal]
    this_year = rows[rows["fiscal_year"] == fiscal_year]
    counts = _counts(this_year)
    achieved_share = _achieved_share(counts)
    yearly = [_achieved_share(_counts(rows[rows["fiscal_year"] == y])) for y in years]
    yearly = [s for s in yearly if s is not None]
    min_year_share = min(yearly) if yearly else None
    pooled = _counts(rows)
    adjusted_share = round_half_up_pct(
        sum(pooled[k] for k in ACHIEVED) + int(rows["external_cause"].sum()), _evaluated(pooled)
    )
    progress = decide.grade(
        suggest_progress(plan, achieved_share), goal, None, "progress", plan.progress_grades
    )
    outlook = decide.grade(
        suggest_outlook(plan, min_year_share, adjusted_share),
        goal,
        None,
        "outlook",
        plan.outlook_grades,
    )
    definition = plan.goal_by_number(goal)
    return {
        "goal": goal,
        "name": definition.name,
        "initiatives": _total(counts),
        "counts": counts,
        "shares_pct": _shares(counts),
        "achieved_share_pct": achieved_share,
        "progress": progress,
        "outlook": outlook,
        "rule_inputs": {
            "achieved_share_pct": achieved_share,
            "min_year_achieved_share_pct": min_year_share,
            "adjusted_share_pct": adjusted_share,
        },
        "directions": [
            _direction_block(rows, plan, goal, d, fiscal_year, years, decide)
            for d in definition.directions
        ],
        "periods": _periods(rows, plan, fiscal_year),
        "below_target": _below_target(this_year),
        "external_cause": _external_block(this_year),
        "highlights": _highlights(supplements.highlights, goal, fiscal_year),
        "indicators": _indicators(supplements.indicators, goal, fiscal_year),
        "achievement_text": drafting.compose(None, None),
        "grades_text": drafting.compose(None, None),
    }


def _direction_block(rows, plan: Plan, goal: int, direction, fiscal_year, years, decide) -> dict:
    """One direction: the evaluated year's figures and verdict, and its figures by year."""
    mine = rows[rows["direction"] == direction.direction]
    counts = _counts(mine[mine["fiscal_year"] == fiscal_year])
    share = _achieved_share(counts)
    return {
        "direction": direction.direction,
        "name": direction.name,
        "initiatives": _total(counts),
        "counts": counts,
        "shares_pct": _shares(counts),
        "achieved_share_pct": share,
        "progress": decide.grade(
            suggest_direction(plan, share),
            goal,
            direction.direction,
            "verdict",
            plan.direction_grades,
        ),
        "by_year": [_year_block(mine, year) for year in years],
        "narrative": drafting.compose(None, None),
    }


def _periods(rows: pd.DataFrame, plan: Plan, fiscal_year: int) -> list[dict]:
    blocks = []
    for period in plan.periods:
        period_years = [y for y in period.fiscal_years if y <= fiscal_year]
        if not period_years:
            continue
        counts = _counts(rows[rows["fiscal_year"].isin(period_years)])
        blocks.append(
            {
                "name": period.name,
                "fiscal_years": period_years,
                "counts": counts,
                "shares_pct": _shares(counts),
                "achieved_share_pct": _achieved_share(counts),
            }
        )
    return blocks


def _below_target(rows: pd.DataFrame) -> list[dict]:
    below = rows[rows["achievement"] == "below"].sort_values(["direction", "initiative_id"])
    return [
        {
            "initiative_id": r["initiative_id"],
            "name": r["name"],
            "direction": int(r["direction"]),
            "bureau": _text_or_none(r["bureau"]),
            "reason": _text_or_none(r["reason"]),
            "external_cause": bool(r["external_cause"]),
        }
        for r in below.to_dict("records")
    ]


def _initiatives(records: pd.DataFrame) -> list[dict]:
    """Every initiative rated in a program year up to the evaluated one, with each year's
    achievement, so that every count of the report can be traced to its records (付録)."""
    ordered = records.sort_values(["goal", "direction", "initiative_id", "fiscal_year"])
    entries = []
    for initiative_id, rows in ordered.groupby("initiative_id", sort=False):
        # a renumbered initiative's years may stand under several directions: by year
        rows = rows.sort_values("fiscal_year", kind="stable")
        latest = rows.iloc[-1]
        former = next((f for f in rows["former_ids"] if isinstance(f, str) and f), None)
        entries.append(
            {
                "initiative_id": str(initiative_id),
                "name": str(latest["name"]),
                "goal": int(latest["goal"]),
                "direction": int(latest["direction"]),
                "bureau": _text_or_none(latest["bureau"]),
                "achievements": {
                    str(int(year)): str(achievement)
                    for year, achievement in zip(
                        rows["fiscal_year"], rows["achievement"], strict=True
                    )
                },
                "reason": _text_or_none(latest["reason"]),
                "former_ids": former.split("、") if former else [],
            }
        )
    return entries


def _highlights(highlights: pd.DataFrame, goal: int, fiscal_year: int) -> list[dict]:
    """Main results of the goal achieved in or before the evaluated year, by direction then file
    order."""
    chosen = highlights[(highlights["goal"] == goal) & (highlights["fiscal_year"] <= fiscal_year)]
    chosen = chosen.sort_values(["direction", "source_row"])
    return [
        {
            "direction": int(h["direction"]),
            "initiative": str(h["initiative"]),
            "result": str(h["result"]),
        }
        for h in chosen.to_dict("records")
    ]


def achievement_rate_pct(target, actual, better: str) -> float | None:
    """Indicator achievement rate in %, half-up to one decimal.

    Higher-is-better: actual / target; lower-is-better: target / actual. None when either
    value is missing or the denominator is zero.
    """
    if target is None or actual is None:
        return None
    numerator, denominator = (actual, target) if better == "higher" else (target, actual)
    if Decimal(str(denominator)) == 0:
        return None
    rate = Decimal(str(numerator)) * 100 / Decimal(str(denominator))
    return float(rate.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _indicator_achieved(target, actual, better: str) -> bool | None:
    if target is None or actual is None:
        return None
    return actual >= target if better == "higher" else actual <= target


def _indicators(indicators: pd.DataFrame, goal: int, fiscal_year: int) -> list[dict]:
    chosen = indicators[(indicators["goal"] == goal) & (indicators["fiscal_year"] == fiscal_year)]
    blocks = []
    for i in chosen.sort_values("source_row").to_dict("records"):
        target, actual = _plain_number(i["target"]), _plain_number(i["actual"])
        blocks.append(
            {
                "name": str(i["name"]),
                "unit": str(i["unit"]),
                "better": str(i["better"]),
                "baseline": _plain_number(i["baseline"]),
                "target": target,
                "actual": actual,
                "achievement_rate_pct": achievement_rate_pct(target, actual, str(i["better"])),
                "achieved": _indicator_achieved(target, actual, str(i["better"])),
                "illustrative": bool(i["illustrative"]),
            }
        )
    return blocks


def _plain_number(value):
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return int(value) if float(value).is_integer() else float(value)


def _plan_block(plan: Plan) -> dict:
    return {
        "city": plan.city,
        "name": plan.name,
        "program": plan.program,
        "program_years": list(plan.program_years),
        "vision": plan.vision,
        "vision_subtitle": plan.vision_subtitle,
        "vision_heading": plan.vision_heading,
        "achievement_labels": dict(plan.achievement_labels),
        "achievement_short_labels": dict(plan.achievement_short_labels),
        "goals": [
            {
                "goal": g.goal,
                "name": g.name,
                "policy": g.policy,
                "directions": [{"direction": d.direction, "name": d.name} for d in g.directions],
            }
            for g in plan.goals
        ],
        "progress_grades": [
            {"grade": g.grade, "label": g.label, "assumption": g.assumption}
            for g in plan.progress_grades
        ],
        "outlook_grades": [
            {"grade": g.grade, "label": g.label, "assumption": g.assumption}
            for g in plan.outlook_grades
        ],
        "direction_grades": [
            {"grade": g.grade, "label": g.label, "assumption": g.assumption}
            for g in plan.direction_grades
        ],
        "periods": [{"name": p.name, "fiscal_years": list(p.fiscal_years)} for p in plan.periods],
    }


def _blank_as_none(value) -> str | None:
    """The rejected row's id or name, None where it was blank or unreadable."""
    text = _text_or_none(value)
    return text if text else None


def _data_quality(rejected: pd.DataFrame | None, warnings: list[str] | None = None) -> dict:
    """Rejected raw rows: one item per problem, naming the initiative where readable; and what
    reading noticed that a person should check (hidden rows, files not read...)."""
    warnings = list(warnings or [])
    if rejected is None or rejected.empty:
        return {"rejected_rows": 0, "rejected": [], "warnings": warnings}
    rows = []
    for r in rejected.to_dict("records"):
        rows.append(
            {
                "file": str(r["file"]),
                "row": None if pd.isna(r["row"]) else int(r["row"]),
                "initiative_id": _blank_as_none(r.get("initiative_id")),
                "name": _blank_as_none(r.get("name")),
                "column": _text_or_none(r["column"]),
                "value": _text_or_none(r["value"]),
                "reason": str(r["reason"]),
            }
        )
    raw_rows = {(r["file"], r["row"]) for r in rows}
    return {"rejected_rows": len(raw_rows), "rejected": rows, "warnings": warnings}
