"""notebooks/explore.ipynb: the analyst's notebook beside the chapters runs as committed."""

import ast

import nbformat
import papermill
import pytest

import kawaeval
from kawaeval.paths import NOTEBOOKS_DIR

EXPLORE = NOTEBOOKS_DIR / "explore.ipynb"
EVALUATED = ("exceeded", "on_target", "below")


def test_explore_is_committed_clean_with_one_parameters_cell():
    nb = nbformat.read(EXPLORE, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0] is code[0]
    for statement in ast.parse(tagged[0].source).body:
        assert isinstance(statement, ast.Assign)
        ast.literal_eval(statement.value)
    found = {k: p["default"] for k, p in papermill.inspect_notebook(str(EXPLORE)).items()}
    assert found == {
        "fiscal_year": "2021",
        "goal": "2",
        "raw_dir": "None",
        "allow_rejects": "False",
    }


@pytest.mark.slow
def test_explore_runs_with_its_defaults(tmp_path):
    """As in JupyterLab: load, pivot by goal and year, a chart, the assessment, a report table."""
    output = tmp_path / "explore.ipynb"
    papermill.execute_notebook(
        str(EXPLORE),
        str(output),
        kernel_name="python3",
        progress_bar=False,
        cwd=str(NOTEBOOKS_DIR),
    )
    cells = [c for c in nbformat.read(output, as_version=4).cells if c.cell_type == "code"]

    def shown(i: int, kind: str = "text/plain") -> str:
        return "\n".join(o.get("data", {}).get(kind, "") for o in cells[i].outputs)

    records = kawaeval.load_records()
    goal2 = records[records["goal"] == 2]
    years = sorted(goal2["fiscal_year"].unique())
    counts, shares = [], []
    for year in years:
        one = goal2[goal2["fiscal_year"] == year]["achievement"].value_counts()
        exceeded, on_target, below = (
            int(one.get(k, 0)) for k in ("exceeded", "on_target", "below")
        )
        counts.append([str(year), str(exceeded), str(on_target), str(below)])
        shares.append(f"{(exceeded + on_target) / (exceeded + on_target + below) * 100:.1f}")
    assert "initiative_id" in shown(1)  # records.head()
    crosstab = [line.split() for line in shown(2).splitlines()]
    first = crosstab.index(["2", *counts[0]])  # goal 2's rows of the goal x year crosstab
    assert crosstab[first + 1 : first + len(years)] == counts[1:]
    assert ["2", *shares] in [line.split() for line in shown(3).splitlines()]
    assert "<table" in shown(3, "text/html")  # the pivot by goal and year
    assert any("image/png" in o.get("data", {}) for o in cells[4].outputs)  # the chart
    assert "79.8" in shown(5)  # the assessment's FY2021 on-target share
    assert "<table" in shown(6, "text/html")
