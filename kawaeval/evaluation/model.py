"""The assessment of a fiscal year as typed records: what ``kawaeval assess --json`` prints.

Pydantic models rather than dataclasses: one definition gives the attributes the renderers
read, the validation of the JSON that crosses into each chapter's kernel (``from_json``, in
pydantic's compiled core: 3 ms for the sample's 66 kB, against 1 ms for ``json.loads``
alone) and the JSON Schema shipped beside this module (``assessment.schema.json``, also in
``docs/``). Field order is the JSON's key order. Unknown keys are refused, so a misspelt or
stale key fails loudly instead of vanishing from a report.

Renderers read attributes (``assessment.goal(2).progress.final``). Counts, shares and labels
are also read by achievement code (``counts[key]``), since the codes are the plan's domain
values (:data:`kawaeval.plan.ACHIEVEMENTS`) that renderers loop over. Every record also reads
like the JSON object it is (``assessment["goals"][0]["counts"]["below"]``), which is what
``kawaeval.assess`` documents for analysts; ``to_dict()`` gives the plain JSON values.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from kawaeval.exceptions import AssessmentFileError, UsageError

SCHEMA_FILE = Path(__file__).with_name("assessment.schema.json")

Achievement = Literal["exceeded", "on_target", "below", "not_evaluated"]
Number = int | float


class _Record(BaseModel):
    """A record that also reads (and, validated, writes) like the JSON object it is:
    ``block["counts"]``, ``.get``, ``.keys()``, ``block["reason"] = ...``, ``.update(...)``."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    def __getitem__(self, key: str):
        if key not in type(self).model_fields:
            raise KeyError(key)
        return getattr(self, key)

    def get(self, key: str, default=None):
        return getattr(self, key) if key in type(self).model_fields else default

    def __setitem__(self, key: str, value) -> None:
        if key not in type(self).model_fields:
            raise KeyError(key)
        setattr(self, key, value)  # validated: a dict becomes the record it describes

    def update(self, **values) -> None:
        """Set several fields at once, each validated as ``record[key] = value`` is."""
        for key, value in values.items():
            self[key] = value

    def __contains__(self, key: object) -> bool:
        return key in type(self).model_fields

    def keys(self):
        return type(self).model_fields.keys()

    def values(self) -> list:
        return [getattr(self, key) for key in type(self).model_fields]

    def items(self) -> list[tuple]:
        return [(key, getattr(self, key)) for key in type(self).model_fields]

    def to_dict(self) -> dict:
        """The record as plain JSON values."""
        return self.model_dump(mode="json")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, dict):  # equal to the JSON object it reads like
            return self.model_dump(mode="json") == other
        return super().__eq__(other)

    __hash__ = None  # mutable, like the dict it reads like


class _ByAchievement(_Record):
    """Values keyed by achievement code, read as ``block[code]`` by loops over the codes."""


class Counts(_ByAchievement):
    """Initiatives per achievement (not_evaluated counted apart from the shares)."""

    exceeded: int
    on_target: int
    below: int
    not_evaluated: int

    @property
    def total(self) -> int:
        return self.exceeded + self.on_target + self.below + self.not_evaluated


class Shares(_ByAchievement):
    """Percent of evaluated initiatives, half-up to one decimal; None when none was evaluated."""

    exceeded: float | None
    on_target: float | None
    below: float | None


class AchievementLabels(_ByAchievement):
    """The plan's words for each achievement."""

    exceeded: str
    on_target: str
    below: str
    not_evaluated: str


class GradeDecision(_Record):
    """A grade suggested by the plan's rule and, where the committee gave one, its final grade."""

    suggested: str | None
    final: str | None
    suggested_label: str | None
    final_label: str | None
    source: Literal["suggested", "committee"]
    differs: bool
    reason: str | None
    assumption: bool
    suggested_assumption: bool
    final_assumption: bool


class Text(_Record):
    """A text of the report at one place (a goal's 各取組の達成度の状況, a direction's text...):
    the sentence the rule drafts from the figures until the committee supplies its own.

    ``text`` is what the report shows; ``draft`` what the rule drafts (None where no rule
    drafts, e.g. the social context); ``drafted`` is true while ``text`` is that draft;
    ``source`` says who wrote ``text`` (``rule``, ``committee``, or None when there is none)
    and ``supplied_by`` where the committee's text came from (file, sheet, cell).
    """

    text: str | None
    draft: str | None
    drafted: bool
    source: Literal["rule", "committee"] | None
    supplied_by: str | None


class PlanDirection(_Record):
    direction: int
    name: str


class PlanGoal(_Record):
    goal: int
    name: str
    policy: str
    directions: list[PlanDirection]


class PlanGrade(_Record):
    grade: str
    label: str
    assumption: bool


class PlanPeriod(_Record):
    name: str
    fiscal_years: list[int]


class PlanSummary(_Record):
    """The plan definition (``plan.toml``) as the report needs it."""

    city: str
    name: str
    program: str
    program_years: list[int]
    vision: str
    vision_subtitle: str
    vision_heading: str
    achievement_labels: AchievementLabels
    achievement_short_labels: AchievementLabels
    goals: list[PlanGoal]
    progress_grades: list[PlanGrade]
    outlook_grades: list[PlanGrade]
    direction_grades: list[PlanGrade]
    periods: list[PlanPeriod]


