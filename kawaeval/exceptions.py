"""Errors kawaeval reports to its users.

Every error is a :class:`KawaevalError`; the CLI prints its message (never a traceback)
and exits with its ``exit_code``. Context travels as attributes so tests and callers
can inspect it without parsing the message.
"""

from __future__ import annotations

import errno
from pathlib import Path


class KawaevalError(Exception):
    """Raised for any problem a user can act on; the message says what to do."""

    exit_code = 1


class UsageError(KawaevalError):
    """Raised when a command is called with parameters outside what the plan allows."""

    exit_code = 2


class InputFileError(KawaevalError):
    """Raised when a raw file cannot be read at all (empty, wrong format, no id column...)."""

    def __init__(self, path: Path | str, problem: str):
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path.name}: {problem}")


class FormulaWithoutValueError(InputFileError):
    """Raised when a workbook cell holds a formula but no saved result to read.

    Excel saves each formula's result beside it, and that result is what is read; programs
    such as openpyxl save the formula alone, leaving nothing to read.
    """

    def __init__(self, path: Path | str, sheet: str, cell: str, count: int = 1):
        self.sheet = sheet
        self.cell = cell
        self.count = count
        others = f"（ほか {count - 1} セルも同じ）" if count > 1 else ""
        super().__init__(
            path,
            f"シート「{sheet}」のセル {cell} は数式ですが、計算結果が保存されていません{others} "
            f"(cell {cell} holds a formula without its value: the file was saved by a program "
            "other than Excel). Excel で開いて保存し直してから、もう一度実行してください",
        )


class MissingFiscalYearsError(KawaevalError):
    """Raised when an initiatives file lacks a program year that the records reach.

    Every program year up to the latest one present in any file must have a column in every
    file; otherwise that year's count would come out short with no error.
    """

    def __init__(self, missing: dict[str, list[int]], latest: int):
        self.missing = {file: list(years) for file, years in missing.items()}
        self.latest = latest
        lines = [
            f"{len(missing)} 個のファイルに、{latest} 年度までの年度の列が揃っていません "
            f"(files without a column for a program year up to {latest}). "
            "それぞれのファイルに次の年度の達成度の列を加えてください"
            "（評価しない取組は空欄か「－」）:"
        ]
        for file, years in missing.items():
            shown = "、".join(f"{y}年度" for y in years)
            lines.append(f"  - {file}: {shown} の列がありません")
        super().__init__("\n".join(lines))


class DuplicateFileError(InputFileError):
    """Raised when two files hold the same bureau's initiatives (an old one left beside the
    returned one): every id would be a duplicate, and renumbering would be the wrong fix."""

    def __init__(self, path: Path | str, other: Path | str, bureau: str | None, shared: int):
        self.other = Path(other)
        self.bureau = bureau
        self.shared = shared
        who = f"{bureau}の" if bureau else ""
        super().__init__(
            path,
            f"{self.other.name} と同じ局のファイルが2つあります（{who}取組番号 {shared} 件が"
            "どちらにもあります）。古い方を取り除いてください "
            "(two files of the same bureau: remove the older one from the raw folder)",
        )


class MissingInitiativesError(KawaevalError):
    """Raised when a returned form lacks initiatives it was sent with (unless --allow-rejects):
    the report would otherwise count fewer initiatives with no error."""

    def __init__(self, missing: list[dict]):
        self.missing = list(missing)
        lines = [
            f"返送されたワークブックに、送ったときの取組が {len(missing)} 件ありません "
            f"({len(missing)} initiatives the forms were sent with are missing). "
            "行を消していないか確認し、元に戻してください（番号を変えた取組は「旧取組番号」の列に"
            "元の番号を書いてください）。このまま進めるには --allow-rejects を付けてください:"
        ]
        for item in missing:
            name = f" {item['name']}" if item.get("name") else ""
            bureau = f"（{item['bureau']}）" if item.get("bureau") else ""
            lines.append(f"  - {item['file']}{bureau}: 取組「{item['initiative_id']}{name}」")
        super().__init__("\n".join(lines))


class PlanDefinitionError(KawaevalError):
    """Raised when the plan definition file is missing a key or contradicts itself."""

    def __init__(self, path: Path | str, problem: str):
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"計画定義ファイル {self.path.name}: {problem}")


