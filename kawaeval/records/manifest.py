"""The manifest of a run: each file read and what became of its rows, the folder's other files,
and what a person should check.

Per file: its digest, format, encoding, sheet, header rows, years, ignored columns, hidden rows,
columns and sheets, and raw = accepted + rejected + excluded rows, which :func:`check_manifest`
holds to.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kawaeval.common.files import file_sha256
from kawaeval.exceptions import ManifestMismatchError
from kawaeval.paths import BUNDLED_PLAN, SOURCE_ROOT
from kawaeval.plan import Plan
from kawaeval.records.folder import FolderEntry
from kawaeval.records.reading import RawTable, column_letter, describe_rows
from kawaeval.records.row_checks import CheckedFile
from kawaeval.records.spellings import visible
from kawaeval.version import __version__


def _plan_file_name(plan: Plan) -> str:
    """The plan file as a relative name: ``plan.toml`` from the raw folder, or the bundled path
    (``kawaeval/data/plan.toml``, installed or not)."""
    source = Path(plan.source)
    if source.resolve() == BUNDLED_PLAN.resolve():
        return BUNDLED_PLAN.relative_to(SOURCE_ROOT).as_posix()
    return source.name


def table_warnings(table: RawTable) -> list[str]:
    """What the reader noticed about a file that a person should check (hidden content...)."""
    warnings = [f"{table.file}: {note}" for note in table.notes]
    sheet = f"シート「{table.sheet}」の" if table.sheet else ""
    if table.hidden_sheets:
        names = "、".join(f"「{s}」" for s in table.hidden_sheets)
        warnings.append(
            f"{table.file}: 非表示のシート{names}は読まず、表示されているシート"
            f"「{table.sheet}」を読みました。非表示のシートのデータが必要なら、"
            "そのシートを表示して「取組」という名前にしてください"
        )
    hidden = []
    if table.hidden_rows:
        hidden.append(f"行 {describe_rows(table.hidden_rows)}")
    if table.hidden_columns:
        hidden.append(f"列 {'、'.join(column_letter(c) for c in table.hidden_columns)}")
    if hidden:
        warnings.append(
            f"{table.file}: {sheet}{' と '.join(hidden)} が非表示になっています。"
            "非表示の行・列も読み込みました (hidden rows and columns were read). "
            "不要な行は削除し、必要な行は表示して確認してください"
        )
    return warnings


def build_manifest(
    entries: list[FolderEntry],
    checked: list[CheckedFile],
    rejected_rows: list[np.ndarray],
    accepted: list[int],
    plan: Plan,
    warnings: list[str],
    missing: list[dict],
) -> dict:
    """The manifest of a run: each checked file with its counts, the raw folder's other entries,
    the initiatives missing from returned forms and the warnings."""
    files = []
    for c, bad, accepted_rows in zip(checked, rejected_rows, accepted, strict=True):
        excluded = len(c.excluded)
        files.append(
            {
                "file": c.table.file,
                "sha256": c.table.sha256,
                "format": c.table.format,
                "encoding": c.table.encoding,
                "sheet": c.table.sheet,
                "header_rows": list(c.table.header_rows),
                "raw_rows": len(c.table.cells) + excluded,
                "accepted_rows": accepted_rows,
                "rejected_rows": len(bad),
                "excluded_rows": excluded,
                "excluded": c.excluded,
                "fiscal_years": sorted(c.layout.years),
                "ignored_columns": [
                    {"column": visible(h), "reason": why} for h, why in c.layout.ignored
                ],
                "hidden_rows": list(c.table.hidden_rows),
                "hidden_columns": [column_letter(p) for p in c.table.hidden_columns],
                "hidden_sheets": list(c.table.hidden_sheets),
            }
        )
    return {
        "package_version": __version__,
        "plan": {"file": _plan_file_name(plan), "sha256": file_sha256(plan.source)},
        "files": files,
        "other_files": [e.as_dict() for e in entries if e.role != "initiatives"],
        "missing_initiatives": missing,
        "warnings": warnings,
        "totals": {
            key: sum(f[key] for f in files)
            for key in ("raw_rows", "accepted_rows", "rejected_rows", "excluded_rows")
        },
    }


def check_manifest(manifest: dict) -> None:
    """Check that every raw row was either accepted or rejected.

    Raises
    ------
    ManifestMismatchError
        If raw rows differ from accepted plus rejected rows for some file.
    """
    for f in manifest["files"]:
        excluded = f.get("excluded_rows", 0)
        if f["raw_rows"] != f["accepted_rows"] + f["rejected_rows"] + excluded:
            raise ManifestMismatchError(
                f"{f['file']}: 行数が合いません (row counts do not add up): "
                f"raw {f['raw_rows']} != accepted {f['accepted_rows']} + "
                f"rejected {f['rejected_rows']} + excluded {excluded}. "
                "kawaeval の不具合として報告してください"
            )
