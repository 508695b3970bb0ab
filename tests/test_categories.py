"""The achievement categories have one home (kawaeval.plan): every table keyed by category
covers them all, so a new category fails here, by name, instead of in a report."""

import typing

import pytest

from kawaeval.evaluation import model
from kawaeval.forms.form_workbook import ACHIEVEMENT_MEANINGS
from kawaeval.plan import ACHIEVED, ACHIEVEMENTS, EVALUATED
from kawaeval.records.spellings import ACHIEVEMENT_SPELLINGS
from kawaeval.report.appendix import MARKS
from kawaeval.report.plotting import COLOURS


def test_the_plans_categories_nest():
    assert set(ACHIEVED) < set(EVALUATED) < set(ACHIEVEMENTS)


def test_the_models_achievement_type_is_the_plans_categories():
    assert typing.get_args(model.Achievement) == ACHIEVEMENTS


@pytest.mark.parametrize(
    ("table", "keys"),
    [
        (ACHIEVEMENT_SPELLINGS, ACHIEVEMENTS),
        (ACHIEVEMENT_MEANINGS, ACHIEVEMENTS),
        (MARKS, ACHIEVEMENTS),
        (COLOURS, EVALUATED),
    ],
    ids=["spellings", "input form meanings", "appendix marks", "chart colours"],
)
def test_every_category_table_covers_every_category(table, keys):
    assert tuple(k for k in keys if k in table) == keys
    assert set(table) <= set(ACHIEVEMENTS)
