"""The bureaus' input workbook: generated from the plan, validated at entry, carried forward.

``kawaeval template`` writes an ``.xlsx`` whose sheet ``取組`` has the contract's headers,
drop-down lists for the goal, the direction and each year's achievement (from the plan), and
a ``記入方法`` sheet explaining each column. With a fiscal year, the rows come from the cleaned
records and the earlier years' results are filled in and locked. A filled-in workbook goes back
into the raw folder as it is: ``kawaeval clean`` reads it with the same counts.

Text from the records that Excel would read as a formula (``=``, ``+``, ``-``, ``@``...) is
written as a text cell with Excel's own quote prefix (what typing ``'=…`` gives), so it never
runs, shows as written, and is read back by ``clean`` unchanged (ids stay stable year to year).

Here: :func:`make_templates` (the files, one or one per bureau) and the rows from the records;
the workbook itself is :mod:`~kawaeval.forms.form_workbook`, its entry checks
:mod:`~kawaeval.forms.form_validation`, the cells both forms share :mod:`~kawaeval.forms.cells`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kawaeval.common.files import write_files
from kawaeval.common.text import safe_file_name
from kawaeval.exceptions import OutputExistsError, TemplateOptionError
from kawaeval.forms.form_workbook import FILE_PREFIX, TemplateRow, template_bytes
from kawaeval.paths import default_raw_dir
from kawaeval.plan import Plan, load_plan
from kawaeval.records.cleaning import clean_records
from kawaeval.records.folder import find_initiative_files, is_initiatives_file

log = logging.getLogger(__name__)

NO_BUREAU = "所管局未設定"
"""Name of the workbook (with --by-bureau) for records whose bureau column is blank."""


@dataclass(frozen=True)
class TemplateResult:
    """What ``make_templates`` wrote: the files, with the rows in each, and the rejected rows."""

    files: dict[Path, int]
    rejected: pd.DataFrame | None = None


def bureau_file_names(bureaus: list[str]) -> dict[str, str]:
    """Each bureau's workbook name (``取組_<bureau>.xlsx``), distinct even ignoring case."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for bureau in sorted(bureaus):
        stem = FILE_PREFIX + safe_file_name(bureau)
        candidate, n = stem, 1
        while candidate.casefold() in taken:
            n += 1
            candidate = f"{stem}_{n}"
        taken.add(candidate.casefold())
        names[bureau] = candidate + ".xlsx"
    return names


# ---------------------------------------------------------------- rows from the records


def rows_from_records(
    raw_dir: Path, fiscal_year: int, allow_rejects: bool = False
) -> tuple[list[TemplateRow], Plan, pd.DataFrame]:
    """The initiatives of ``raw_dir``, cleaned as ``clean`` does, with results before the year.

    Earlier years' results are written as the plan's labels (``3`` -> ``ほぼ目標どおり``); the
    given year and later ones are left blank.

    Raises
    ------
    InputFileError, PlanDefinitionError
        If the raw folder or a file in it cannot be read.
    RejectedRowsError
        If rows were rejected and ``allow_rejects`` is False.
    """
    result = clean_records(Path(raw_dir), out_dir=None, allow_rejects=allow_rejects)
    plan = result.plan
    labels = plan.achievement_labels
    rows: list[TemplateRow] = []
    tidy = result.tidy
    if len(tidy):
        order = tidy.drop_duplicates("initiative_id")  # tidy is sorted by goal, direction, id
        earlier = tidy[tidy["fiscal_year"] < fiscal_year]
        results: dict[str, dict[int, str]] = {}
        for initiative_id, year, achievement in zip(
            earlier["initiative_id"], earlier["fiscal_year"], earlier["achievement"], strict=True
        ):
            results.setdefault(initiative_id, {})[int(year)] = labels[str(achievement)]
        for r in order.itertuples(index=False):
            rows.append(
                TemplateRow(
                    initiative_id=str(r.initiative_id),
                    goal=int(r.goal),
                    direction=int(r.direction),
                    name=str(r.name),
                    bureau=None if pd.isna(r.bureau) else str(r.bureau),
                    reason=None if pd.isna(r.reason) else str(r.reason),
                    achievements=results.get(r.initiative_id, {}),
                )
            )
    return rows, plan, result.rejected


