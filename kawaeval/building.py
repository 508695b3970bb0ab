"""``kawaeval build``: run the chapter notebooks with papermill and export an offline HTML report.

One report folder per fiscal year (``OUT/FY2021/``): ``index.html`` and one self-contained HTML
page per chapter, the executed notebooks, the cleaned data with its manifest and the
assessment, and a build stamp. A report is built in a temporary folder inside ``OUT`` and
replaces the previous one only when every chapter succeeded; two builds from the same inputs
give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
from papermill.exceptions import PapermillExecutionError

from kawaeval import __version__
from kawaeval.exceptions import ChapterExecutionError, UsageError
from kawaeval.paths import (
    NOTEBOOKS_DIR,
    PACKAGE_DIR,
    PROJECT_ROOT,
    RAW_DIR,
    REPORTS_DIR,
    TEMPLATES_DIR,
)
from kawaeval.plan import Plan, load_plan
from kawaeval.reading import file_sha256

if TYPE_CHECKING:
    from kawaeval.cleaning import CleanResult
    from kawaeval.executing import KernelPool

TEMPLATE_NAME = "kawaeval"
STAMP_FILE = "build-stamp.json"
ASSESSMENT_FILE = "assessment.json"
KERNEL_NAME = "python3"

# The chapters in reading order: (notebook stem, title). The goal chapter runs once per goal.
CHAPTERS = (
    ("01_plan", "第1章 計画と評価の方法"),
    ("02_achievement", "第2章 全取組の達成度"),
    ("03_highlights", "第3章 基本目標ごとの主な実績"),
    ("04_overall", "第4章 総合的な評価"),
)
GOAL_CHAPTER = ("05_goal", "第5章 基本目標{goal} {name}")


@dataclass(frozen=True)
class Chapter:
    """One page of the report: which notebook, under which name, with which extra parameters."""

    name: str
    notebook: Path
    title: str
    parameters: dict = field(default_factory=dict)


@dataclass(frozen=True)
class BuildResult:
    """What happened to one fiscal year: ``built`` or ``up to date``, and where the report is."""

    fiscal_year: int
    status: str
    report_dir: Path


def chapters_for(plan: Plan, goals: Sequence[int] | None = None) -> list[Chapter]:
    """The report's chapters for a plan: the fixed ones, then the goal chapter once per goal."""
    chapters = [Chapter(stem, NOTEBOOKS_DIR / f"{stem}.ipynb", title) for stem, title in CHAPTERS]
    stem, title = GOAL_CHAPTER
    for goal in goals if goals is not None else plan.goal_numbers:
        name = plan.goal_by_number(goal).name
        chapters.append(
            Chapter(
                f"{stem}{goal}",
                NOTEBOOKS_DIR / f"{stem}.ipynb",
                title.format(goal=goal, name=name),
                {"goal": goal},
            )
        )
    return chapters


def check_parameters(
    plan: Plan, fiscal_years: Sequence[int], goals: Sequence[int] | None = None
) -> None:
    """Refuse fiscal years and goals the plan does not have, naming the ones it has.

    Raises
    ------
    UsageError
        If a fiscal year is not a program year or a goal is not a goal of the plan.
    """
    years = plan.program_years
    unknown = [y for y in fiscal_years if y not in years]
    if unknown:
        raise UsageError(
            f"年度 {', '.join(map(str, unknown))} は{plan.program}の年度ではありません "
            f"(--fiscal-year must be one of: {', '.join(map(str, years))})"
        )
    if not fiscal_years:
        raise UsageError(
            f"年度を指定してください (--fiscal-year one of: {', '.join(map(str, years))})"
        )
    if goals is not None:
        bad = [g for g in goals if g not in plan.goal_numbers]
        if bad:
            raise UsageError(
                f"基本目標 {', '.join(map(str, bad))} は計画にありません "
                f"(goal must be one of: {', '.join(map(str, plan.goal_numbers))})"
            )


def source_date() -> str | None:
    """The build date from SOURCE_DATE_EPOCH (reproducible-builds.org), None when unset.

    Raises
    ------
    UsageError
        If SOURCE_DATE_EPOCH is set but is not a whole number of seconds.
    """
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if value is None or value == "":
        return None
    try:
        seconds = int(value)
    except ValueError:
        raise UsageError(
            f"SOURCE_DATE_EPOCH「{value}」は秒数ではありません"
            " (expected whole seconds since 1970-01-01, e.g. 1700000000)"
        ) from None
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d")


