"""``homekit`` command line: a thin layer over the Python API.

Exit codes: 0 success; 1 the input has problems (validate) or some sites failed (run);
2 bad usage or a run stopped before writing anything.
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
        files = write_example_data(args.directory, fmt=args.format, scale=args.scale, overwrite=args.overwrite)
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
    p.add_argument("--overwrite", action="store_true", help="replace the files of an existing folder")
    p.set_defaults(func=_cmd_example_data)

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
