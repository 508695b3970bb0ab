"""What differs between two reports' data: their records (the tidy table) and their assessments.

:func:`compare` takes the records and assessment of an older and a newer report and lists:

- initiatives added or removed, and every changed field of an initiative (a year's
  achievement, name, bureau, goal, direction, reason) with the file and row it now comes from;
  a moved file or row alone is not a change;
- every figure that moved: counts and shares per year, goal, direction and period, the
  external cause, the grading rule's inputs, reference indicators, rejected rows;
- every suggested or final grade, the committee's reason and the overall statement that moved;
- the rest of the assessment that changed (main results, the notice, the plan's wording).

Two reports of one fiscal year compare the program years they cover. Reports of different
years compare their evaluated years instead: which initiatives fell below target, recovered
or moved up between the two years, and how the figures and grades of those years moved.

Each part has its own module: what a comparison holds (:mod:`~kawaeval.evaluation.comparison`),
the initiatives (:mod:`~kawaeval.evaluation.initiative_changes`), the figures
(:mod:`~kawaeval.evaluation.figure_changes`), the grades
(:mod:`~kawaeval.evaluation.grade_changes`), the texts and the rest
(:mod:`~kawaeval.evaluation.other_changes`). Nothing here knows where the reports are kept
(that is the build's history).
"""

from __future__ import annotations

from kawaeval.evaluation.comparison import Comparison, OtherChange, Snapshot
from kawaeval.evaluation.figure_changes import figure_changes
from kawaeval.evaluation.grade_changes import grade_changes
from kawaeval.evaluation.initiative_changes import initiative_changes
from kawaeval.evaluation.other_changes import other_changes, text_changes


def compare(old: Snapshot, new: Snapshot) -> Comparison:
    """Everything that differs from ``old`` to ``new`` (see the module).

    Between two reports of one year, something is listed whenever the assessments differ at
    all: a difference no part of the comparison names is an ``assessment`` change.
    """
    before, after = old.assessment, new.assessment
    across = before.fiscal_year != after.fiscal_year
    initiatives = initiative_changes(old, new, across)
    figures = figure_changes(before, after, across)
    grades = grade_changes(before, after)
    others = text_changes(before, after) + other_changes(before, after)
    if not (across or initiatives or figures or grades or others) and before != after:
        others.append(OtherChange("assessment", None, "other", None, None))
    return Comparison(
        old_year=before.fiscal_year,
        new_year=after.fiscal_year,
        initiatives=tuple(initiatives),
        figures=tuple(figures),
        grades=tuple(grades),
        others=tuple(others),
    )
