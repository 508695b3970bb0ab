"""The editions a build can write beside the report's HTML pages, and which options ask for them.

An :class:`Edition` is one file made from the finished pages: the whole report as a tagged PDF
(``--pdf``) or as a Word file (``--docx``). The build asks this registry what to write, in
order, for the options a report has; the index page links each edition written. An edition
whose ``option`` is None is written by every build (the summary page will be one).

Options stick: a report built with ``--pdf`` keeps its PDF on later builds until one says
``--no-pdf`` (:func:`resolve_options`); the stamp records the options a report was built with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kawaeval.report import docx, pdf

if TYPE_CHECKING:
    from kawaeval.evaluation.model import Assessment


@dataclass(frozen=True)
class Edition:
    """One file a build writes from the report's pages.

    ``write(report_dir, chapters, assessment)`` writes it into ``report_dir`` (where the index
    and chapter pages already are; ``chapters`` is (title, file name) in reading order) and
    returns its path; it raises a :class:`kawaeval.exceptions.EditionRenderError` and leaves
    nothing half-written when it fails. ``check_available()`` raises a
    :class:`kawaeval.exceptions.UsageError` (exit 2, with how to install) when what it needs
    is missing; the build calls it before reading any record.
    """

    key: str
    label: str
    option: str | None
    file_name: Callable[[Assessment], str]
    write: Callable[[Path, Sequence[tuple[str, str]], Assessment], Path]
    check_available: Callable[[], None] = lambda: None


EDITIONS: tuple[Edition, ...] = (
    Edition(
        key="pdf",
        label="報告書（PDF、印刷用）",
        option="pdf",
        file_name=pdf.pdf_name,
        write=pdf.write_report_pdf,
        check_available=pdf.check_available,
    ),
    Edition(
        key="docx",
        label="報告書（Word、意見照会用）",
        option="docx",
        file_name=docx.docx_name,
        write=docx.write_report_docx,
        check_available=docx.check_available,
    ),
)
"""Every edition, in the order they are written and linked from the index."""

OPTIONS: tuple[str, ...] = tuple(dict.fromkeys(e.option for e in EDITIONS if e.option))
"""The build options that ask for editions (``--pdf``, ``--docx``)."""


def resolve_options(
    requested: Mapping[str, bool | None], previous: Iterable[str] = ()
) -> list[str]:
    """The options a report is built with: each as requested (True / False), or as the
    published report had it (``previous``, from its stamp) when not said (None)."""
    previous = set(previous)
    chosen = []
    for option in OPTIONS:
        wanted = requested.get(option)
        if wanted or (wanted is None and option in previous):
            chosen.append(option)
    return chosen


def editions_for(options: Iterable[str]) -> list[Edition]:
    """The editions a report with these options gets, in order."""
    options = set(options)
    return [e for e in EDITIONS if e.option is None or e.option in options]


def check_available(options: Iterable[str]) -> None:
    """Check that every edition these options ask for can be made (exit 2 when not)."""
    for edition in editions_for(options):
        edition.check_available()


def downloads(assessment: Assessment, options: Iterable[str]) -> list[tuple[str, str]]:
    """(link text, file name) of each edition, for the index page's list of files."""
    return [(e.label, e.file_name(assessment)) for e in editions_for(options)]


def write_editions(
    report_dir: Path,
    chapters: Sequence[tuple[str, str]],
    assessment: Assessment,
    options: Iterable[str],
) -> list[Path]:
    """Write every edition these options ask for into ``report_dir``; their paths in order."""
    return [e.write(report_dir, chapters, assessment) for e in editions_for(options)]
