"""The `kawaeval` command: clean, assess and build, as the data contract defines them;
diff (what changed between two reports); template (the bureaus' input workbook); sheets (the
committee's evaluation sheets); init and lab (a project folder of one's own).

The project folder (``data/raw/``, ``data/processed/``, ``reports/``) is what ``--raw`` and
``--out`` say, else ``$KAWAEVAL_HOME``, else the current folder (:mod:`kawaeval.paths`).
Exit codes: 0 success; 1 bad input or a failed notebook; 2 wrong usage.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path

from kawaeval.exceptions import BuildInterruptedError, Interrupt, KawaevalError
from kawaeval.paths import (
    HOME_VARIABLE,
    default_processed_dir,
    default_raw_dir,
    default_reports_dir,
    project_home,
)
from kawaeval.version import __version__

log = logging.getLogger("kawaeval")
PROJECT = f"of the project: ${HOME_VARIABLE}, else the current folder"


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kawaeval",
        description="Turn initiative records into the policy-evaluation report.",
    )
    parser.add_argument("--version", action="version", version=f"kawaeval {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log each step")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--raw", type=Path, help=f"raw folder (default: data/raw/ {PROJECT})")
        p.add_argument(
            "--allow-rejects",
            action="store_true",
            help="go on when rows are rejected (they are reported, not used)",
        )

    clean = sub.add_parser("clean", help="raw records -> validated tidy tables")
    common(clean)
    clean.add_argument(
        "--out", type=Path, help=f"output folder (default: data/processed/ {PROJECT})"
    )

    assess = sub.add_parser("assess", help="print the assessment of one fiscal year")
    common(assess)
    assess.add_argument("--fiscal-year", type=int, required=True, metavar="YYYY")
    assess.add_argument("--json", action="store_true", required=True, help="print JSON")

    build = sub.add_parser("build", help="execute the report notebooks and export HTML")
    common(build)
    build.add_argument(
        "--fiscal-year",
        type=int,
        action="append",
        required=True,
        metavar="YYYY",
        help="fiscal year to report on; repeat for several",
    )
    build.add_argument("--out", type=Path, help=f"reports folder (default: reports/ {PROJECT})")
    build.add_argument(
        "--jobs",
        type=_positive_int,
        default=None,
        metavar="N",
        help="chapters run at once, across all years (default: every CPU this process may use)",
    )
    build.add_argument(
        "--force", action="store_true", help="rebuild even when the report is up to date"
    )
    build.add_argument(
        "--pdf",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also write the whole report as one tagged PDF beside the HTML (needs"
        " kawaeval[pdf]); kept on later builds until --no-pdf",
    )
    build.add_argument(
        "--docx",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also write the whole report as one Word file beside the HTML (needs"
        " kawaeval[docx]); kept on later builds until --no-docx",
    )
    build.add_argument(
        "--final",
        action="store_true",
        help="the publishing build: refuse while a text is a draft, a grade or verdict lacks the "
        "committee's decision, or a changed grade lacks its reason",
    )
    build.add_argument(
        "--since",
        metavar="REF",
        help="the change record compares with this history entry (number, name or digest) or"
        " report folder instead of the previous different report",
    )

    diff = sub.add_parser(
        "diff", help="what changed between two built reports (folders or history entries)"
    )
    diff.add_argument("old", type=Path, metavar="OLD", help="the older report folder")
    diff.add_argument("new", type=Path, metavar="NEW", help="the newer report folder")
    diff.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="also write changes.html and data/changes.csv into this folder",
    )

    template = sub.add_parser(
        "template", help="the bureaus' input workbook (blank, or carried forward from the records)"
    )
    template.add_argument(
        "--raw",
        type=Path,
        default=None,
        help="raw folder: its plan.toml and, with --fiscal-year, its records"
        f" (default: data/raw/ {PROJECT})",
    )
    template.add_argument(
        "--fiscal-year",
        type=int,
        metavar="YYYY",
        help="carry the records forward: earlier years filled and locked, this year to fill",
    )
    template.add_argument(
        "--by-bureau", action="store_true", help="one workbook per bureau; --out is a folder"
    )
    template.add_argument(
        "--allow-rejects",
        action="store_true",
        help="go on when rows are rejected (they are left out of the workbook)",
    )
    template.add_argument("--force", action="store_true", help="replace existing workbooks")
    template.add_argument(
        "--out", type=Path, required=True, help="workbook (取組_*.xlsx), or folder with --by-bureau"
    )
    sheets = sub.add_parser(
        "sheets", help="the committee's evaluation sheets (基本目標評価シート) of one fiscal year"
    )
    common(sheets)
    sheets.add_argument("--fiscal-year", type=int, required=True, metavar="YYYY")
    sheets.add_argument("--force", action="store_true", help="replace existing sheets")
    sheets.add_argument(
        "--out",
        type=Path,
        required=True,
        help="folder for the workbooks (one per goal, one for all)",
    )

    init = sub.add_parser(
        "init", help="a new project folder: the sample records and a plan.toml in data/raw/"
    )
    init.add_argument("folder", type=Path, metavar="DIR", help="the new folder (empty or absent)")

    lab = sub.add_parser(
        "lab",
        help="JupyterLab on the chapters, copied into DIR/notebooks/ (other options: jupyter's)",
        usage="kawaeval lab [-h] [DIR] [jupyter lab options, e.g. --no-browser --allow-root]",
        description="Copy the chapter notebooks (and explore.ipynb) into DIR/notebooks/, keeping"
        " those already there, and start JupyterLab on them with KAWAEVAL_HOME=DIR, so that a"
        " notebook's default records are DIR/data/raw/. Options kawaeval does not know are"
        " passed to jupyter lab.",
    )
    lab.add_argument(
        "folder",
        type=Path,
        nargs="?",
        metavar="DIR",
        help=f"the project folder (default: ${HOME_VARIABLE}, else the current folder)",
    )
    return parser


def _run_sheets(args) -> int:
    from kawaeval.forms.evaluation_sheets import make_sheets

    result = make_sheets(
        args.out,
        raw_dir=args.raw or default_raw_dir(),
        fiscal_year=args.fiscal_year,
        allow_rejects=args.allow_rejects,
        force=args.force,
    )
    for path in result.files:
        print(f"wrote {path}", file=sys.stderr)
    return 0


def _run_clean(args) -> int:
    from kawaeval.records.cleaning import clean_records

    args.raw = args.raw or default_raw_dir()
    args.out = args.out or default_processed_dir()
    result = clean_records(args.raw, out_dir=args.out, allow_rejects=args.allow_rejects)
    totals = result.manifest["totals"]
    excluded = totals["excluded_rows"]
    excluded = f", {excluded} excluded (totals and notes)" if excluded else ""
    print(
        f"cleaned {totals['raw_rows']} raw rows from {len(result.manifest['files'])} file(s): "
        f"{totals['accepted_rows']} accepted, {totals['rejected_rows']} rejected{excluded} "
        f"-> {args.out}",
        file=sys.stderr,
    )
    return 0


def _run_assess(args) -> int:
    from kawaeval.evaluation.assessing import assess_records

    raw = args.raw or default_raw_dir()
    assessment = assess_records(raw, fiscal_year=args.fiscal_year, allow_rejects=args.allow_rejects)
    print(assessment.to_json())
    return 0


def _run_build(args) -> int:
    """Build the reports; SIGINT and SIGTERM stop it cleanly (exit 130 / 143, one line)."""
    from kawaeval.build import building

    interrupted = []

    def stop(signum, frame):
        if not interrupted:  # a second Ctrl-C while cleaning up is ignored
            interrupted.append(signum)
            raise Interrupt(signum)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        building.build_reports(
            fiscal_years=args.fiscal_year,
            raw_dir=args.raw or default_raw_dir(),
            out_dir=args.out or default_reports_dir(),
            jobs=args.jobs,
            force=args.force,
            allow_rejects=args.allow_rejects,
            pdf=args.pdf,
            docx=args.docx,
            final=args.final,
            since=args.since,
        )
    except Interrupt as exc:  # before the build had begun
        raise BuildInterruptedError(signal.Signals(exc.signum).name, args.fiscal_year) from None
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0


def _run_diff(args) -> int:
    """Compare two reports: a short summary on stdout, the page and CSV with --out."""
    from kawaeval.build.history import diff_reports
    from kawaeval.common.text import era_year
    from kawaeval.exceptions import UsageError
    from kawaeval.report.changes import CHANGES_CSV, CHANGES_PAGE, summary, write_change_record

    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out {args.out} はフォルダではありません (--out must be a folder)")
    record = diff_reports(args.old, args.new)
    comparison = record.comparison
    print(
        f"{record.old.label}（{era_year(comparison.old_year)}）→ "
        f"{record.new.label}（{era_year(comparison.new_year)}）"
    )
    if comparison.empty:
        print("取組の記録と評価に変更はありません (no differences)")
    for what, count in summary(record):
        print(f"{what}: {count}件")
    if args.out is not None:
        write_change_record(args.out, record, back_link=False)
        print(
            f"wrote {args.out / CHANGES_PAGE} and {args.out / 'data' / CHANGES_CSV}",
            file=sys.stderr,
        )
    return 0


def _run_template(args) -> int:
    from kawaeval.forms.input_form import make_templates

    result = make_templates(
        args.out,
        raw_dir=args.raw,
        fiscal_year=args.fiscal_year,
        by_bureau=args.by_bureau,
        allow_rejects=args.allow_rejects,
        force=args.force,
    )
    if result.rejected is not None and len(result.rejected):
        rows = len(result.rejected[["file", "row"]].drop_duplicates())
        print(
            f"warning: {rows} 行は受け付けられなかったため、ワークブックに含めていません "
            f"({rows} rejected rows left out; run kawaeval clean to list them)",
            file=sys.stderr,
        )
    for path, count in result.files.items():
        what = "blank form" if args.fiscal_year is None else f"{count} initiatives"
        print(f"wrote {path} ({what})", file=sys.stderr)
    return 0


def _run_init(args) -> int:
    from kawaeval.plan import load_plan
    from kawaeval.project import init_project

    written = init_project(args.folder)
    raw = args.folder / "data" / "raw"
    print(f"wrote {len(written)} files to {raw}", file=sys.stderr)
    year = load_plan(raw).program_years[-1]
    print(
        f"next: cd {args.folder} && kawaeval build --fiscal-year {year}"
        f"  (or kawaeval lab {args.folder})",
        file=sys.stderr,
    )
    return 0


def _run_lab(args) -> int:
    """Start JupyterLab in place of this process (its Ctrl-C and exit code are JupyterLab's)."""
    from kawaeval.project import prepare_lab

    folder = args.folder or project_home()
    if not (folder / "data" / "raw").is_dir():
        print(
            f"kawaeval lab: note: {folder} has no data/raw/; set raw_dir in a notebook's"
            f" parameters cell, or make the folder with kawaeval init",
            file=sys.stderr,
        )
    lab = prepare_lab(folder, sys.executable, args.jupyter_args)
    for path in lab.copied:
        print(f"copied {path}", file=sys.stderr)
    for path in lab.kept:
        print(f"kept {path} (already there)", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        os.execve(lab.argv[0], lab.argv, lab.env)
    import subprocess  # pragma: no cover - Windows has no exec that keeps the console

    return subprocess.call(lab.argv, env=lab.env)  # pragma: no cover


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script and of ``python -m kawaeval``."""
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "lab":
        args.jupyter_args = extra
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    run = {
        "clean": _run_clean,
        "assess": _run_assess,
        "build": _run_build,
        "diff": _run_diff,
        "template": _run_template,
        "sheets": _run_sheets,
        "init": _run_init,
        "lab": _run_lab,
    }[args.command]
    try:
        return run(args)
    except BuildInterruptedError as exc:
        print(f"kawaeval {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KawaevalError as exc:
        print(f"kawaeval {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # disk full, no permission, folder vanished: not a bug in the data
        print(f"kawaeval {args.command}: error: {exc}", file=sys.stderr)
        return 1
