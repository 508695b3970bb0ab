"""The committed chapter notebooks: clean, parameterised the papermill way, and thin."""

import ast
from pathlib import Path

import nbformat
import papermill
import pytest

from kawaeval.build import building
from kawaeval.paths import NOTEBOOKS_DIR
from kawaeval.plan import load_plan

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("[0-9]*.ipynb"))  # the chapters; explore.ipynb is not one
FIXTURES = Path(__file__).parent / "fixtures" / "report"
COMMON = {
    "fiscal_year": "2021",
    "raw_dir": "None",
    "allow_rejects": "False",
    "assessment_json": "None",
    "title": "None",
}


def _read(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    return nb


def test_every_chapter_of_the_build_is_a_committed_notebook():
    used = {c.notebook for c in building.chapters_for(load_plan())}
    assert used == set(NOTEBOOKS)
    assert [p.name for p in NOTEBOOKS] == [
        "01_plan.ipynb",
        "02_achievement.ipynb",
        "03_highlights.ipynb",
        "04_overall.ipynb",
        "05_goal.ipynb",
        "06_appendix.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path):
    nb = _read(path)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == []
            assert cell.execution_count is None
    assert nb.metadata.kernelspec.name == "python3"
    assert "version" not in nb.metadata.get("language_info", {})


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exactly_one_parameters_cell_and_it_is_the_first_code_cell(path):
    nb = _read(path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert tagged[0] is code[0]
    # defaults only: plain assignments of literals
    for statement in ast.parse(tagged[0].source).body:
        assert isinstance(statement, ast.Assign)
        ast.literal_eval(statement.value)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_papermill_sees_the_parameters_with_their_defaults(path):
    found = {name: p["default"] for name, p in papermill.inspect_notebook(str(path)).items()}
    expected = dict(COMMON)
    if path.name == "05_goal.ipynb":
        expected["goal"] = "1"
    assert found == expected


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_cells_only_call_and_show(path):
    """Beyond parameters and loading, each code cell is one call to presenting or plotting."""
    code = [c for c in _read(path).cells if c.cell_type == "code"]
    load = ast.parse(code[1].source).body
    assert isinstance(load[0], ast.ImportFrom) and load[0].module == "kawaeval.report"
    assert ast.unparse(load[-1]) == (
        "assessment = presenting.load_assessment(fiscal_year, raw_dir, allow_rejects, "
        "assessment_json)"
    )
    for cell in code[2:]:
        (statement,) = ast.parse(cell.source).body
        assert isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)
        owner = statement.value.func.value
        assert isinstance(owner, ast.Name) and owner.id in {"presenting", "plotting", "appendix"}


@pytest.mark.slow
def test_goal_chapter_runs_on_a_given_assessment(tmp_path):
    """The notebooks run top to bottom with papermill on the hand-written assessment."""
    output = tmp_path / "goal2.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS_DIR / "05_goal.ipynb"),
        str(output),
        parameters={
            "goal": 2,
            "assessment_json": str(FIXTURES / "assessment_fy2021.json"),
        },
        kernel_name="python3",
        progress_bar=False,
    )
    shown = "\n".join(
        out["data"]["text/html"]
        for cell in nbformat.read(output, as_version=4).cells
        for out in cell.get("outputs", [])
        if "text/html" in out.get("data", {})
    )
    assert "基本目標2 発信力を高め世界的プレゼンスを確立するまち（取組数：34件）" in shown
    assert "評価委員会の判断（提案評価 Ⅲ 構成の見直しが必要である※ から変更）" in shown
    assert "最終評価は評価ルールによる提案評価と同じです" not in shown  # judgements were given
    assert '<img src="data:image/png;base64,' in shown


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_chapter_runs_with_its_defaults(tmp_path, path):
    """As in JupyterLab: no parameters at all, the bundled sample records, run in notebooks/."""
    output = tmp_path / path.name
    papermill.execute_notebook(
        str(path),
        str(output),
        kernel_name="python3",
        progress_bar=False,
        cwd=str(NOTEBOOKS_DIR),
    )
    outputs = [o for c in nbformat.read(output, as_version=4).cells for o in c.get("outputs", [])]
    assert outputs and all(o["output_type"] == "display_data" or "data" in o for o in outputs)
    shown = "\n".join(o["data"].get("text/html", "") for o in outputs)
    assert "令和３(2021)年度" in shown  # the default fiscal year
    assert "川崎市国際施策推進プラン" in shown
