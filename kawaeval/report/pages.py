"""The pages around the chapters: the report's entry page (title, contents, key figures, files
and provenance), the previous / index / next links of each page, and the report's own styles.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from markupsafe import Markup

from kawaeval.common.text import era_year
from kawaeval.evaluation.model import Assessment
from kawaeval.paths import TEMPLATES_DIR
from kawaeval.plan import EVALUATED
from kawaeval.report import frames
from kawaeval.report.combined import HTML_ONLY
from kawaeval.report.presenting import data_quality, grades_table, judgement_notice
from kawaeval.report.rendering import Fragment, render
from kawaeval.report.wording import count_share, report_title
from kawaeval.version import NOT_FROM_GIT


class PageNav(NamedTuple):
    """The previous / index / next links of a chapter page, above and below its content."""

    top: str
    bottom: str


NAV_LABELS = PageNav("章の移動（ページの先頭）", "章の移動（ページの末尾）")
"""Each navigation landmark's name: a screen reader's list of landmarks tells them apart."""


def page_nav(previous: tuple[str, str] | None, following: tuple[str, str] | None) -> PageNav:
    """Previous / index / next links (relative) for the top and bottom of a chapter page."""
    return PageNav(
        *(
            str(render("page_nav.html.j2", previous=previous, following=following, label=label))
            for label in NAV_LABELS
        )
    )


def report_css() -> str:
    """The report's own styles and print styles, shared with the chapter template (templates/)."""
    static = TEMPLATES_DIR / "kawaeval" / "static"
    return "".join(
        (static / name).read_text(encoding="utf-8") for name in ("kawaeval.css", "print.css")
    )


def _provenance_rows(provenance: dict) -> list[tuple[str, str]]:
    rows = [("kawaeval", provenance["package_version"])]
    rows.append(("git commit", provenance.get("git_commit") or NOT_FROM_GIT))
    if provenance.get("source_date"):
        rows.append(("作成日 (SOURCE_DATE_EPOCH)", provenance["source_date"]))
    parameters = ", ".join(f"{k} = {v}" for k, v in provenance["parameters"].items())
    rows.append(("パラメータ", parameters))
    plan_file, plan_sha = provenance["plan"]
    rows.append((f"計画定義 {plan_file}", f"SHA-256 {plan_sha}"))
    rows += [(f"入力 {name}", f"SHA-256 {sha}") for name, sha in provenance["inputs"]]
    return rows


def index_page(
    assessment: Assessment,
    chapters: Sequence[tuple[str, str]],
    provenance: dict,
    downloads: Sequence[tuple[str, str]] = (),
    changes: Fragment | str = "",
    headlines: Sequence[tuple[str, str]] = (),
) -> str:
    """The report's entry page: title, table of contents, key figures, files and provenance.

    ``chapters`` is (title, relative link) in reading order; ``downloads`` is (what, relative
    link) for the files beside the pages (tables.xlsx, the data), or (what, link, class) for
    one that only the HTML report lists; ``provenance`` holds
    ``package_version``, ``git_commit`` (or None: "not from a git checkout"), ``parameters``
    (dict), ``inputs`` (list of (file, sha256)), ``plan`` ((file, sha256)) and ``source_date``
    (or None);
    ``changes`` is the section on the change record
    (:func:`kawaeval.report.changes.index_section`); ``headlines`` (what, relative link) are
    linked above the contents (the summary), in the HTML report only.
    """
    year = era_year(assessment.fiscal_year)
    labels = frames.labels(assessment)
    program = assessment.program
    page = render(
        "index.html.j2",
        title=report_title(assessment),
        css=Markup(report_css()),
        notice=assessment.notice,
        judgement_notice=judgement_notice(assessment),
        chapters=list(chapters),
        headlines=list(headlines),
        html_only=HTML_ONLY,
        changes=changes,
        downloads=list(downloads),
        initiatives=program.initiatives,
        year=year,
        key_figures=[
            (labels[k], count_share(program.counts[k], program.shares_pct[k])) for k in EVALUATED
        ],
        grades=grades_table(assessment),
        data_quality=data_quality(assessment),
        provenance=_provenance_rows(provenance),
    )
    return str(page) + "\n"