def _check_output(path: Path, force: bool) -> None:
    """Refuse a folder, a name Excel would not open, or (without ``force``) an existing file."""
    if path.is_dir():
        raise TemplateOptionError(
            "--out",
            f"{path} はフォルダです。ファイル名（取組_○○.xlsx）を指定するか、"
            "--by-bureau を付けてください",
        )
    if path.suffix.lower() != ".xlsx":
        raise TemplateOptionError("--out", f"{path.name}: 出力ファイル名は .xlsx で終えてください")
    if path.exists() and not force:
        raise OutputExistsError(path)


def make_templates(
    out: Path,
    raw_dir: Path | None = None,
    fiscal_year: int | None = None,
    by_bureau: bool = False,
    allow_rejects: bool = False,
    force: bool = False,
) -> TemplateResult:
    """Write the blank or carried-forward workbook at ``out`` (a folder of them with by_bureau).

    Raises
    ------
    UnknownFiscalYearError
        If ``fiscal_year`` is not a program year of the plan (exit 2).
    TemplateOptionError
        If the options do not fit together (exit 2).
    OutputExistsError
        If a workbook to write exists already and ``force`` is False (exit 2).
    InputFileError, PlanDefinitionError, RejectedRowsError
        If the raw folder cannot be read or rows were rejected (exit 1).
    OutputWriteError
        If the workbooks cannot be written (exit 1); nothing is half-written.
    """
    out = Path(out)
    if raw_dir is not None and not Path(raw_dir).is_dir():
        find_initiative_files(Path(raw_dir))  # raises, naming the folder
    raw_dir = Path(raw_dir) if raw_dir is not None else default_raw_dir()
    plan = load_plan(raw_dir)
    if fiscal_year is not None:
        plan.check_fiscal_years([fiscal_year])
    if by_bureau and fiscal_year is None:
        raise TemplateOptionError(
            "--by-bureau",
            "所管局ごとのファイルは記録から作ります。--fiscal-year を一緒に指定してください",
        )
    if by_bureau:
        if out.exists() and not out.is_dir():
            raise TemplateOptionError(
                "--out", f"{out} はファイルです。--by-bureau ではフォルダを指定してください"
            )
    else:
        _check_output(out, force)
        if not is_initiatives_file(out):
            log.warning(
                "%s: 返送後に raw フォルダで読まれるよう、%s*.xlsx という名前にしてください",
                out.name,
                FILE_PREFIX,
            )

    if fiscal_year is None:
        write_files({out: template_bytes(plan)})
        return TemplateResult({out: 0})

    rows, plan, rejected = rows_from_records(raw_dir, fiscal_year, allow_rejects)
    plan.check_fiscal_years([fiscal_year])
    if not by_bureau:
        write_files({out: template_bytes(plan, rows, fiscal_year)})
        return TemplateResult({out: len(rows)}, rejected)

    groups: dict[str, list[TemplateRow]] = {}
    for row in rows:
        groups.setdefault(row.bureau or NO_BUREAU, []).append(row)
    names = bureau_file_names(list(groups))
    contents: dict[Path, bytes] = {}
    counts: dict[Path, int] = {}
    for bureau in sorted(groups):
        path = out / names[bureau]
        if path.exists() and not force:
            raise OutputExistsError(path)
        contents[path] = template_bytes(
            plan,
            groups[bureau],
            fiscal_year,
            f"（{bureau}）",
            bureau=None if bureau == NO_BUREAU else bureau,
        )
        counts[path] = len(groups[bureau])
    write_files(contents)
    return TemplateResult(counts, rejected)
