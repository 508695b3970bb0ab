"""Executed chapters to offline HTML: one self-contained page per chapter through one template.

The year's pipeline (:mod:`kawaeval.build.pipeline`) normalises each executed notebook here,
then exports the pages, which the PDF edition reads before the report is published.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
from nbconvert import HTMLExporter

from kawaeval.build.stamps import display_path
from kawaeval.paths import TEMPLATES_DIR
from kawaeval.report.chapters import Chapter

if TYPE_CHECKING:
    from kawaeval.report.pages import PageNav

TEMPLATE_NAME = "kawaeval"


def normalise_notebook(nb: nbformat.NotebookNode, chapter: Chapter, relative_output: str) -> None:
    """Remove what differs between two runs: timings, absolute paths, random cell ids, versions."""
    papermill = nb.metadata.get("papermill", {})
    nb.metadata["papermill"] = {
        "parameters": papermill.get("parameters", {}),
        "input_path": display_path(chapter.notebook),
        "output_path": relative_output,
    }
    nb.metadata.get("language_info", {}).pop("version", None)
    nb.metadata.pop("widgets", None)
    count = 0
    for index, cell in enumerate(nb.cells):
        cell.id = f"cell-{index:03d}"
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        if cell.get("execution_count") is not None:
            count += 1
            cell.execution_count = count
        for output in cell.get("outputs", []):
            if "execution_count" in output:
                output.execution_count = cell.execution_count


def read_executed(path: Path, chapter: Chapter, relative_output: str) -> nbformat.NotebookNode:
    """Read an executed chapter, normalise it and write it back; returns the notebook."""
    nb = nbformat.read(path, as_version=4)
    normalise_notebook(nb, chapter, relative_output)
    nbformat.write(nb, path)
    return nb


_exporters = threading.local()


def _exporter():
    """This thread's HTML exporter: made once, its template loaded once (0.1 s per page saved)."""
    exporter = getattr(_exporters, "html", None)
    if exporter is None:
        exporter = _exporters.html = HTMLExporter(
            template_name=TEMPLATE_NAME,
            extra_template_basedirs=[str(TEMPLATES_DIR)],
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            language_code="ja",
            embed_images=True,
            exclude_anchor_links=True,
        )
    return exporter


def export_html(nb: nbformat.NotebookNode, title: str, nav: PageNav) -> str:
    """A chapter as one self-contained HTML page: no code, no prompts, no network resources;
    ``nav`` (:func:`kawaeval.report.pages.page_nav`) above and below its content."""
    nb = nbformat.from_dict(nb)
    nb.metadata["title"] = title
    resources = {"kawaeval_nav_top": nav.top, "kawaeval_nav_bottom": nav.bottom}
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    return body
