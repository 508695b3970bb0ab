"""The plan definition: the bundled Kawasaki plan, and a replacement in the raw folder."""

import shutil

import pytest

from kawaeval.exceptions import PlanDefinitionError
from kawaeval.paths import BUNDLED_PLAN
from kawaeval.plan import Overview, load_plan


def test_bundled_plan_matches_the_published_structure(published):
    plan = load_plan()
    structure = published["structure"]
    assert plan.goal_numbers == (1, 2, 3)
    assert plan.program_years == tuple(published["document"]["program_fiscal_years"])
    for goal, expected in zip(plan.goals, structure["goals"], strict=True):
        assert goal.name == expected["name_ja"]
        assert goal.policy == expected["policy_ja"]
        assert [(d.direction, d.name) for d in goal.directions] == [
            (d["direction"], d["name_ja"]) for d in expected["directions"]
        ]
    for key, label in published["achievement_categories_ja"].items():
        assert plan.achievement_labels[key] == label


def test_labels_the_summary_shows_are_not_assumptions_and_the_others_are(published):
    plan = load_plan()
    shown = {g["status"] for g in published["goal_grades"]}
    for grade in plan.progress_grades:
        assert grade.assumption == (grade.grade not in shown)
    shown_outlook = {g["direction"] for g in published["goal_grades"]}
    for grade in plan.outlook_grades:
        assert grade.assumption == (grade.grade not in shown_outlook)
    for g in published["goal_grades"]:
        assert plan.progress_label(g["status"]) == g["status_ja"]
        assert plan.outlook_label(g["direction"]) == g["direction_ja"]


def test_plan_in_raw_folder_replaces_the_bundled_one(tmp_path):
    text = BUNDLED_PLAN.read_text(encoding="utf-8")
    (tmp_path / "plan.toml").write_text(
        text.replace("program_years = [2018, 2019, 2020, 2021]", "program_years = [2022, 2023]")
        .replace("fiscal_years = [2018, 2019]", "fiscal_years = [2022]")
        .replace("fiscal_years = [2020, 2021]", "fiscal_years = [2023]"),
        encoding="utf-8",
    )
    plan = load_plan(tmp_path)
    assert plan.program_years == (2022, 2023)
    assert plan.source == tmp_path / "plan.toml"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("[plan]\n", "[plann]\n"), "必要な項目 'plan' がありません"),
        (
            ("B = 75.0", "B = 99.0"),
            "progress thresholds must fall from the best grade to the worst",
        ),
        (("C = 50.0, ", ""), "one threshold per progress grade"),
        (("program = ", "program = = "), "TOML として読めません"),
    ],
)
def test_a_broken_plan_is_reported_with_the_file_and_the_problem(tmp_path, edit, message):
    shutil.copy(BUNDLED_PLAN, tmp_path / "plan.toml")
    path = tmp_path / "plan.toml"
    path.write_text(path.read_text(encoding="utf-8").replace(*edit), encoding="utf-8")
    with pytest.raises(PlanDefinitionError) as info:
        load_plan(tmp_path)
    assert str(info.value).startswith("計画定義ファイル plan.toml: ")
    assert message in str(info.value)


def test_the_vision_heading_is_a_word_of_the_plan_and_optional(tmp_path):
    assert load_plan().vision_heading == "めざすグローバル都市像"
    text = BUNDLED_PLAN.read_text(encoding="utf-8")
    (tmp_path / "plan.toml").write_text(
        text.replace('vision_heading = "めざすグローバル都市像"\n', ""), encoding="utf-8"
    )
    assert load_plan(tmp_path).vision_heading == ""


def test_the_assessment_carries_the_plans_words_for_the_report():
    from kawaeval.evaluation.assessing import _plan_block

    block = _plan_block(load_plan())
    assert block["vision_heading"] == "めざすグローバル都市像"
    assert [g["grade"] for g in block["progress_grades"]] == ["A", "B", "C", "D"]
    assert [g["grade"] for g in block["outlook_grades"]] == ["Ⅰ", "Ⅱ", "Ⅲ"]
    assert [p["fiscal_years"] for p in block["periods"]] == [[2018, 2019], [2020, 2021]]


def test_a_plan_without_an_external_cause_states_its_rule_without_one(tmp_path):
    from kawaeval.evaluation.grading import grading_rule

    text = BUNDLED_PLAN.read_text(encoding="utf-8")
    keywords = 'external_cause_keywords = ["新型コロナ", "コロナウイルス", "感染症", "COVID"]'
    assert keywords in text
    (tmp_path / "plan.toml").write_text(
        text.replace(keywords, "external_cause_keywords = []"), encoding="utf-8"
    )
    lines = grading_rule(load_plan(tmp_path))["text_ja"]
    assert not any("外部要因" in line for line in lines)
    assert any("これまでの全年度を合わせて達成した取組の割合が80.0%以上なら" in x for x in lines)
    assert any("第２期実行プログラムのこれまでの各年度" in x for x in lines)  # the plan's program


def test_the_plans_prose_for_the_summary_is_optional_and_checked(tmp_path):
    overview = load_plan().overview
    assert overview.comprehensive_plan == "川崎市総合計画"
    assert len(overview.relation) == 3 and len(overview.program) == 3
    assert overview.method[0] == "基本目標ごとに「基本目標評価シート」を作成する。"
    text = BUNDLED_PLAN.read_text(encoding="utf-8")
    start, end = text.index("[overview]"), text.index("# 達成度")
    path = tmp_path / "plan.toml"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    assert load_plan(tmp_path).overview == Overview()
    # one paragraph may be a string
    path.write_text(
        text[:start] + '[overview]\nmethod = "評価シートで評価する。"\n\n' + text[end:],
        encoding="utf-8",
    )
    assert load_plan(tmp_path).overview.method == ("評価シートで評価する。",)
    for table, message in (
        ('[overview]\nrelations = ["x"]\n', "overview: relations は使えない項目です"),
        ("[overview]\nprogram = [1]\n", "overview.program は文字列か文字列のリストで"),
    ):
        path.write_text(text[:start] + table + "\n" + text[end:], encoding="utf-8")
        with pytest.raises(PlanDefinitionError) as info:
            load_plan(tmp_path)
        assert message in str(info.value)
