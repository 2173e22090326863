"""``homekit`` command line: a thin layer over the Python API.

Exit codes: 0 success; 1 the input has problems (validate), some sites failed (run) or the audit
pinned down a cell (audit); 2 bad usage or a run stopped before writing anything; 3 the run
finished but its disclosure audit failed (do not publish); 130 interrupted (Ctrl-C). Each
subcommand's ``--help`` lists its own, with a description, examples and every option's default.
"""

from __future__ import annotations

import argparse
import sys

from . import __version__
from .exceptions import HomekitError, ValidationError

__all__ = ["main"]


def _cmd_validate(args) -> int:
    from .loaders import load_data_dir

    try:
        data = load_data_dir(args.data_dir)
    except ValidationError as err:
        print(err.table(limit=None if args.all else 200))
        return 1
    summary = data.summary()
    print(f"{args.data_dir}: valid")
    print(summary.to_string(index=False))
    return 0


def _cmd_example_data(args) -> int:
    from .example_data import write_example_data

    try:
        files = write_example_data(args.directory, fmt=args.format, scale=args.scale, n_sites=args.sites, overwrite=args.overwrite)
    except FileExistsError as exc:
        print(f"homekit example-data: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {len(files)} files to {args.directory}")
    return 0


def _cmd_init(args) -> int:
    from .resources import init_project

    files = init_project(args.directory)
    print(f"wrote {len(files)} files to {args.directory}: parameters/, data/ (templates in data/templates/), notebooks/")
    print(f"next: cd {args.directory} && homekit run --data-dir data --output-dir reports")
    return 0


def _cmd_templates(args) -> int:
    from .templates import write_templates

    files = write_templates(args.directory)
    print(f"wrote {len(files)} templates to {args.directory}")
    return 0


def _cmd_run(args) -> int:
    from .exceptions import ValidationError as VErr
    from .pipeline import OutputExistsError, RunInterrupted, run

    sites = [s.strip() for s in args.sites.split(",") if s.strip()] if args.sites else None
    names = []
    if args.redact_names:
        names = [n.strip() for n in open(args.redact_names, encoding="utf-8").read().splitlines() if n.strip()]
    try:
        result = run(args.data_dir, args.output_dir, sites=sites, jobs=args.jobs, timeout=args.timeout, overwrite=args.overwrite,
                     update=args.update, executor=args.executor, scheduler=args.scheduler, parameters_dir=args.parameters, work_dir=args.work_dir,
                     progress=not args.quiet, redact_names=names, notebooks_dir=args.keep_notebooks or None, cache=not args.no_cache)
    except VErr as err:
        print(err.table(limit=None if args.all else 200))
        print("homekit run: the data has problems; nothing was written.", file=sys.stderr)
        return 2
    except OutputExistsError as exc:
        print(f"homekit run: {exc}", file=sys.stderr)
        return 2
    except RunInterrupted as exc:
        print(f"homekit run: {exc}", file=sys.stderr)
        return 130
    for s in result.failed:
        print(f"FAILED {s.site_id}: {s.error}")
    if result.national.status != "ok":
        print(f"FAILED national synthesis: {result.national.error}")
    ok = len(result.sites) - len(result.failed)
    kept = sum(s.kept for s in result.sites)
    note = f" ({kept} unchanged and kept{', national kept' if result.national.kept else ''})" if args.update else ""
    print(f"{ok} of {len(result.sites)} sites succeeded; national synthesis: {result.national.status}{note}")
    if result.audit is not None:
        print(result.audit.get("summary", ""))
        if result.audit_failed:
            print(f"homekit run: DISCLOSURE AUDIT FAILED: {result.audit.get('summary', '')}; do not publish "
                  f"(homekit audit {result.output_dir} --all lists every finding)", file=sys.stderr)
    print(result.output_dir / "index.html")
    return result.exit_code


def _cmd_audit(args) -> int:
    import json
    from pathlib import Path

    from .audit import AuditPolicy, audit

    out = Path(args.output_dir)
    if not (out / "sites").is_dir() and not (out / "national").is_dir():
        print(f"homekit audit: {out} holds no published run (no sites/ or national/ folder)", file=sys.stderr)
        return 2
    result = audit(out, policy=AuditPolicy(time_limit=args.time_limit))
    print(result.table(limit=None if args.all else 50))
    for note in result.notes[:10]:
        print(f"note: {note}")
    if args.json:
        Path(args.json).write_text(json.dumps({**result.verdict(first=len(result.findings)), "output_dir": str(out)}, indent=2))
    return result.exit_code


def _cmd_redact_check(args) -> int:
    from .redact import redact_check

    names = []
    if args.names:
        names = [n.strip() for n in open(args.names, encoding="utf-8").read().splitlines() if n.strip()]
    findings = redact_check(args.output_dir, data_dir=args.data_dir, names=names)
    for f in findings:
        print(f)
    if findings:
        print(f"{len(findings)} finding(s): personal data or unpublished text in {args.output_dir}")
        return 1
    print(f"{args.output_dir}: no personal data, raw rows or unapproved text found")
    return 0


