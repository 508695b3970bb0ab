"""The typed assessment: exact JSON round trips, the shipped JSON Schema, validation at load."""

import json

import jsonschema
import pytest
from conftest import REPO

from kawaeval.evaluation.assessing import assess_records
from kawaeval.evaluation.model import SCHEMA_FILE, Assessment, schema_text
from kawaeval.exceptions import AssessmentFileError
from kawaeval.paths import SAMPLE_RAW_DIR
from kawaeval.report import presenting

EXAMPLE = REPO / "docs" / "examples" / "midori-machi"
DOCS_SCHEMA = REPO / "docs" / "assessment.schema.json"


@pytest.fixture(scope="module")
def sample() -> dict[int, Assessment]:
    """Every program year of the sample, and FY2024 of the other plan."""
    years = {year: assess_records(SAMPLE_RAW_DIR, year) for year in (2018, 2019, 2020, 2021)}
    years[2024] = assess_records(EXAMPLE, 2024)
    return years


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def test_the_shipped_schema_and_the_docs_copy_are_the_models():
    """Regenerate both with ``python -m kawaeval.evaluation.model`` after changing the model."""
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text()
    assert DOCS_SCHEMA.read_text(encoding="utf-8") == schema_text()


@pytest.mark.parametrize("year", [2018, 2019, 2020, 2021, 2024])
def test_json_round_trips_exactly(sample, year):
    text = sample[year].to_json()
    again = Assessment.from_json(text)
    assert again == sample[year]
    assert again.to_json() == text
    assert again.to_json(sort_keys=True) == sample[year].to_json(sort_keys=True)


@pytest.mark.parametrize("year", [2018, 2019, 2020, 2021, 2024])
def test_every_assessment_validates_against_the_schema(sample, schema, year):
    jsonschema.Draft202012Validator(schema).validate(json.loads(sample[year].to_json()))


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("program", "counts", "below"), "21件"),
        (("evaluation",), "途中"),
        (("goals", 0, "progress", "source"), "committee member"),
        (("initiatives", 0, "achievements", "2021"), "目標を下回った"),
    ],
)
def test_the_schema_and_the_model_refuse_a_wrong_value(sample, schema, tmp_path, where, value):
    data = json.loads(sample[2021].to_json())
    target = data
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(data)
    path = tmp_path / "assessment.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    dotted = ".".join(str(k) for k in where)
    with pytest.raises(AssessmentFileError, match=rf"^assessment\.json は.*{dotted}"):
        presenting.load_assessment(2021, assessment_json=path)


def test_an_unknown_or_missing_key_is_refused(sample, schema):
    data = json.loads(sample[2021].to_json())
    data["program"]["share"] = 80.7
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(data)
    with pytest.raises(AssessmentFileError, match=r"program\.share: Extra inputs"):
        Assessment.from_json(json.dumps(data))
    del data["program"]["share"], data["goals"][1]["outlook"]
    with pytest.raises(AssessmentFileError, match=r"goals\.1\.outlook: Field required"):
        Assessment.from_json(json.dumps(data))


def test_it_reads_like_the_json_and_by_attribute(sample):
    assessment = sample[2021]
    plain = json.loads(assessment.to_json())
    assert assessment["goals"][1]["progress"]["final"] == "C" == assessment.goal(2).progress.final
    assert assessment["program"]["shares_pct"] == plain["program"]["shares_pct"]
    assert assessment.to_dict() == plain
    assert dict(assessment.program.counts.items()) == {
        "exceeded": 1,
        "on_target": 87,
        "below": 21,
        "not_evaluated": 0,
    }


def test_a_change_is_validated(sample):
    assessment = Assessment.from_json(sample[2021].to_json())
    assessment["notice"] = "再構成"
    assessment.goals[0].counts["below"] = 4
    assert assessment.goals[0].counts.below == 4
    with pytest.raises(ValueError, match="int_parsing"):
        assessment.goals[0].counts["below"] = "four"
    with pytest.raises(KeyError):
        assessment["no_such_key"] = 1
