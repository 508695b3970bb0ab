"""The rest of two assessments that changed: the report's texts (or only who wrote them), main
results, the notice, the plan's wording, the grading rule's text, data quality, and any other
key of the assessment, compared whole.
"""

from __future__ import annotations

from kawaeval.evaluation.comparison import OtherChange
from kawaeval.evaluation.model import Assessment, Text


def _highlight_text(item) -> str:
    return f"{item.initiative}：{item.result}"


def other_changes(old: Assessment, new: Assessment) -> list[OtherChange]:
    changes = []
    before = {g.goal: g for g in old.goals}
    for goal in new.goals:
        was = (
            [_highlight_text(h) for h in before[goal.goal].highlights]
            if goal.goal in before
            else []
        )
        now = [_highlight_text(h) for h in goal.highlights]
        changes += [
            OtherChange("highlights", goal.goal, "removed", t, None) for t in was if t not in now
        ]
        changes += [
            OtherChange("highlights", goal.goal, "added", None, t) for t in now if t not in was
        ]
    if old.notice != new.notice:
        changes.append(OtherChange("notice", None, "changed", old.notice, new.notice))
    for name in ("city", "name", "program", "vision", "vision_subtitle", "vision_heading"):
        if old.plan[name] != new.plan[name]:
            changes.append(OtherChange("plan", None, name, old.plan[name], new.plan[name]))
    old_goals = {g.goal: g for g in old.plan.goals}
    for goal in new.plan.goals:
        was = old_goals.get(goal.goal)
        for name in ("name", "policy"):
            if was is not None and was[name] != goal[name]:
                changes.append(
                    OtherChange("plan", goal.goal, f"goal.{name}", was[name], goal[name])
                )
        old_directions = {} if was is None else {d.direction: d.name for d in was.directions}
        for direction in goal.directions:
            before_name = old_directions.get(direction.direction)
            if before_name is not None and before_name != direction.name:
                changes.append(
                    OtherChange(
                        "plan",
                        goal.goal,
                        f"direction.{direction.direction}",
                        before_name,
                        direction.name,
                    )
                )
    old_rule, new_rule = "\n".join(old.grading_rule.text_ja), "\n".join(new.grading_rule.text_ja)
    if old_rule != new_rule:
        changes.append(OtherChange("grading_rule", None, "text_ja", old_rule, new_rule))
    if old.plan != new.plan and not any(c.part == "plan" for c in changes):
        changes.append(OtherChange("plan", None, "other", None, None))
    if old.data_quality.rejected != new.data_quality.rejected:
        changes.append(OtherChange("data_quality", None, "rejected", None, None))
    was, now = old.data_quality.get("warnings") or [], new.data_quality.get("warnings") or []
    changes += [OtherChange("data_quality", None, "warning", w, None) for w in was if w not in now]
    changes += [OtherChange("data_quality", None, "warning", None, w) for w in now if w not in was]
    for key in Assessment.model_fields:
        if key not in COMPARED and old[key] != new[key]:
            changes.append(OtherChange("assessment", None, key, _json(old[key]), _json(new[key])))
    return changes


COMPARED = frozenset(
    {
        "fiscal_year",
        "evaluation",
        "plan",
        "program",
        "program_by_year",
        "program_periods",
        "goals",
        "by_year",
        "external_cause",
        "overall",
        "grading_rule",
        "data_quality",
        "notice",
        "initiatives",
    }
)
"""The assessment's keys the comparison reads part by part; any other key (one a later version
adds, the committee's sheets) is compared whole."""


def _json(value) -> str | None:
    import json

    if value is None:
        return None
    plain = value.model_dump(mode="json") if hasattr(value, "model_dump") else value
    if isinstance(plain, list):
        plain = [v.model_dump(mode="json") if hasattr(v, "model_dump") else v for v in plain]
    return json.dumps(plain, ensure_ascii=False, sort_keys=True)


def _texts(record, goal, direction) -> dict[tuple, Text]:
    """Every text (文) a record of the assessment holds, by its field's name."""
    return {
        (goal, direction, name): value for name, value in record.items() if isinstance(value, Text)
    }


def _all_texts(assessment: Assessment) -> dict[tuple, Text]:
    found = {}
    found.update(_texts(assessment.program, None, None))
    found.update(_texts(assessment.overall, None, None))
    for goal in assessment.goals:
        found.update(_texts(goal, goal.goal, None))
        for direction in goal.directions:
            found.update(_texts(direction, goal.goal, direction.direction))
    return found


def text_changes(old: Assessment, new: Assessment) -> list[OtherChange]:
    """The report's texts that changed (what it shows), or only who wrote them."""
    before, after = _all_texts(old), _all_texts(new)
    changes = []
    for key in [*after, *(k for k in before if k not in after)]:
        goal, direction, name = key
        was, now = before.get(key), after.get(key)
        old_text = None if was is None else was.text
        new_text = None if now is None else now.text
        if old_text != new_text:
            changes.append(OtherChange("text", goal, name, old_text, new_text, direction))
        elif (was and was.source) != (now and now.source):
            changes.append(
                OtherChange(
                    "text",
                    goal,
                    f"{name}.source",
                    was and was.source,
                    now and now.source,
                    direction,
                )
            )
    return changes