class RejectedRowsError(KawaevalError):
    """Raised when rows were rejected and the run was not told to go on (--allow-rejects).

    Each problem is listed with its file, Excel row, the initiative (id and name, where
    readable), column, value and reason.
    """

    def __init__(self, rejected):
        self.rejected = rejected
        rows = len(rejected[["file", "row"]].drop_duplicates())
        lines = [
            f"{rows} 行を受け付けられませんでした（問題 {len(rejected)} 件）"
            f" ({rows} rows rejected, {len(rejected)} problems). "
            "Fix them in the raw files, or rerun with --allow-rejects to report them and go on:"
        ]
        for row in rejected.to_dict("records"):
            lines.append(
                f"  - {_initiative(row)}{row['file']} 行 {row['row']} "
                f"列「{row['column']}」値「{row['value']}」: {row['reason']}"
            )
        super().__init__("\n".join(lines))


def _initiative(row: dict) -> str:
    """``取組「id name」`` and a space for a rejected row whose id or name is readable, else ""."""
    parts = [row.get(key) for key in ("initiative_id", "name")]
    parts = [p for p in parts if isinstance(p, str) and p]
    return f"取組「{' '.join(parts)}」 " if parts else ""


class ManifestMismatchError(KawaevalError):
    """Raised when raw rows do not equal accepted plus rejected rows for some input."""


class SupplementError(KawaevalError):
    """Raised when an optional input (judgements, highlights, indicators) has a bad row."""

    def __init__(self, path: Path | str, row: int | None, column: str | None, value, problem):
        self.path = Path(path)
        self.row = row
        self.column = column
        self.value = value
        self.problem = problem
        where = self.path.name
        if row is not None:
            where += f" 行 {row}"
        if column is not None:
            where += f" 列「{column}」"
        shown = "" if value is None else f" 値「{value}」"
        super().__init__(f"{where}{shown}: {problem}")


class AssessmentFileError(KawaevalError):
    """Raised when an ``assessment.json`` is not an assessment of this version's shape."""

    def __init__(self, path: Path | str, problem: str):
        self.path = Path(path)
        self.problem = problem
        super().__init__(
            f"{self.path.name} は、このバージョンの kawaeval の評価結果として読めません"
            f" (not an assessment of this kawaeval version): {problem}. "
            "kawaeval build --force で作り直してください"
        )


class ChapterExecutionError(KawaevalError):
    """Raised when a report chapter fails while papermill executes it."""

    def __init__(self, chapter: str, notebook: Path, cell_index, ename: str, evalue: str):
        self.chapter = chapter
        self.notebook = Path(notebook)
        self.cell_index = cell_index
        self.ename = ename
        self.evalue = evalue
        super().__init__(
            f"章「{chapter}」の実行に失敗しました: cell {cell_index}: {ename}: {evalue}\n"
            f"  executed notebook with the error banner kept at {self.notebook}\n"
            "  the previous report was left untouched"
        )


class TidyValidationError(KawaevalError):
    """Raised when the tidy table fails its schema: a bug in cleaning, not in the records."""

    def __init__(self, problem: str):
        self.problem = problem
        super().__init__(
            "整形後の取組表が検証に通りませんでした (tidy table failed validation; "
            f"please report this as a kawaeval bug): {problem}"
        )


class UnknownFiscalYearError(UsageError):
    """Raised when a fiscal year asked for is not one of the plan's program years."""

    def __init__(self, fiscal_years, allowed: tuple[int, ...], program: str = ""):
        self.fiscal_years = [fiscal_years] if isinstance(fiscal_years, int) else list(fiscal_years)
        self.fiscal_year = self.fiscal_years[0]
        self.allowed = tuple(allowed)
        years = ", ".join(str(y) for y in self.allowed)
        asked = ", ".join(str(y) for y in self.fiscal_years)
        super().__init__(
            f"--fiscal-year {asked} は{program or 'この実行プログラム'}の年度ではありません。"
            f"指定できる年度: {years}"
        )


_WRITE_ADVICE = {
    "read_only": "書き込めるフォルダを --out で指定してください（読み取り専用か、書き込む権限が"
    "ありません）",
    "full": "ディスクの空きが足りません。空きを作ってから、もう一度実行してください",
    "file": "同じ名前のファイルがあります。--out にはフォルダを指定してください",
}
_WRITE_ERRNOS = {
    "read_only": (errno.EROFS, errno.EACCES, errno.EPERM),
    "full": (errno.ENOSPC, errno.EDQUOT),
    "file": (errno.EEXIST, errno.ENOTDIR),
}


