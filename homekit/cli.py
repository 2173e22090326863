"""``homekit`` command line: a thin layer over the Python API.

Exit codes: 0 success; 1 the input has problems (validate), some sites failed (run) or the audit
pinned down a cell (audit); 2 bad usage or a run stopped before writing anything; 3 the run
finished but its disclosure audit failed (do not publish).
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


def _cmd_templates(args) -> int:
    from .templates import write_templates

    files = write_templates(args.directory)
    print(f"wrote {len(files)} templates to {args.directory}")
    return 0


def _cmd_run(args) -> int:
    from .exceptions import ValidationError as VErr
    from .pipeline import OutputExistsError, run

    sites = [s.strip() for s in args.sites.split(",") if s.strip()] if args.sites else None
    names = []
    if args.redact_names:
        names = [n.strip() for n in open(args.redact_names, encoding="utf-8").read().splitlines() if n.strip()]
    try:
        result = run(args.data_dir, args.output_dir, sites=sites, jobs=args.jobs, timeout=args.timeout, overwrite=args.overwrite,
                     executor=args.executor, scheduler=args.scheduler, parameters_dir=args.parameters, work_dir=args.work_dir,
                     progress=not args.quiet, redact_names=names, notebooks_dir=args.keep_notebooks or None)
    except VErr as err:
        print(err.table(limit=None if args.all else 200))
        print("homekit run: the data has problems; nothing was written.", file=sys.stderr)
        return 2
    except OutputExistsError as exc:
        print(f"homekit run: {exc}", file=sys.stderr)
        return 2
    for s in result.failed:
        print(f"FAILED {s.site_id}: {s.error}")
    if result.national.status != "ok":
        print(f"FAILED national synthesis: {result.national.error}")
    ok = len(result.sites) - len(result.failed)
    print(f"{ok} of {len(result.sites)} sites succeeded; national synthesis: {result.national.status}")
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="homekit", description="Home Truths site data: validate, analyse, report.")
    parser.add_argument("--version", action="version", version=f"homekit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check a data folder; print every problem (exit 1) or a row count summary")
    p.add_argument("data_dir")
    p.add_argument("--all", action="store_true", help="print every problem, not only the first 200")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("example-data", help="write the calibrated synthetic example data set")
    p.add_argument("directory")
    p.add_argument("--format", choices=["csv", "xlsx", "sav"], default="csv")
    p.add_argument("--scale", type=int, default=1, help="multiply respondent and case counts")
    p.add_argument("--sites", type=int, default=None, help="number of sites (beyond 11: synthetic sites for benchmarks)")
    p.add_argument("--overwrite", action="store_true", help="replace the files of an existing folder")
    p.set_defaults(func=_cmd_example_data)

    p = sub.add_parser("run", help="validate, then build every site report and the national synthesis")
    p.add_argument("--data-dir", required=True)
    p.add_argument("--output-dir", required=True)
    p.add_argument("--sites", help="comma-separated site ids (default: all)")
    p.add_argument("--jobs", type=int, default=2, help="site notebooks run at once (local executor)")
    p.add_argument("--timeout", type=float, default=900, help="time limit per notebook, seconds")
    p.add_argument("--overwrite", action="store_true", help="replace a previous run in the output folder")
    p.add_argument("--executor", choices=["local", "dask"], default="local")
    p.add_argument("--scheduler", help="Dask scheduler address (with --executor dask), e.g. tcp://host:8786")
    p.add_argument("--parameters", help="parameters folder (default: the repository's parameters/)")
    p.add_argument("--work-dir", help="folder for the run's private working files (must be shared with Dask workers)")
    p.add_argument("--redact-names", help="file of names (one per line) to remove from published quotes")
    p.add_argument("--keep-notebooks", metavar="DIR", help="keep every executed notebook in DIR (outside the output folder) "
                   "for debugging; they are never published")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--all", action="store_true", help="print every validation problem")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("redact-check", help="scan an output folder for personal data and raw rows (exit 1 when found)")
    p.add_argument("output_dir")
    p.add_argument("--data-dir", help="the run's data folder: also look for unapproved text and raw rows")
    p.add_argument("--names", help="file of names (one per line) that must not appear")
    p.set_defaults(func=_cmd_redact_check)

    p = sub.add_parser("audit", help="attack a run's published files; list every cell that can be pinned down (exit 1 if any)")
    p.add_argument("output_dir")
    p.add_argument("--all", action="store_true", help="list every finding, not only the first 50")
    p.add_argument("--json", help="also write the verdict and every finding to this JSON file")
    p.add_argument("--time-limit", type=float, default=120.0, help="seconds for the whole audit (unsettled counts fail it)")
    p.set_defaults(func=_cmd_audit)

    p = sub.add_parser("templates", help="write empty CSV templates, the dictionary and the data-entry workbook")
    p.add_argument("directory")
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