EXIT_CODES = {
    "validate": "0 the data is valid; 1 the data has problems (all listed); 2 bad usage",
    "example-data": "0 written; 2 the folder holds files (pass --overwrite) or bad usage",
    "init": "0 written; 2 the folder exists and is not empty, or bad usage",
    "run": ("0 every site and the national synthesis succeeded and the disclosure audit passed; 1 some failed (the others "
            "are kept); 2 nothing ran: the data has problems, a notebook or parameter file is missing, or the output folder "
            "holds something (pass --overwrite); 3 everything ran but the disclosure audit failed (do not publish); "
            "130 interrupted (Ctrl-C): index.html and manifest.json say what finished"),
    "redact-check": "0 nothing found; 1 personal data or unapproved text found; 2 bad usage",
    "audit": "0 nothing can be worked back; 1 some published cell can be pinned down (listed); 2 no run in the folder",
    "templates": "0 written; 2 bad usage",
}


def _subcommand(sub, name: str, summary: str, description: str, examples: list[str]):
    text = "examples:\n" + "\n".join(f"  {e}" for e in examples) + f"\n\nexit codes:\n  {EXIT_CODES[name]}"
    return sub.add_parser(name, help=summary, description=f"{summary[0].upper()}{summary[1:]}.\n\n{description}", epilog=text,
                          formatter_class=_Formatter)


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the description's line breaks and shows every option's default (unless its help
    already says it)."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "default" in text or "required" in text or action.default is argparse.SUPPRESS or not action.option_strings:
            return text
        if isinstance(action, argparse._StoreTrueAction):
            return f"{text} (default: off)"
        return f"{text} (default: {action.default if action.default is not None else 'none'})"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="homekit", formatter_class=_Formatter,
        description="Home Truths site data: validate the exports, analyse them and build the reports.\n\n"
                    "Start with `homekit init my-project`, put the site exports in my-project/data, then from\n"
                    "my-project run `homekit validate data` and `homekit run --data-dir data --output-dir reports`.",
        epilog="examples:\n  homekit init my-project\n  homekit example-data data\n  homekit validate data\n"
               "  homekit run --data-dir data --output-dir reports\n  homekit run --help\n\n"
               "exit codes: 0 success, 1 the input has problems or some sites failed, 2 nothing was done "
               "(bad usage, missing files, an output folder in use), 130 interrupted; see each command's --help")
    parser.add_argument("--version", action="version", version=f"homekit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = _subcommand(sub, "init", "write a project folder of your own",
                    "DIRECTORY gets parameters/ (the default settings, to edit), data/ (empty; data/templates/ holds an\n"
                    "empty file per instrument, the data dictionary and a data-entry workbook) and notebooks/ (to open\n"
                    "in JupyterLab). `homekit run` started in DIRECTORY uses its parameters/.",
                    ["homekit init my-project", "cd my-project && homekit run --data-dir data --output-dir reports"])
    p.add_argument("directory", help="the project folder to create (must not exist, or be empty)")
    p.set_defaults(func=_cmd_init)

    p = _subcommand(sub, "validate", "check a data folder; print every problem (exit 1) or a row count summary",
                    "Reads every instrument file of DATA_DIR (CSV, XLSX or SPSS .sav) and checks it against the data\n"
                    "contract. Problems are listed with file, row, column, value and what was expected.",
                    ["homekit validate data", "homekit validate data --all > problems.txt"])
    p.add_argument("data_dir", help="the data folder (sites.csv and one file per instrument)")
    p.add_argument("--all", action="store_true", help="print every problem, not only the first 200")
    p.set_defaults(func=_cmd_validate)

    p = _subcommand(sub, "example-data", "write the calibrated synthetic example data set",
                    "Eleven example sites calibrated to the published Home Truths figures; more sites or a larger\n"
                    "scale for benchmarks. Every file is synthetic.",
                    ["homekit example-data data", "homekit example-data big --sites 150 --scale 2", "homekit example-data xl --format xlsx"])
    p.add_argument("directory", help="the folder to write")
    p.add_argument("--format", choices=["csv", "xlsx", "sav"], default="csv", help="file format")
    p.add_argument("--scale", type=int, default=1, help="multiply respondent and case counts")
    p.add_argument("--sites", type=int, default=None, help="number of sites (beyond 11: synthetic sites for benchmarks; default: the 11)")
    p.add_argument("--overwrite", action="store_true", help="replace the files of an existing folder")
    p.set_defaults(func=_cmd_example_data)

    p = _subcommand(sub, "run", "validate, then build every site report and the national synthesis",
                    "Validates DATA_DIR first (any problem: exit 2, nothing written), then runs the site notebook of\n"
                    "every site in worker processes and the national synthesis, and writes OUTPUT_DIR/index.html,\n"
                    "manifest.json, sites/<site_id>/ and national/. Parameters come from --parameters DIR when given,\n"
                    "else ./parameters when the current folder has one (a project from `homekit init`), else the\n"
                    "defaults packaged with homekit; the manifest says which. Ctrl-C stops every worker, removes the\n"
                    "temporary files and leaves an index and manifest that say what finished.",
                    ["homekit run --data-dir data --output-dir reports",
                     "homekit run --data-dir data --output-dir reports --sites barnsley,wiltshire --jobs 4",
                     "homekit run --data-dir data --output-dir reports --overwrite --parameters my-parameters",
                     "homekit run --data-dir data --output-dir reports --update     # after correcting one site's data",
                     "homekit run --executor dask --scheduler tcp://HOST:8786 --data-dir /shared/data "
                     "--output-dir /shared/reports --work-dir /shared/work"])
    p.add_argument("--data-dir", required=True, help="the data folder (required)")
    p.add_argument("--output-dir", required=True, help="where the reports go (required; must be new, empty or a previous run)")
    p.add_argument("--sites", help="comma-separated site ids (default: all sites)")
    p.add_argument("--jobs", type=int, default=2, help="site notebooks run at once (local executor)")
    p.add_argument("--timeout", type=float, default=900, help="time limit per notebook, seconds (the national synthesis gets twice)")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--overwrite", action="store_true", help="replace a previous (or interrupted) run in the output folder")
    how.add_argument("--update", action="store_true",
                     help="over a previous (or interrupted) run: re-run only the sites whose data slice, parameters, notebook, "
                          "disclosure rules or homekit version changed, and the national synthesis if its inputs changed; "
                          "keep every other report as it is (default: off)")
    p.add_argument("--executor", choices=["local", "dask"], default="local", help="where notebooks run")
    p.add_argument("--scheduler", help="Dask scheduler address (with --executor dask), e.g. tcp://host:8786")
    p.add_argument("--parameters", help="parameters folder (default: ./parameters if present, else the packaged defaults)")
    p.add_argument("--work-dir", help="folder for the run's private working files; must be shared with Dask workers "
                                      "(default: a temporary folder, removed at the end)")
    p.add_argument("--redact-names", help="file of names (one per line) to remove from published quotes")
    p.add_argument("--keep-notebooks", metavar="DIR", help="keep every executed notebook in DIR (outside the output folder) "
                   "for debugging; they are never published")
    p.add_argument("--no-cache", action="store_true",
                   help="keep nothing of this run in homekit's cache folder (~/.cache/homekit or $HOMEKIT_CACHE), and use "
                        "nothing kept there: a later --update then gates and audits everything again (default: off)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--all", action="store_true", help="print every validation problem, not only the first 200")
    p.set_defaults(func=_cmd_run)

    p = _subcommand(sub, "redact-check", "scan an output folder for personal data and raw rows (exit 1 when found)",
                    "Looks through every file of OUTPUT_DIR (HTML, CSV, xlsx, notebooks) for personal data, and with\n"
                    "--data-dir for unapproved interview text and raw rows of the data.",
                    ["homekit redact-check reports", "homekit redact-check reports --data-dir data --names names.txt"])
    p.add_argument("output_dir", help="a folder written by `homekit run`")
    p.add_argument("--data-dir", help="the run's data folder: also look for unapproved text and raw rows")
    p.add_argument("--names", help="file of names (one per line) that must not appear")
    p.set_defaults(func=_cmd_redact_check)

    p = _subcommand(sub, "audit", "attack a run's published files; list every cell that can be pinned down (exit 1 if any)",
                    "Tries to work back every suppressed or rounded cell of OUTPUT_DIR from what is published (the\n"
                    "same attack that ends every `homekit run`). A finding means: do not publish these files.",
                    ["homekit audit reports", "homekit audit reports --all --json audit.json"])
    p.add_argument("output_dir", help="a folder written by `homekit run`")
    p.add_argument("--all", action="store_true", help="list every finding, not only the first 50")
    p.add_argument("--json", help="also write the verdict and every finding to this JSON file")
    p.add_argument("--time-limit", type=float, default=120.0, help="seconds for the whole audit, at least (and 1 s per 1,000 counts checked; unsettled counts fail it)")
    p.set_defaults(func=_cmd_audit)

    p = _subcommand(sub, "templates", "write empty CSV templates, the dictionary and the data-entry workbook",
                    "One empty CSV per instrument with its header, dictionary.csv (every column with its question,\n"
                    "type, scale and allowed values) and homekit_data_entry.xlsx with drop-down lists.",
                    ["homekit templates data_templates"])
    p.add_argument("directory", help="the folder to write (created if needed)")
    p.set_defaults(func=_cmd_templates)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except HomekitError as exc:
        print(f"homekit {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"homekit {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
