"""The committee's evaluation sheets (基本目標評価シート): one workbook per goal and one for the
whole program, filled from the assessment, open only where the committee decides.

``kawaeval sheets --fiscal-year YYYY --out DIR`` writes them, named as
:func:`kawaeval.records.committee.sheet_file_name` gives
(``基本目標評価シート_2021年度_基本目標1.xlsx``), so that the returned files, put into the raw
folder, are read as the committee's input (:mod:`kawaeval.records.committee`).

Each sheet shows the plan's words, the goal's figures by year and by direction, the reference
indicators, the main results, the below-target initiatives, the rule's suggestions and the
drafted sentences. The committee's cells (the final grades and verdicts, behind drop-down
lists, and the reasons and texts) are the only unlocked ones; each carries a workbook-level
defined name, which is what the reader looks for. The sheet records the figures it was made
from (``kawaeval_fingerprint``). The raw folder's own judgements (judgements.csv, returned
sheets) are carried in.

Here: :func:`make_sheets` and the files; each goal's sheet is :mod:`~kawaeval.forms.goal_sheet`,
the program's :mod:`~kawaeval.forms.program_sheet`, their guide
:mod:`~kawaeval.forms.sheet_guide`, how a sheet is written :mod:`~kawaeval.forms.sheet_writer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kawaeval.common.files import write_files
from kawaeval.common.spreadsheet import stable_xlsx_bytes
from kawaeval.evaluation.model import Assessment
from kawaeval.exceptions import OutputExistsError, TemplateOptionError
from kawaeval.forms.goal_sheet import goal_workbook
from kawaeval.forms.program_sheet import program_workbook
from kawaeval.records.committee import sheet_file_name


@dataclass(frozen=True)
class SheetsResult:
    """The workbooks ``make_sheets`` wrote."""

    files: list[Path]


def sheet_workbooks(assessment: Assessment) -> dict[str, bytes]:
    """Every sheet's file name and bytes: one per goal, then the program's; the same
    assessment gives the same bytes (no timestamps)."""
    files = {
        sheet_file_name(assessment.fiscal_year, g.goal): stable_xlsx_bytes(
            goal_workbook(assessment, g.goal)
        )
        for g in assessment.goals
    }
    files[sheet_file_name(assessment.fiscal_year, None)] = stable_xlsx_bytes(
        program_workbook(assessment)
    )
    return files


def make_sheets(
    out_dir: Path,
    raw_dir: Path,
    fiscal_year: int,
    allow_rejects: bool = False,
    force: bool = False,
) -> SheetsResult:
    """Assess ``fiscal_year`` from the raw folder and write its evaluation sheets into
    ``out_dir``.

    Raises
    ------
    UnknownFiscalYearError
        If the year is not a program year (exit 2).
    TemplateOptionError, OutputExistsError
        If ``out_dir`` is a file or the raw folder itself (where a sheet counts as returned by
        the committee), or a sheet exists there already without ``force`` (exit 2).
    KawaevalError
        Whatever assessing the raw folder raises (exit 1).
    OutputWriteError
        If a workbook cannot be written; nothing is half-written.
    """
    from kawaeval.evaluation.assessing import assess_records

    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise TemplateOptionError("--out", f"{out_dir} はファイルです。フォルダを指定してください")
    if out_dir.resolve() == Path(raw_dir).resolve():
        raise TemplateOptionError(
            "--out",
            f"{out_dir} は元データのフォルダ（--raw）です。そこに置いたシートは委員会が返した"
            "ものとして読まれ、文案がそのまま採用されます。別のフォルダを指定してください",
        )
    assessment = assess_records(Path(raw_dir), fiscal_year, allow_rejects=allow_rejects)
    contents = {out_dir / name: data for name, data in sheet_workbooks(assessment).items()}
    for path in contents:
        if path.exists() and not force:
            raise OutputExistsError(path)
    write_files(contents)
    return SheetsResult(list(contents))
