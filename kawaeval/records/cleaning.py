"""Raw initiatives tables -> the tidy table, the rejected rows and the manifest: ``clean`` and
``clean_records``, the steps in their order.

Each step has its own module: the raw folder (:mod:`~kawaeval.records.folder`), reading a file
(:mod:`~kawaeval.records.reading`), its layout (:mod:`~kawaeval.records.layout`), the row checks
(:mod:`~kawaeval.records.row_checks`), the checks across files
(:mod:`~kawaeval.records.across_files`), renumbered initiatives
(:mod:`~kawaeval.records.renumbered`), the tidy frame (:mod:`~kawaeval.records.tidy`), the
manifest (:mod:`~kawaeval.records.manifest`) and writing the outputs
(:mod:`~kawaeval.records.outputs`).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from kawaeval.exceptions import MissingInitiativesError, RejectedRowsError
from kawaeval.plan import Plan, load_plan
from kawaeval.records.across_files import (
    check_same_bureau_files,
    check_years,
    duplicate_problems,
    form_checks,
)
from kawaeval.records.folder import FolderEntry, find_initiative_files, survey_folder
from kawaeval.records.layout import check_formulas, find_layout
from kawaeval.records.manifest import build_manifest, check_manifest, table_warnings
from kawaeval.records.outputs import CleanResult, write_outputs
from kawaeval.records.reading import read_initiative_file
from kawaeval.records.renumbered import link_renumbered
from kawaeval.records.row_checks import CheckedFile, check_table
from kawaeval.records.spellings import visible
from kawaeval.records.tidy import tidy_frame
from kawaeval.records.validating import TEXT, validate_tidy

__all__ = ["clean", "clean_records"]

log = logging.getLogger(__name__)


def _initiatives_of(checked: list[CheckedFile], problems: pd.DataFrame) -> tuple[pd.Series, ...]:
    """The id and name (as cleaned; missing where blank) of each problem's raw row."""
    columns = []
    for name in ("initiative_id", "name"):
        values = np.full(len(problems), None, dtype=object)
        for i, c in enumerate(checked):
            mine = np.flatnonzero(problems["part"].to_numpy() == i)
            if not len(mine):
                continue
            source_rows = c.fields["source_row"].to_numpy()
            at = np.searchsorted(source_rows, problems["row"].to_numpy(dtype=np.int64)[mine])
            values[mine] = c.fields[name].iloc[at].to_numpy(dtype=object)
        column = pd.Series(values, index=problems.index, dtype=TEXT)
        columns.append(column.mask(column.eq("")))
    return tuple(columns)


def _log_folder(entries: list[FolderEntry]) -> None:
    """Name every entry of the raw folder that is not an initiatives file, and why."""
    for entry in entries:
        if entry.role == "initiatives":
            continue
        level = logging.WARNING if entry.level == "warning" else logging.INFO
        log.log(level, "%s: %s", entry.name, entry.reason)


