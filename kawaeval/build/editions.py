"""Which editions each year's report gets, and writing them as a year is finished.

The registry (:mod:`kawaeval.report.editions`) says what each option makes; this module says
what a build does with it. The options asked for (``--pdf`` True, ``--no-pdf`` False, not said
None) are resolved per year against the published report's stamp, so a report keeps its
editions until a build says no. The chosen options go into the year's stamp (``editions``):
an HTML-only report is not up to date when a PDF is asked for, and a report with a PDF is when
nothing is said. Nothing here imports pandas: the up-to-date check uses it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kawaeval.exceptions import EditionUnavailableError
from kawaeval.report import editions

if TYPE_CHECKING:
    from kawaeval.evaluation.model import Assessment

STAMP_KEY = "editions"


def stamp_editions(stamp: dict | None) -> list[str]:
    """The edition options a published report was built with, from its stamp (a stamp from
    before editions stuck says ``"pdf": true``)."""
    if not stamp:
        return []
    if STAMP_KEY in stamp:
        return list(stamp[STAMP_KEY])
    return ["pdf"] if stamp.get("pdf") else []


def check_requested(requested: Mapping[str, bool | None]) -> None:
    """Before anything is read: every edition asked for can be made (exit 2 when not)."""
    editions.check_available([option for option, wanted in requested.items() if wanted])


def year_editions(requested: Mapping[str, bool | None], published_stamp: dict | None) -> list[str]:
    """The edition options of one year's report: as asked, else as its last build had them."""
    return editions.resolve_options(requested, stamp_editions(published_stamp))


def check_kept(fiscal_year: int, options: Sequence[str], requested: Mapping) -> None:
    """An edition kept from the last build (not asked for now) can still be made.

    Raises
    ------
    PdfUnavailableError, DocxUnavailableError
        Naming what to install, and ``--no-<option>`` to stop making it.
    """
    for option in options:
        if requested.get(option) is not None:
            continue  # asked for now: checked before anything was read
        try:
            editions.check_available([option])
        except EditionUnavailableError as exc:
            raise type(exc)(
                f"{exc.problem}; FY{fiscal_year} は前回 --{option} で作成されています"
                f" (FY{fiscal_year} was last built with --{option}; --no-{option} stops"
                " making it)"
            ) from None


def downloads(assessment: Assessment, options: Sequence[str]) -> list[tuple[str, str]]:
    """The index page's links to the editions (before its other files)."""
    return editions.downloads(assessment, options)


def write(
    staging: Path,
    final: Path,
    pages: Sequence[tuple[str, str]],
    assessment: Assessment,
    options: Sequence[str],
    published_stamp: dict | None,
) -> list[str]:
    """Write the year's editions into its staging folder (a failure leaves the published
    report whole); returns the lines to show once the report is published in ``final``: each
    file written, and each edition the report no longer has."""
    written = editions.write_editions(staging, pages, assessment, options)
    kept = editions.editions_for(options)
    dropped = [
        edition
        for edition in editions.editions_for(stamp_editions(published_stamp))
        if edition not in kept
    ]
    return [f"wrote {final / path.name}" for path in written] + [
        f"removed {final / e.file_name(assessment)} (--no-{e.option})" for e in dropped
    ]
