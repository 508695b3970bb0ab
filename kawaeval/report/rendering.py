"""How report HTML is made: fragments from Jinja2 templates, and the one table renderer.

Escaping is the renderer's: every fragment is a template in ``kawaeval/report/templates/report``
rendered with autoescape, and every value also has its ``$`` written as ``&#36;`` so that no
math renderer reads record text as TeX.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from kawaeval.evaluation.model import Text
from kawaeval.paths import TEMPLATES_DIR
from kawaeval.report.frames import SHARE_SUFFIX, count_column, share_column
from kawaeval.report.wording import count_share, pct

FRAGMENTS_DIR = TEMPLATES_DIR / "report"
SHORT_HEADER = 10
"""Headers up to this many characters stay on one line (longer ones may wrap)."""
MAX_LISTED = 5000
"""At most this many initiatives listed in one page (about 1.7 MB); the rest are in the
report's data files, so that a page stays readable and under 5 MB whatever the records."""


class Fragment:
    """A piece of report HTML that Jupyter shows as HTML (and as a fixed plain-text stand-in)."""

    def __init__(self, markup: str):
        self.html = str(markup)

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return "<kawaeval report fragment>"

    def __str__(self) -> str:
        return self.html

    def __html__(self) -> str:
        return self.html

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Fragment) and other.html == self.html

    def __hash__(self) -> int:
        return hash(self.html)


def _text(value: object) -> Markup:
    """Any value as HTML text: escaped, and ``$`` as ``&#36;`` so no math renderer reads TeX."""
    if isinstance(value, Markup) or hasattr(value, "__html__"):
        return Markup(value)
    if value is None:
        return Markup("")
    return Markup(str(escape(value)).replace("$", "&#36;"))


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(FRAGMENTS_DIR),
        autoescape=True,
        finalize=_text,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, **context: object) -> Markup:
    """Render one template of ``kawaeval/report/templates/report`` with every value escaped."""
    return Markup(_environment().get_template(template).render(**context))


def fragment(template: str, css: str = "", **context: object) -> Fragment:
    """One template rendered as a fragment of a page (``css``: the classes of its box)."""
    return Fragment(render(template, css=css, **context))


def section(*parts: object, css: str = "", heading: str | None = None) -> Fragment:
    """A section of parts (the empty ones left out), under ``heading`` when given."""
    return fragment("section.html.j2", css=css, heading=heading, parts=[p for p in parts if p])


def paragraph(text: str, css: str = "") -> Markup:
    """A paragraph of text, escaped."""
    return render("paragraph.html.j2", text=text, css=css)


def text_html(text: Text, css: str = "") -> Markup | str:
    """A text of the report as a paragraph (its line breaks kept); a draft of the rule carries
    the class ``kawaeval-drafted`` and a quiet 「文案」 label. Nothing when there is no text."""
    if text.text is None:
        return ""
    return render("text.html.j2", lines=text.text.split("\n"), drafted=text.drafted, css=css)


# ---------------------------------------------------------------- the one table renderer


@dataclass(frozen=True)
class Column:
    """How a table shows one column: its header, the cell of a row, alignment, grouping, link."""

    header: str
    cell: Callable[[Mapping], object]
    numeric: bool = False
    span: bool = False
    href: Callable[[Mapping], str | None] | None = None
    nowrap: bool = False


def shown(name: str, header: str | None = None, numeric: bool = False, **kw) -> Column:
    """A frame column shown as it is (missing values blank)."""

    def cell(row: Mapping) -> object:
        value = row[name]
        return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else value

    return Column(header or name, cell, numeric, **kw)


def counted(name: str, header: str | None = None, **kw) -> Column:
    """A count column shown with its unit: ``5件``."""
    return Column(header or name, lambda row: f"{row[name]}件", True, **kw)


def percent(name: str, header: str | None = None, blank: str = "－", **kw) -> Column:
    """A share column (percent) shown as ``79.8%``; ``blank`` where there is none."""
    label = header or name.removesuffix(SHARE_SUFFIX)

    def cell(row: Mapping) -> str:
        return blank if pd.isna(row[name]) else pct(row[name])

    return Column(label, cell, True, **kw)


def counted_share(label: str, **kw) -> Column:
    """An achievement's count with its share, as the city writes it: ``87件(79.8%)``."""
    count, share = count_column(label), share_column(label)

    def cell(row: Mapping) -> str:
        return count_share(int(row[count]), None if pd.isna(row[share]) else row[share])

    return Column(label, cell, True, **kw)


def table_html(
    frame: pd.DataFrame,
    columns: Sequence[Column],
    caption: str | None = None,
    group: str | None = None,
) -> Markup:
    """A frame as the report's HTML table; the first column heads its row.

    Columns marked ``span`` are written once per run of equal ``group`` values (``rowspan``),
    so a goal's name is not repeated on each of its directions' rows.
    """
    # at the first row of each run of equal group values: the run's length; 0 on the others
    runs: list[int] = []
    if group is not None:
        keys = list(frame[group])
        for i, key in enumerate(keys):
            if i and keys[i - 1] == key:
                runs.append(0)
                continue
            n = 1
            while i + n < len(keys) and keys[i + n] == key:
                n += 1
            runs.append(n)
    rows = []
    for i, row in enumerate(frame.to_dict("records")):
        cells = []
        for j, column in enumerate(columns):
            rowspan = 1
            if column.span and group is not None:
                if not runs[i]:
                    continue
                rowspan = runs[i]
            cells.append(
                {
                    "tag": "th" if j == 0 else "td",
                    "text": column.cell(row),
                    "css": " ".join(
                        name
                        for name, wanted in (("num", column.numeric), ("nowrap", column.nowrap))
                        if wanted
                    ),
                    "rowspan": rowspan,
                    "href": column.href(row) if column.href else None,
                }
            )
        rows.append(cells)
    headers = [
        {
            "text": c.header,
            "css": " ".join(
                name
                for name, wanted in (("num", c.numeric), ("short", len(c.header) <= SHORT_HEADER))
                if wanted
            ),
        }
        for c in columns
    ]
    return render("table.html.j2", caption=caption, headers=headers, rows=rows)