def git_commit() -> str | None:
    """The commit the package was built from, or None when this is not a git checkout."""
    if not (PROJECT_ROOT / ".git").exists():
        return None
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else None


def _package_sha256() -> str:
    """One digest of the package's code, data and templates, so an edited library rebuilds."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _display_path(path: Path) -> str:
    """A path as a report shows it: relative to the project when inside it, else its name only.

    Reports are mailed: they must not reveal where the records sat on someone's PC, and the
    same inputs in two folders must give the same bytes.
    """
    resolved = path.resolve()
    try:
        return resolved.relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return resolved.name


class _Progress:
    """Chapters done / total: a tqdm bar on a terminal, one plain line per chapter otherwise."""

    def __init__(self, total: int, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.lock = threading.Lock()
        self.done = 0
        self.total = total
        self.bar = None
        if total and hasattr(self.stream, "isatty") and self.stream.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc="kawaeval build", unit="章", file=self.stream)

    def chapter_done(self, fiscal_year: int, chapter: Chapter) -> None:
        with self.lock:
            self.done += 1
            if self.bar is not None:
                self.bar.set_postfix_str(f"FY{fiscal_year} {chapter.name}")
                self.bar.update(1)
            else:
                print(
                    f"FY{fiscal_year}: [{self.done}/{self.total}] {chapter.title} ({chapter.name})",
                    file=self.stream,
                    flush=True,
                )

    def skip(self, chapters: int) -> None:
        with self.lock:
            self.done += chapters
            if self.bar is not None:
                self.bar.update(chapters)

    def message(self, text: str) -> None:
        with self.lock:
            if self.bar is not None:
                self.bar.write(text, file=self.stream)
            else:
                print(text, file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def normalise_notebook(nb: nbformat.NotebookNode, chapter: Chapter, relative_output: str) -> None:
    """Remove what differs between two runs: timings, absolute paths, random cell ids, versions."""
    papermill = nb.metadata.get("papermill", {})
    nb.metadata["papermill"] = {
        "parameters": papermill.get("parameters", {}),
        "input_path": _display_path(chapter.notebook),
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


def export_html(nb: nbformat.NotebookNode, title: str, nav: str) -> str:
    """A chapter as one self-contained HTML page: no code, no prompts, no network resources."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        language_code="ja",
        embed_images=True,
        exclude_anchor_links=True,
    )
    nb = nbformat.from_dict(nb)
    nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(nb, resources={"kawaeval_nav": nav})
    return body


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def _write_json(path: Path, data: object) -> None:
    _write_text(path, json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def _execute(chapter: Chapter, output: Path, parameters: dict) -> None:
    """Run one chapter with papermill in a fresh kernel of this interpreter, in its folder."""
    import papermill

    papermill.execute_notebook(
        str(chapter.notebook),
        str(output),
        parameters=parameters,
        # The kernel's working folder, set per kernel: papermill's own ``cwd`` changes the
        # whole process's folder, which races when several years build in threads.
        resources={"metadata": {"path": str(output.parent)}},
        kernel_name=KERNEL_NAME,
        progress_bar=False,
        log_output=False,
        request_save_on_cell_execute=False,
        # the kernel's own log (unencrypted-TCP notice, interrupt at shutdown) is noise here
        extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
    )


def _keep_failed(out_dir: Path, fiscal_year: int, chapter: Chapter, executed: Path) -> Path:
    """Move the failed executed notebook (papermill's error banner included) out of the build."""
    failed_dir = out_dir / f"FY{fiscal_year}.failed"
    if failed_dir.exists():
        shutil.rmtree(failed_dir)
    target = failed_dir / "notebooks" / f"{chapter.name}.ipynb"
    target.parent.mkdir(parents=True)
    if executed.exists():
        shutil.move(str(executed), target)
    return target


def _publish(staging: Path, final: Path) -> None:
    """Put the finished report in place of the previous one (renames within one filesystem)."""
    old = None
    if final.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-", dir=final.parent))
        os.replace(final, old / final.name)
    os.replace(staging, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    failed = final.parent / f"{final.name}.failed"
    if failed.exists():
        shutil.rmtree(failed, ignore_errors=True)


def input_files(raw_dir: Path, manifest: dict) -> list[dict]:
    """Every input the report reads, with its SHA-256.

    The records come from the cleaning manifest; the optional judgements, highlights,
    indicators and notice files are found the way kawaeval.supplements finds them.
    """
    from kawaeval.supplements import FILE_STEMS, NOTICE_FILE, SUFFIXES

    files = [{"file": f["file"], "sha256": f["sha256"]} for f in manifest["files"]]
    names = [
        f"{stem}{suffix}" for stems in FILE_STEMS.values() for stem in stems for suffix in SUFFIXES
    ]
    for name in [*names, NOTICE_FILE]:
        path = raw_dir / name
        if path.is_file():
            files.append({"file": path.name, "sha256": file_sha256(path)})
    return sorted(files, key=lambda f: f["file"])


def _stamp(
    fiscal_year: int,
    inputs: list[dict],
    plan: dict,
    chapters: Sequence[Chapter],
    parameters: dict,
) -> dict:
    """Everything a report depends on; equal stamps mean the report would come out the same."""
    return {
        "package_version": __version__,
        "git_commit": git_commit(),
        "plan": plan,
        "inputs": inputs,
        "notebooks": {c.name: file_sha256(c.notebook) for c in chapters},
        "chapters": [{"name": c.name, "title": c.title, **c.parameters} for c in chapters],
        "package_sha256": _package_sha256(),
        "parameters": {"fiscal_year": fiscal_year, **parameters},
        "source_date_epoch": os.environ.get("SOURCE_DATE_EPOCH") or None,
    }


def _read_stamp(report_dir: Path) -> dict | None:
    try:
        return json.loads((report_dir / STAMP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def build_year(
    fiscal_year: int,
    raw_dir: Path,
    out_dir: Path,
    chapters: Sequence[Chapter],
    force: bool = False,
    allow_rejects: bool = False,
    progress: _Progress | None = None,
    records: CleanResult | None = None,
    pool: KernelPool | None = None,
) -> BuildResult:
    """Build (or skip as up to date) the report of one fiscal year into ``out_dir/FY<year>/``.

    ``records`` is the cleaning result when the caller has just cleaned ``raw_dir``; every
    chapter then presents the one assessment computed from it.

    Raises
    ------
    InputFileError, PlanDefinitionError, RejectedRowsError, ManifestMismatchError, NoRecordsError
        If the records cannot be cleaned (no kernel has started).
    ChapterExecutionError
        If a chapter fails; the previous report is left as it was.
    """
    from kawaeval.assessing import assess, check_records
    from kawaeval.cleaning import clean_records, write_outputs
    from kawaeval.presenting import index_page, page_nav
    from kawaeval.supplements import load_supplements

    progress = progress or _Progress(0)
    final = out_dir / f"FY{fiscal_year}"
    if records is None:
        records = clean_records(raw_dir, out_dir=None, allow_rejects=allow_rejects)
        check_records(records.tidy, fiscal_year, raw_dir)
    manifest = records.manifest
    parameters = {"raw_dir": _display_path(raw_dir), "allow_rejects": allow_rejects}
    inputs = input_files(raw_dir, manifest)
    stamp = _stamp(fiscal_year, inputs, manifest["plan"], chapters, parameters)
    if not force and final.is_dir() and _read_stamp(final) == stamp:
        progress.skip(len(chapters))
        progress.message(f"FY{fiscal_year}: up to date ({final}; --force rebuilds it)")
        return BuildResult(fiscal_year, "up to date", final)

    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".FY{fiscal_year}.tmp-", dir=out_dir))
    staging.chmod(0o755)  # mkdtemp makes it private; the published report is for readers
    try:
        write_outputs(records, staging / "data")
        supplements = load_supplements(raw_dir, records.plan)
        assessment = assess(records.tidy, records.plan, fiscal_year, supplements, records.rejected)
        _write_json(staging / "data" / ASSESSMENT_FILE, assessment)

        # Chapters run in notebooks/ and read the assessment by a relative path, so the
        # executed notebooks name no temporary or machine-specific folder.
        notebook_parameters = {
            "allow_rejects": allow_rejects,
            "fiscal_year": fiscal_year,
            "assessment_json": f"../data/{ASSESSMENT_FILE}",
        }
        (staging / "notebooks").mkdir()
        executed = []
        for chapter in chapters:
            output = staging / "notebooks" / f"{chapter.name}.ipynb"
            try:
                if pool is None:
                    _execute(chapter, output, {**notebook_parameters, **chapter.parameters})
                else:
                    pool.execute(
                        chapter.notebook,
                        output,
                        {**notebook_parameters, **chapter.parameters},
                        output.parent,
                    )
            except PapermillExecutionError as exc:
                kept = _keep_failed(out_dir, fiscal_year, chapter, output)
                raise ChapterExecutionError(
                    f"{chapter.title} ({chapter.notebook.name})",
                    kept,
                    exc.cell_index,
                    exc.ename,
                    exc.evalue,
                ) from None
            nb = nbformat.read(output, as_version=4)
            normalise_notebook(nb, chapter, f"notebooks/{chapter.name}.ipynb")
            nbformat.write(nb, output)
            executed.append((chapter, nb))
            progress.chapter_done(fiscal_year, chapter)

        pages = [(c.title, f"{c.name}.html") for c in chapters]
        for i, (chapter, nb) in enumerate(executed):
            nav = page_nav(
                pages[i - 1] if i else None, pages[i + 1] if i + 1 < len(pages) else None
            )
            _write_text(staging / f"{chapter.name}.html", export_html(nb, chapter.title, nav))

        provenance = {
            "package_version": __version__,
            "git_commit": stamp["git_commit"],
            "source_date": source_date(),
            "parameters": {"fiscal_year": fiscal_year, **parameters},
            "plan": (manifest["plan"]["file"], manifest["plan"]["sha256"]),
            "inputs": [(f["file"], f["sha256"]) for f in inputs],
        }
        _write_text(staging / "index.html", index_page(assessment, pages, provenance))
        _write_json(staging / STAMP_FILE, stamp)
        _publish(staging, final)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    progress.message(f"FY{fiscal_year}: report written to {final / 'index.html'}")
    return BuildResult(fiscal_year, "built", final)


def build_reports(
    fiscal_years: Sequence[int],
    raw_dir: Path = RAW_DIR,
    out_dir: Path = REPORTS_DIR,
    jobs: int = 1,
    force: bool = False,
    allow_rejects: bool = False,
    goals: Sequence[int] | None = None,
    chapters: Sequence[Chapter] | None = None,
    progress_stream=None,
    warm_kernels: bool = True,
) -> list[BuildResult]:
    """Build the report of each fiscal year, up to ``jobs`` years at once.

    Parameters are checked, and the records cleaned, before any kernel starts. ``goals``
    limits the goal chapters (default: every goal of the plan); ``chapters`` replaces the
    chapter list altogether (tests use it).

    Raises
    ------
    UsageError
        If a fiscal year or goal is not the plan's, or ``jobs`` is below 1.
    InputFileError, PlanDefinitionError, RejectedRowsError, ManifestMismatchError, NoRecordsError
        If the records cannot be cleaned.
    ChapterExecutionError
        If a chapter fails (the other years still finish; the first failure is raised).
    """
    from kawaeval.assessing import check_records
    from kawaeval.cleaning import clean_records

    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    if jobs < 1:
        raise UsageError("--jobs must be 1 or more")
    plan = load_plan(raw_dir)
    years = list(dict.fromkeys(fiscal_years))
    check_parameters(plan, years, goals)
    source_date()
    if chapters is None:
        chapters = chapters_for(plan, goals)
    from kawaeval.executing import KernelPool

    # Entered before cleaning: the kernels' zygote imports on another core meanwhile.
    kernels = KernelPool(jobs, warm=warm_kernels).__enter__()
    try:
        records = clean_records(raw_dir, out_dir=None, allow_rejects=allow_rejects)
        for year in years:
            check_records(records.tidy, year, raw_dir)
    except BaseException:
        kernels.shutdown()
        raise

    progress = _Progress(len(years) * len(chapters), progress_stream)

    def run(year: int) -> BuildResult:
        return build_year(
            year, raw_dir, out_dir, chapters, force, allow_rejects, progress, records, kernels
        )

    try:
        if jobs == 1 or len(years) == 1:
            return [run(year) for year in years]
        with ThreadPoolExecutor(max_workers=min(jobs, len(years))) as pool:
            futures = [pool.submit(run, year) for year in years]
            try:
                errors = [f.exception() for f in futures]
            except BaseException:  # Ctrl-C: stop the kernels now, so that the threads end
                kernels.shutdown()
                raise
        for error in errors:
            if error is not None:
                raise error
        return [f.result() for f in futures]
    finally:
        kernels.shutdown()
        progress.close()
