"""The chapter registry: the one list that the pages, tables, workbook and headings follow."""

import json
from pathlib import Path

import nbformat
import papermill
import pytest

from kawaeval.plan import load_plan
from kawaeval.report import chapters, tables
from kawaeval.report.workbook import chapter_titles

FIXTURES = Path(__file__).parent / "fixtures" / "report"


def test_every_registered_chapter_has_its_notebook_and_heading():
    for chapter in chapters.REGISTRY:
        nb = nbformat.read(chapter.notebook, as_version=4)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        assert "title = None" in nb.cells[0].source, chapter.key
        if chapter.per_goal:
            assert "presenting.goal_heading(assessment, goal, title)" in code
        else:
            assert f'presenting.chapter_heading(assessment, title, chapter="{chapter.key}")' in code


def test_every_table_belongs_to_exactly_one_chapter():
    listed = [key for chapter in chapters.REGISTRY for key in chapter.tables]
    assert sorted(listed) == sorted(tables.TABLE_KEYS)
    assert len(listed) == len(set(listed))


def test_pages_tables_and_contents_sheet_follow_the_registry(assessment):
    pages = chapters.chapters_for(load_plan())
    order = [p.name for p in pages]
    listed = tables.report_tables(assessment)
    positions = [order.index(t.chapter) for t in listed]
    assert positions == sorted(positions)
    for table in listed:
        key = table.chapter if table.goal is None else table.chapter.removesuffix(str(table.goal))
        assert table.key in chapters.definition(key).tables
    assert chapter_titles(assessment) == {p.name: p.title for p in pages}


def test_an_unknown_chapter_names_the_registered_ones():
    with pytest.raises(Exception, match=r"chapter must be one of: 01_plan, 02_achievement"):
        chapters.chapter_title("07_extra")


@pytest.mark.slow
def test_the_heading_is_the_title_the_build_passes(tmp_path):
    output = tmp_path / "plan.ipynb"
    papermill.execute_notebook(
        str(chapters.definition("01_plan").notebook),
        str(output),
        parameters={
            "title": "第1章 <新しい>題名",
            "assessment_json": str(FIXTURES / "assessment_fy2021.json"),
        },
        kernel_name="python3",
        progress_bar=False,
    )
    shown = json.dumps(nbformat.read(output, as_version=4).cells[3].outputs, ensure_ascii=False)
    assert "<h1>第1章 &lt;新しい&gt;題名</h1>" in shown