class ProgramResult(_Record):
    """All initiatives in the evaluated year, with the sentence that states their achievement
    (``achievement_text``: 各取組における達成度の状況)."""

    initiatives: int
    counts: Counts
    shares_pct: Shares
    achieved_share_pct: float | None
    progress: GradeDecision
    achievement_text: Text


class YearResult(_Record):
    """One program year's distribution (all initiatives)."""

    fiscal_year: int
    initiatives: int
    counts: Counts
    shares_pct: Shares
    achieved_share_pct: float | None


class GoalYearResult(_Record):
    """One goal's distribution in one program year."""

    goal: int
    fiscal_year: int
    initiatives: int
    counts: Counts
    shares_pct: Shares
    achieved_share_pct: float | None


class PeriodResult(_Record):
    """A period's distribution, counting each initiative once per year (延べ件数)."""

    name: str
    fiscal_years: list[int]
    counts: Counts
    shares_pct: Shares
    achieved_share_pct: float | None


class RuleInputs(_Record):
    """The shares the grading rule read for a goal."""

    achieved_share_pct: float | None
    min_year_achieved_share_pct: float | None
    adjusted_share_pct: float | None


class DirectionResult(_Record):
    """One direction of a goal in the evaluated year: its figures, its verdict (``progress``,
    shaped like a goal's grade: 一定の進捗があった...), its figures in every program year so
    far (``by_year``) and its text (``narrative``: what was done, ending with the verdict)."""

    direction: int
    name: str
    initiatives: int
    counts: Counts
    shares_pct: Shares
    achieved_share_pct: float | None
    progress: GradeDecision
    by_year: list[YearResult]
    narrative: Text


class BelowTarget(_Record):
    """An initiative below target in the evaluated year, with its reason."""

    initiative_id: str
    name: str
    direction: int
    bureau: str | None
    reason: str | None
    external_cause: bool


class ExternalCause(_Record):
    """Below-target results and how many of them had the plan's external cause."""

    below: int
    with_external_cause: int
    share_pct: float | None


class ProgramExternalCause(_Record):
    """The external cause over all initiatives, with the plan's name for it."""

    label: str
    below: int
    with_external_cause: int
    share_pct: float | None


class Highlight(_Record):
    """A main result (主な実績) of a goal."""

    direction: int
    initiative: str
    result: str


class Indicator(_Record):
    """A reference indicator (参考指標) of a goal in the evaluated year."""

    name: str
    unit: str
    better: str
    baseline: Number | None
    target: Number | None
    actual: Number | None
    achievement_rate_pct: float | None
    achieved: bool | None
    illustrative: bool


class GoalResult(_Record):
    """One goal in the evaluated year: figures, grades and what the report lists under it."""

    goal: int
    name: str
    initiatives: int
    counts: Counts
    shares_pct: Shares
    achieved_share_pct: float | None
    progress: GradeDecision
    outlook: GradeDecision
    rule_inputs: RuleInputs
    directions: list[DirectionResult]
    periods: list[PeriodResult]
    below_target: list[BelowTarget]
    external_cause: ExternalCause
    highlights: list[Highlight]
    indicators: list[Indicator]
    achievement_text: Text
    grades_text: Text

    def direction(self, direction: int) -> DirectionResult:
        """One direction of the goal.

        Raises
        ------
        UsageError
            If the goal has no such direction; the message names the ones it has.
        """
        for block in self.directions:
            if block.direction == direction:
                return block
        allowed = ", ".join(str(d.direction) for d in self.directions)
        raise UsageError(
            f"基本目標{self.goal}に取組の方向性 {direction} はありません"
            f" (direction must be one of: {allowed})"
        )


class Overall(_Record):
    """The program-level judgement: its grade, the committee's statement (総合的な評価), the
    sentence on the goals' grades (``goals_text``: 基本目標ごとの達成状況と今後の方向性) and the
    committee's text on the changes around the program (``context``)."""

    progress: GradeDecision
    statement: str | None
    goals_text: Text
    context: Text


class CommitteeSheet(_Record):
    """A returned evaluation sheet read for the year: whether the figures it was made from are
    still the records' (``current``: false means the committee judged on earlier figures)."""

    file: str
    goal: int | None
    current: bool


class GradingThresholds(_Record):
    progress_min_achieved_share: dict[str, float]
    outlook_effective_min_year_share: float
    outlook_broadly_effective_adjusted_share: float
    external_cause_keywords: list[str]
    external_cause_label: str
    progress_assumption: bool
    outlook_assumption: bool
    direction_min_achieved_share: dict[str, float] | None
    direction_assumption: bool


class GradingRule(_Record):
    """The rule that suggests grades: in words (``text_ja``) and as numbers."""

    text_ja: list[str]
    thresholds: GradingThresholds


class RejectedRow(_Record):
    """One problem of a raw row let through with ``--allow-rejects``."""

    file: str
    row: int | None
    initiative_id: str | None
    name: str | None
    column: str | None
    value: str | None
    reason: str