def clean(raw_dir: Path, plan: Plan | None = None) -> CleanResult:
    """Read and clean every initiatives file in ``raw_dir``; bad rows are rejected, not raised.

    Raises
    ------
    InputFileError
        If the folder or its files cannot be read (no file, empty, wrong format, missing column,
        a header that looks like a year but cannot be read, two files of one bureau).
    MissingFiscalYearsError
        If a file lacks a program year up to the latest one present in any file.
    PlanDefinitionError
        If the plan definition in force is invalid.
    TidyValidationError
        If the tidy table breaks its schema (a bug in cleaning).
    """
    raw_dir = Path(raw_dir)
    entries = survey_folder(raw_dir)
    if plan is None:
        plan = load_plan(raw_dir)
    _log_folder(entries)
    warnings = [f"{e.name}: {e.reason}" for e in entries if e.level == "warning"]
    checked = []
    for path in find_initiative_files(raw_dir):
        table = read_initiative_file(path)
        noticed = table_warnings(table)
        for warning in noticed:
            log.warning("%s", warning)
        warnings += noticed
        layout = find_layout(table, plan)
        check_formulas(table, layout)
        if table.cells.empty:
            log.warning("%s: ヘッダーだけで、取組の行がありません", table.file)
        result = check_table(table, layout, plan)
        for item in result.excluded:
            kind = "合計の行" if item["kind"] == "total" else "注記の行"
            log.info(
                "%s: 行 %s は%s（「%s」）のため取組に数えません",
                table.file,
                item["row"],
                kind,
                item["text"],
            )
        checked.append(result)
    check_years(checked, plan)
    check_same_bureau_files(checked)

    duplicates = duplicate_problems(checked)
    base = [p.assign(part=i) for i, c in enumerate(checked) for p in c.problems] + duplicates
    rejected_rows = _rejected_rows(base, len(checked))
    link_problems, links = link_renumbered(checked, rejected_rows)
    if link_problems:
        base += link_problems
        rejected_rows = _rejected_rows(base, len(checked))
        _, links = link_renumbered(checked, rejected_rows)
    all_problems = pd.concat(base, ignore_index=True)
    all_problems = all_problems.sort_values(
        ["part", "row", "_position", "reason"], kind="stable", ignore_index=True
    )
    initiative_ids, names = _initiatives_of(checked, all_problems)
    rejected = pd.DataFrame(
        {
            "file": all_problems["file"].astype(TEXT),
            "row": all_problems["row"].astype("int64"),
            "initiative_id": initiative_ids,
            "name": names,
            "column": all_problems["column"].map(visible).astype(TEXT),
            "value": all_problems["value"].map(visible).astype(TEXT),
            "reason": all_problems["reason"].astype(TEXT),
        }
    )
    tidy, accepted = tidy_frame(checked, rejected_rows, plan, links)
    tidy = validate_tidy(tidy, plan)
    form_warnings, missing = form_checks(checked, rejected_rows)
    warnings += form_warnings

    manifest = build_manifest(entries, checked, rejected_rows, accepted, plan, warnings, missing)
    return CleanResult(tidy=tidy, rejected=rejected, manifest=manifest, plan=plan)


def _rejected_rows(problems: list[pd.DataFrame], parts: int) -> list[np.ndarray]:
    """The Excel rows with a problem, per file."""
    every = pd.concat(problems, ignore_index=True)
    return [
        np.unique(every.loc[every["part"].eq(i), "row"].to_numpy(dtype=np.int64))
        for i in range(parts)
    ]


def clean_records(
    raw_dir: Path, out_dir: Path | None = None, allow_rejects: bool = False
) -> CleanResult:
    """Clean, check the manifest, stop on rejected rows unless allowed, then write outputs.

    The outputs (``tidy.parquet``, ``achievements.csv``, ``rejected.csv``, ``manifest.json``)
    replace the previous ones only once all are written; a failed run leaves the old ones.

    Raises
    ------
    InputFileError, PlanDefinitionError
        If the inputs cannot be read.
    ManifestMismatchError
        If some raw row was neither accepted nor rejected.
    RejectedRowsError
        If rows were rejected and ``allow_rejects`` is False (nothing is written).
    OutputWriteError
        If ``out_dir`` cannot be written to.
    """
    result = clean(raw_dir)
    check_manifest(result.manifest)
    if len(result.rejected) and not allow_rejects:
        raise RejectedRowsError(result.rejected)
    missing = result.manifest["missing_initiatives"]
    if missing and not allow_rejects:
        raise MissingInitiativesError(missing)
    for item in missing:
        message = (
            f"{item['file']}: 送ったときの取組「{item['initiative_id']}"
            f"{' ' + item['name'] if item['name'] else ''}」がありません（--allow-rejects で続行）"
        )
        log.warning("%s", message)
        result.manifest["warnings"].append(message)
    if out_dir is not None:
        write_outputs(result, Path(out_dir))
    return result
