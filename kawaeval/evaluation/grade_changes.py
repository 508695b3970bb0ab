"""The grades of two assessments that moved: every suggested or final grade (and direction
verdict), its source, the committee's reason, and the overall statement.
"""

from __future__ import annotations

from kawaeval.evaluation.comparison import GradeChange
from kawaeval.evaluation.model import Assessment, GradeDecision

GRADE_FIELDS = ("suggested", "final", "source", "reason")


def _decisions(record, scope: str, goal, direction) -> dict[tuple, GradeDecision]:
    """Every grade (or verdict) a record of the assessment holds, by its field's name."""
    return {
        (scope, goal, direction, name): value
        for name, value in record.items()
        if isinstance(value, GradeDecision)
    }


def _grades(assessment: Assessment) -> dict[tuple, GradeDecision]:
    """Every suggested-and-final decision of an assessment, goal by goal (each goal's, then
    its directions'), then the program's: (scope, goal, direction, subject) -> decision."""
    found = {}
    for goal in assessment.goals:
        found.update(_decisions(goal, "goal", goal.goal, None))
        for direction in goal.directions:
            found.update(_decisions(direction, "direction", goal.goal, direction.direction))
    found.update(_decisions(assessment.overall, "program", None, None))
    return found


def grade_changes(old: Assessment, new: Assessment) -> list[GradeChange]:
    before, after = _grades(old), _grades(new)
    changes = []
    for key in [*after, *(k for k in before if k not in after)]:
        was, now = before.get(key), after.get(key)
        scope, goal, direction, subject = key
        for name in GRADE_FIELDS:
            a = None if was is None else was[name]
            b = None if now is None else now[name]
            if a == b:
                continue
            labels = {}
            if name in ("suggested", "final"):
                labels = {
                    "old_label": None if was is None else was[f"{name}_label"],
                    "new_label": None if now is None else now[f"{name}_label"],
                    "old_assumption": bool(was is not None and was[f"{name}_assumption"]),
                    "new_assumption": bool(now is not None and now[f"{name}_assumption"]),
                }
            changes.append(GradeChange(scope, goal, subject, name, a, b, direction, **labels))
    if old.overall.statement != new.overall.statement:
        statement = ("program", None, "statement", "statement")
        changes.append(GradeChange(*statement, old.overall.statement, new.overall.statement))
    return changes