class DataQuality(_Record):
    rejected_rows: int
    rejected: list[RejectedRow]
    warnings: list[str] = []  # what reading noticed: hidden rows, files not read, blank forms


class InitiativeRecord(_Record):
    """An initiative with its achievement in each program year so far (付録 取組一覧)."""

    initiative_id: str
    name: str
    goal: int
    direction: int
    bureau: str | None
    achievements: dict[str, Achievement]
    reason: str | None
    former_ids: list[str] = []  # earlier ids of a renumbered initiative (旧取組番号), oldest last


class Assessment(_Record):
    """The assessment of one fiscal year (docs/data-dictionary.md, the data contract)."""

    fiscal_year: int
    evaluation: Literal["final", "interim"]
    plan: PlanSummary
    program: ProgramResult
    program_by_year: list[YearResult]
    program_periods: list[PeriodResult]
    goals: list[GoalResult]
    by_year: list[GoalYearResult]
    external_cause: ProgramExternalCause
    overall: Overall
    judgements_present: bool
    committee_sheets: list[CommitteeSheet]
    grading_rule: GradingRule
    data_quality: DataQuality
    notice: str | None
    initiatives: list[InitiativeRecord]

    @property
    def labels(self) -> AchievementLabels:
        """The plan's achievement labels."""
        return self.plan.achievement_labels

    @property
    def is_final(self) -> bool:
        """True for the program's last year (最終評価), False for an interim one (中間評価)."""
        return self.evaluation == "final"

    def goal(self, goal: int) -> GoalResult:
        """The assessment of one goal.

        Raises
        ------
        UsageError
            If the plan has no such goal; the message names the goals it has.
        """
        for block in self.goals:
            if block.goal == goal:
                return block
        allowed = ", ".join(str(g.goal) for g in self.goals)
        raise UsageError(f"基本目標 {goal} はありません (goal must be one of: {allowed})")

    def goal_by_year(self, goal: int) -> list[GoalYearResult]:
        """One goal's rows of ``by_year``, in program-year order."""
        return [row for row in self.by_year if row.goal == goal]

    def years_so_far(self) -> list[int]:
        """The program years up to the evaluated one."""
        return [y for y in self.plan.program_years if y <= self.fiscal_year]

    def figures_fingerprint(self, goal: int | None = None) -> str:
        """A short digest of the figures an evaluation sheet shows (of one goal, or of every
        goal for the program's sheet): the counts of each direction in every year so far and
        the goal's indicators. A returned sheet whose digest differs was made from other
        figures."""
        goals = self.goals if goal is None else [self.goal(goal)]
        figures = [
            {
                "goal": g.goal,
                "directions": [
                    {
                        "direction": d.direction,
                        "by_year": [[r.fiscal_year, r.counts.to_dict()] for r in d.by_year],
                    }
                    for d in g.directions
                ],
                "indicators": [[i.name, i.target, i.actual] for i in g.indicators],
            }
            for g in goals
        ]
        text = json.dumps([self.fiscal_year, figures], ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    # ------------------------------------------------------------ JSON

    def to_dict(self) -> dict:
        """The assessment as plain JSON values (what ``kawaeval.assess`` gives analysts)."""
        return self.model_dump(mode="json")

    def to_json(self, sort_keys: bool = False) -> str:
        """The JSON text ``kawaeval assess --json`` prints (report files sort their keys)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, sort_keys=sort_keys)

    @classmethod
    def from_dict(cls, data: dict) -> Assessment:
        """Validate plain JSON values into an assessment.

        Raises
        ------
        pydantic.ValidationError
            If a key is missing or unknown, or a value has the wrong type.
        """
        return cls.model_validate(data)

    @classmethod
    def from_json(cls, text: str | bytes, source: Path | str | None = None) -> Assessment:
        """Validate an ``assessment.json`` (as kernels load it) into an assessment.

        Raises
        ------
        AssessmentFileError
            If the text is not an assessment of this version's shape; names ``source``.
        """
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            raise AssessmentFileError(source or "assessment.json", _first_errors(exc)) from None


def _first_errors(error: ValidationError, limit: int = 5) -> str:
    lines = []
    for item in error.errors()[:limit]:
        where = ".".join(str(part) for part in item["loc"]) or "(top)"
        lines.append(f"{where}: {item['msg']}")
    more = error.error_count() - limit
    if more > 0:
        lines.append(f"... and {more} more")
    return "; ".join(lines)


def json_schema() -> dict:
    """The JSON Schema of ``assessment.json``, generated from the models."""
    schema = Assessment.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def schema_text() -> str:
    """The schema as it is written to ``assessment.schema.json`` and ``docs/``."""
    return json.dumps(json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":  # python -m kawaeval.evaluation.model: rewrite the shipped schemas
    import sys

    text = schema_text()
    docs = Path(__file__).resolve().parents[2] / "docs" / "assessment.schema.json"
    for path in (SCHEMA_FILE, docs):
        path.write_text(text, encoding="utf-8", newline="\n")
        print(f"wrote {path}", file=sys.stderr)