class OutputWriteError(KawaevalError):
    """Raised when outputs cannot be written (folder read-only, disk full, a file in the way),
    by ``clean``, ``build`` and ``template`` alike; says what to do for the usual causes."""

    def __init__(self, path: Path | str, problem: str, error_number: int | None = None):
        self.path = Path(path)
        self.problem = problem
        self.error_number = error_number
        advice = next(
            (_WRITE_ADVICE[k] for k, numbers in _WRITE_ERRNOS.items() if error_number in numbers),
            None,
        )
        super().__init__(
            f"{self.path} に書き込めません (cannot write outputs): {problem}"
            + (f". {advice}" if advice else "")
        )


class NoRecordsError(KawaevalError):
    """Raised when no initiative has a rating row for the fiscal year to be assessed."""

    def __init__(self, fiscal_year: int, raw_dir: Path | str):
        self.fiscal_year = fiscal_year
        self.raw_dir = Path(raw_dir)
        super().__init__(
            f"{fiscal_year}年度の達成度の列がある取組が1件もありません "
            f"(no initiative has a {fiscal_year} column) in {self.raw_dir.name}/. "
            "取組の表に、その年度の列と取組の行があるか確認してください"
        )


class OutputExistsError(UsageError):
    """Raised when a file to be written exists already and --force was not given."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        super().__init__(
            f"{self.path} はすでにあります (output exists). "
            "上書きするには --force を付けるか、別の出力先を指定してください"
        )


class TemplateOptionError(UsageError):
    """Raised when the options of ``kawaeval template`` do not fit together."""

    def __init__(self, option: str, problem: str):
        self.option = option
        self.problem = problem
        super().__init__(f"{option}: {problem}")


PDF_INSTALL_HINT = (
    "pip install 'kawaeval[pdf]' (make install does it); WeasyPrint also needs Pango: "
    "present on Debian/Ubuntu (apt-get install libpango-1.0-0 libpangoft2-1.0-0), on macOS "
    "brew install pango, on Windows install GTK/MSYS2 pango as WeasyPrint's installation "
    "guide says (https://doc.courtbouillon.org/weasyprint/stable/first_steps.html)"
)


class EditionUnavailableError(UsageError):
    """Raised when an edition is asked for (or kept from the last build) but what makes it is
    not installed; ``problem`` says what is missing."""

    problem: str


class PdfUnavailableError(EditionUnavailableError):
    """Raised when ``--pdf`` is asked for but WeasyPrint (or the Pango it needs) is missing."""

    def __init__(self, problem: str):
        self.problem = problem
        super().__init__(
            f"PDFを作成できません: WeasyPrint を読み込めません ({problem}). "
            f"To build the PDF, install it: {PDF_INSTALL_HINT}"
        )


DOCX_INSTALL_HINT = (
    "pip install 'kawaeval[docx]' (make install does it); it brings pandoc inside the"
    " pypandoc_binary wheel, nothing else to install"
)


class DocxUnavailableError(EditionUnavailableError):
    """Raised when ``--docx`` is asked for but pypandoc_binary (pandoc) is missing."""

    def __init__(self, problem: str):
        self.problem = problem
        super().__init__(
            f"Word ファイルを作成できません: pandoc を読み込めません ({problem}). "
            f"To build the Word file, install it: {DOCX_INSTALL_HINT}"
        )


class EditionRenderError(KawaevalError):
    """Raised when an edition of the report (PDF, Word) cannot be made; the previous report is
    left whole."""

    kind = "edition"
    kind_ja = "ファイル"

    def __init__(self, path: Path | str, problem: str):
        self.path = Path(path)
        self.problem = problem
        super().__init__(
            f"{self.kind_ja} {self.path.name} を作成できませんでした"
            f" (could not make the {self.kind}): {problem}\n"
            "  the previous report was left untouched"
        )


class PdfRenderError(EditionRenderError):
    """Raised when the report's PDF cannot be made; the previous report is left whole."""

    kind = kind_ja = "PDF"


class DocxRenderError(EditionRenderError):
    """Raised when the report's Word file cannot be made; the previous report is left whole."""

    kind = "Word file"
    kind_ja = "Word ファイル"


class BuildInterruptedError(KawaevalError):
    """Raised when a build was stopped by a signal; the reports not yet published are unchanged."""

    def __init__(self, signal_name: str, fiscal_years):
        self.signal_name = signal_name
        self.fiscal_years = list(fiscal_years)
        self.exit_code = 128 + {"SIGINT": 2, "SIGTERM": 15}.get(signal_name, 1)
        years = ", ".join(f"FY{y}" for y in self.fiscal_years)
        if not years:  # the signal came after the last report was published
            super().__init__(
                f"中断しましたが、レポートはすべて作成済みです (interrupted by {signal_name} "
                "after every report was written)"
            )
            return
        super().__init__(
            f"{years} の作成を中断しました (interrupted by {signal_name} while building {years});"
            " 前回のレポートはそのままです (the last report is unchanged)"
        )


class Interrupt(BaseException):
    """Raised in the main thread by the CLI's SIGINT/SIGTERM handler to stop a build (not a
    KawaevalError: a signal, not a fault).

    The build stops its kernels, removes its staging folders and raises
    :class:`BuildInterruptedError` in its place.
    """

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(signum)


class CommitteeSheetError(KawaevalError):
    """Raised when a returned evaluation sheet (基本目標評価シート) cannot be read as the
    committee's input: a name or content that contradicts the plan, or a value off its list.

    The message names the file, the sheet and the cell (as Excel shows them) and what to do.
    """

    def __init__(
        self,
        path: Path | str,
        sheet: str | None,
        cell: str | None,
        value,
        problem: str,
    ):
        self.path = Path(path)
        self.sheet = sheet
        self.cell = cell
        self.value = value
        self.problem = problem
        where = self.path.name
        if sheet is not None:
            where += f" シート「{sheet}」"
        if cell is not None:
            where += f" セル {cell}"
        shown = "" if value is None else f" 値「{value}」"
        super().__init__(f"{where}{shown}: {problem}")


class CommitteeConflictError(KawaevalError):
    """Raised when two inputs (judgements.csv and a returned sheet, or two sheets) give
    different values for the same goal, direction, year and item.

    ``first`` and ``second`` are the two places (file, row or sheet and cell); ``remedy`` says
    which file to remove (or which value to clear) to keep the other.
    """

    def __init__(
        self,
        what: str,
        first: str,
        first_value: str,
        second: str,
        second_value: str,
        remedy: str,
    ):
        self.what = what
        self.first = first
        self.second = second
        self.remedy = remedy
        super().__init__(
            f"{what}が2か所で異なります (two inputs disagree): "
            f"{first} は「{_short(first_value)}」、{second} は「{_short(second_value)}」です。"
            f"{remedy}"
        )


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class FinalCheckError(KawaevalError):
    """Raised by ``kawaeval build --final`` while the evaluation is not settled: a text still
    the rule's draft, a grade or verdict without the committee's decision, or a final grade
    that differs from its suggestion without a reason. ``places`` lists each."""

    def __init__(self, places: list[str]):
        self.places = list(places)
        lines = [
            f"確定版（--final）を作れません: 未確定の箇所が {len(self.places)} か所あります "
            f"({len(self.places)} places are not settled). 評価委員会の評価シートで確定してから、"
            "もう一度実行してください（--final を付けなければ作業用の版を作れます）:"
        ]
        lines += [f"  - {place}" for place in self.places]
        super().__init__("\n".join(lines))


class ProjectExistsError(UsageError):
    """Raised when ``kawaeval init`` is given a folder that already holds something."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)
        super().__init__(
            f"フォルダ {self.folder} は空ではありません (folder is not empty). "
            "kawaeval init は新しいフォルダにプロジェクトを作ります。別のフォルダを指定してください"
        )


class NotAReportError(KawaevalError):
    """Raised when a folder given to compare is not a built report nor a history entry."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        super().__init__(
            f"「{self.path}」は報告書のフォルダではありません (not a report folder: it holds no"
            " build-stamp.json or data/assessment.json). 報告書のフォルダ（reports/FY2021 など）"
            "か、履歴（reports/.history/FY2021/1-… など）を指定してください"
        )


class UnreadableReportError(KawaevalError):
    """Raised when a report folder to compare was made by a kawaeval whose files this one
    cannot read."""

    def __init__(self, path: Path | str, problem: str):
        self.path = Path(path)
        self.problem = problem
        super().__init__(
            f"「{self.path}」の報告書は、このバージョンの kawaeval では読み込めないため"
            f"比較できません (cannot be read by this kawaeval version): {problem}"
        )


class SinceNotFoundError(UsageError):
    """Raised when ``build --since`` names no history entry and no report folder."""

    def __init__(self, reference: str, fiscal_year: int, entries: list[str]):
        self.reference = reference
        self.fiscal_year = fiscal_year
        self.entries = list(entries)
        known = "、".join(self.entries) if self.entries else "（履歴はまだありません）"
        super().__init__(
            f"--since「{reference}」に当たる FY{fiscal_year} の報告書がありません"
            f" (--since takes a history entry number such as 1, an entry name or the start of"
            f" its digest, or a report folder). FY{fiscal_year} の履歴: {known}"
        )
