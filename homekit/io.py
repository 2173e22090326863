"""Readers by file type: CSV, XLSX and SPSS ``.sav`` to raw tables of text.

A reader never interprets answers; it returns every cell as text (blank for empty) together with
the row number the user sees, so that :mod:`homekit.validate` can point at the exact cell. Files
are opened read-only and never modified.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as _dt
import hashlib
import math
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .exceptions import Problem

__all__ = ["RawTable", "read_raw", "find_instrument_file", "sha256", "SUPPORTED_SUFFIXES", "MAX_FILE_BYTES"]

SUPPORTED_SUFFIXES = (".csv", ".xlsx", ".sav", ".txt", ".tsv")
#: Text exports: comma-, semicolon- or tab-separated, in UTF-8, Windows-1252 or UTF-16 (Excel's
#: "Unicode Text"); the separator and encoding are found from the file itself.
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
#: Formats people save data in that homekit does not read, with how to re-save them.
UNREADABLE_FORMATS = {
    ".xls": ("Excel 97-2003 workbook", "Save As 'CSV UTF-8' or 'Excel Workbook (.xlsx)'"),
    ".xlsb": ("Excel binary workbook", "Save As 'CSV UTF-8' or 'Excel Workbook (.xlsx)'"),
    ".ods": ("OpenDocument spreadsheet", "Save As 'Text CSV' (UTF-8) or Excel .xlsx"),
    ".numbers": ("Numbers file", "Export To CSV (UTF-8) or Excel .xlsx"),
}
SEPARATORS = (",", ";", "\t")
RESAVE = "in Excel: Save As 'CSV UTF-8'"
#: Files larger than this are refused before reading (a guard against runaway inputs).
MAX_FILE_BYTES = int(os.environ.get("HOMEKIT_MAX_FILE_BYTES", 1024**3))
#: CSV files with more data rows than this are refused before parsing (memory stays bounded).
MAX_ROWS = int(os.environ.get("HOMEKIT_MAX_ROWS", 5_000_000))
#: The environment variable naming homekit's private cache folder (default ``~/.cache/homekit``).
CACHE_ENV = "HOMEKIT_CACHE"


def cache_dir() -> Path:
    """homekit's private cache folder: ``$HOMEKIT_CACHE``, else ``~/.cache/homekit``. It holds the
    bundled example data as generated, and per output folder what its last run prepared and what
    its last audit settled (:func:`homekit.pipeline.prepared_cache`, :func:`homekit.pipeline.audit_cache`)."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "homekit")


def file_state(path) -> tuple:
    """What a file is now: its size, modification time, inode and change time (a file replaced or
    rewritten since differs in one of them)."""
    st = Path(path).stat()
    return st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns


@contextlib.contextmanager
def gc_paused():
    """Python's cyclic collector paused: for work that builds many small objects which all live
    until it returns (the audit's model: a fifth of its time; the run's preparation: an eighth),
    which the collector would otherwise walk again and again for nothing. Restored as it was."""
    import gc

    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def read_private(path):
    """The object :func:`write_private` kept in ``path``; None when there is none or it cannot be read
    (a cache that is missing or damaged only means doing the work again)."""
    import pickle

    try:
        with open(path, "rb") as f:
            return pickle.load(f)
    except Exception:  # noqa: BLE001
        return None


def write_private(path, obj) -> None:
    """Keep ``obj`` in ``path``, readable by its owner only (the folder 0700, the file 0600), written
    whole and then moved into place; a cache that cannot be written is left unwritten."""
    import pickle
    import tempfile

    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)  # (mode 0600)
        with os.fdopen(fd, "wb") as f:
            pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


@dataclass
class RawTable:
    """Cells of one instrument file as text, before validation.

    Attributes
    ----------
    frame : DataFrame
        One column per header cell, every cell a ``str`` ("" when empty), index 0..n-1.
    rows : ndarray
        The row number the user sees for each frame row.
    file : str
        The file name used in messages.
    problems : list of Problem
        Problems found while reading (unreadable cells, formulas without a saved value...).
    """

    frame: pd.DataFrame
    rows: np.ndarray
    file: str
    problems: list


def sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def find_instrument_file(data_dir: str | os.PathLike, instrument: str) -> tuple[Path | None, list[Problem]]:
    """The one file holding ``instrument`` in ``data_dir`` (``.csv``, ``.xlsx`` or ``.sav``)."""
    data_dir = Path(data_dir)
    found = [data_dir / f"{instrument}{s}" for s in SUPPORTED_SUFFIXES if (data_dir / f"{instrument}{s}").is_file()]
    if not found:
        other = [data_dir / f"{instrument}{s}" for s in UNREADABLE_FORMATS if (data_dir / f"{instrument}{s}").is_file()]
        if other:
            fmt, how = UNREADABLE_FORMATS[other[0].suffix]
            return None, [Problem(other[0].name, None, None, fmt, how)]
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        return None, [Problem(instrument, None, None, names, "exactly one file per instrument (found several)")]
    return (found[0] if found else None), []


def _cell_text(value) -> str:
    """Text of one cell read from xlsx or sav, as a person would have typed it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return ""
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if isinstance(value, (pd.Timestamp, _dt.datetime)):
        if value.hour == value.minute == value.second == 0:
            return value.strftime("%Y-%m-%d")
        return value.isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    return str(value)


def _empty(file: str, detail: str = "a header row naming the columns") -> RawTable:
    return RawTable(pd.DataFrame(), np.array([], dtype=int), file, [Problem(file, None, None, "empty file", detail)])


def _dedupe_header(header: list[str], file: str, problems: list[Problem], row: int = 1) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in header:
        key = name.strip()
        if key in seen:
            problems.append(Problem(file, row, key, key, "each column name once (duplicate header)"))
            seen[key] += 1
            key = f"{key}.{seen[key]}"
        else:
            seen[key] = 0
        out.append(key)
    return out


def _utf16(head: bytes) -> str | None:
    """``utf-16`` for a file with a UTF-16 byte-order mark (Excel's "Unicode Text"), ``utf-16-le``
    or ``utf-16-be`` for mostly-ASCII UTF-16 text without one; else None."""
    import codecs

    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    even, odd = head[0::2], head[1::2]
    if len(odd) >= 8:
        if odd.count(0) >= 0.9 * len(odd) and even.count(0) == 0:
            return "utf-16-le"
        if even.count(0) >= 0.9 * len(even) and odd.count(0) == 0:
            return "utf-16-be"
    return None


def _sniff_utf16(path: Path, encoding: str) -> tuple[str | None, int, bool, bool]:
    """As :func:`_sniff` for UTF-16 text: decodable, line count, content."""
    import codecs

    dec = codecs.getincrementaldecoder(encoding)()
    lines = 0
    content = False
    with open(path, "rb") as fh:
        try:
            for chunk in iter(lambda: fh.read(1 << 22), b""):
                text = dec.decode(chunk)
                lines += text.count("\n")
                content = content or bool(text.strip().strip("\ufeff"))
            dec.decode(b"", final=True)
        except UnicodeDecodeError:
            return None, lines, False, True
    return encoding, lines, False, content


def _separator(header_line: str) -> str:
    """The separator of a text export, from its header row: the most frequent of comma,
    semicolon and tab outside quotes (comma on a tie)."""
    outside = re.sub(r'"[^"]*"', "", header_line)
    counts = {sep: outside.count(sep) for sep in SEPARATORS}
    return max(SEPARATORS, key=lambda sep: (counts[sep], sep == ","))


def _sniff(path: Path) -> tuple[str | None, int, bool, bool]:
    """Encoding (utf-8-sig or cp1252, None when neither), line count, NUL bytes seen, any non-blank
    content; read in chunks so that a large file is never held in memory twice."""
    import codecs

    utf8 = codecs.getincrementaldecoder("utf-8-sig")()
    cp = codecs.getincrementaldecoder("cp1252")()
    ok_utf8 = ok_cp = True
    lines = 0
    nul = False
    content = False
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            lines += chunk.count(b"\n")
            nul = nul or b"\x00" in chunk
            content = content or bool(chunk.strip())
            if ok_utf8:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    ok_utf8 = False
            if not ok_utf8 and ok_cp:
                try:
                    cp.decode(chunk)
                except UnicodeDecodeError:
                    ok_cp = False
    if ok_utf8:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            ok_utf8 = False
    if not ok_utf8 and ok_cp:
        # cp1252 must decode the whole file, not only the chunks after UTF-8 failed.
        try:
            path.read_bytes().decode("cp1252")
        except UnicodeDecodeError:
            ok_cp = False
    encoding = "utf-8-sig" if ok_utf8 else ("cp1252" if ok_cp else None)
    return encoding, lines, nul, content


_CHUNK_ROWS = 100_000


def _read_categorical(path: Path, encoding: str, header: list[str], sep: str = ",") -> pd.DataFrame:
    """The CSV body, every cell as text, stored as categoricals.

    Read in chunks of text (pandas would infer numbers if asked for categoricals directly), each
    chunk turned into categoricals and the chunks joined with ``union_categoricals``: memory stays
    near the size of the codes, not of millions of Python strings.
    """
    from pandas.api.types import union_categoricals

    parts: dict[str, list] = {c: [] for c in header}
    n = 0
    reader = pd.read_csv(path, sep=sep, encoding=encoding, dtype=str, keep_default_na=False, na_filter=False, header=0, names=header,
                         index_col=False, skip_blank_lines=False, on_bad_lines="error", engine="c", chunksize=_CHUNK_ROWS)
    with reader:
        for chunk in reader:
            n += len(chunk)
            for c in header:
                parts[c].append(pd.Categorical(chunk[c].fillna("")))
    if n == 0:
        return pd.DataFrame({c: pd.Categorical([], categories=pd.Index([], dtype=object)) for c in header})
    return pd.DataFrame({c: union_categoricals(parts[c]) if len(parts[c]) > 1 else parts[c][0] for c in header})


def read_csv(path: Path) -> RawTable:
    """Read a text export, every cell as text: comma-, semicolon- or tab-separated (found from the
    header row), in UTF-8 (with or without BOM), Windows-1252 or UTF-16 (Excel's "Unicode Text",
    tab-separated).

    The file is checked in chunks first (encoding, size in rows); the body is parsed by pandas'
    C parser straight into categoricals, so a million-row survey stays small in memory.
    """
    file = path.name
    with open(path, "rb") as fh:
        wide = _utf16(fh.read(4096))
    if wide:
        encoding, n_lines, nul, content = _sniff_utf16(path, wide)
        if encoding is None:
            return RawTable(pd.DataFrame(), np.array([], dtype=int), file,
                            [Problem(file, None, None, "UTF-16 text with undecodable bytes",
                                     f"readable UTF-16 text, or re-save the file {RESAVE}")])
    else:
        encoding, n_lines, nul, content = _sniff(path)
    if not content:
        return _empty(file)
    if nul:
        return RawTable(
            pd.DataFrame(), np.array([], dtype=int), file,
            [Problem(file, None, None, "binary data", f"a text CSV file; {RESAVE}")]
        )
    if encoding is None:
        return RawTable(
            pd.DataFrame(),
            np.array([], dtype=int),
            file,
            [Problem(file, None, None, "undecodable bytes", "text encoded as UTF-8 or Windows-1252")],
        )
    if n_lines > MAX_ROWS + 1:
        return RawTable(pd.DataFrame(), np.array([], dtype=int), file,
                        [Problem(file, None, None, f"about {n_lines:,} rows", f"at most {MAX_ROWS:,} rows (HOMEKIT_MAX_ROWS); split the file")])
    problems: list[Problem] = []
    with open(path, encoding=encoding, newline="") as fh:
        first = fh.readline()
        sep = _separator(first)
        fh.seek(0)
        try:
            header = next(csv.reader(fh, delimiter=sep))
        except (StopIteration, csv.Error) as exc:
            return _empty(file, f"a readable header row ({exc})")
    header = _dedupe_header(header, file, problems)
    ncol = len(header)
    try:
        with warnings.catch_warnings():
            # pandas only warns (and drops data) when a row is longer than the header: make it an error.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = _read_categorical(path, encoding, header, sep)
    except (pd.errors.ParserError, pd.errors.ParserWarning, UnicodeDecodeError) as exc:
        # Locate every malformed line with the csv module so all are reported at once.
        try:
            with open(path, encoding=encoding, newline="") as fh:
                reader = csv.reader(fh, delimiter=sep)
                next(reader, None)
                for lineno, fields in enumerate(reader, start=2):
                    if len(fields) > ncol:
                        problems.append(
                            Problem(file, lineno, None, f"{len(fields)} fields", f"at most {ncol} fields, as in the header")
                        )
        except csv.Error:
            pass
        if not problems:
            problems.append(Problem(file, None, None, str(exc).splitlines()[0][:120], "a well-formed CSV file"))
        return RawTable(pd.DataFrame(columns=header), np.array([], dtype=int), file, problems)
    rows = np.arange(2, len(frame) + 2)
    # Drop wholly blank lines (e.g. a trailing newline pair) but keep row numbers of the rest.
    if len(frame):
        blank = np.ones(len(frame), bool)
        for c in frame.columns:
            blank &= (frame[c] == "").to_numpy()
            if not blank.any():
                break
        if blank.any():
            frame = frame.loc[~blank].reset_index(drop=True)
            rows = rows[~blank]
    return RawTable(frame, rows, file, problems)


def read_xlsx(path: Path, sheet: str | None = None) -> RawTable:
    """Read the sheet named ``sheet`` (else the first sheet) of a workbook, every cell as text.

    Formula cells are read from their saved value; a formula with no saved value is a problem
    (the file was produced by a program that does not calculate). Macros and external links are
    never executed: openpyxl only reads stored values.
    """
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    file = path.name
    try:
        wb_values = openpyxl.load_workbook(path, read_only=True, data_only=True)
        wb_formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except (InvalidFileException, KeyError, OSError, ValueError, TypeError, EOFError) as exc:
        return RawTable(
            pd.DataFrame(), np.array([], dtype=int), file, [Problem(file, None, None, type(exc).__name__, "a readable .xlsx workbook")]
        )
    except Exception as exc:  # zipfile.BadZipFile and friends from corrupted files
        return RawTable(
            pd.DataFrame(), np.array([], dtype=int), file, [Problem(file, None, None, type(exc).__name__, "a readable .xlsx workbook")]
        )
    try:
        name = sheet if sheet in wb_values.sheetnames else wb_values.sheetnames[0]
        ws_v, ws_f = wb_values[name], wb_formulas[name]
        problems: list[Problem] = []
        header: list[str] | None = None
        header_row = 0
        records: list[list[str]] = []
        rows: list[int] = []
        for (r, vals), fvals in zip(
            enumerate(ws_v.iter_rows(values_only=True), start=1), ws_f.iter_rows(values_only=True)
        ):
            texts = [_cell_text(v) for v in vals]
            for j, (v, f) in enumerate(zip(vals, fvals)):
                if v is None and isinstance(f, str) and f.startswith("="):
                    col = header[j] if header and j < len(header) else f"column {j + 1}"
                    problems.append(Problem(file, r, col, f, "a value (this cell holds a formula with no saved value)"))
                    texts[j] = ""
            if header is None:
                if any(t.strip() for t in texts):
                    while texts and not texts[-1].strip():
                        texts.pop()
                    header = _dedupe_header(texts, file, problems, r)
                    header_row = r
                continue
            if not any(t.strip() for t in texts):
                continue
            texts = (texts + [""] * len(header))[: max(len(header), len(texts))]
            if len(texts) > len(header):
                extra = [t for t in texts[len(header):] if t.strip()]
                if extra:
                    problems.append(
                        Problem(file, r, None, extra[0], f"no values beyond the {len(header)} named columns")
                    )
                texts = texts[: len(header)]
            records.append(texts)
            rows.append(r)
    finally:
        wb_values.close()
        wb_formulas.close()
    if header is None:
        return _empty(file, f"a header row in sheet {name!r}")
    del header_row
    frame = pd.DataFrame(records, columns=header, dtype=object).astype(str) if records else pd.DataFrame(columns=header, dtype=str)
    return RawTable(frame, np.asarray(rows, dtype=int), file, problems)


def read_sav(path: Path) -> RawTable:
    """Read an SPSS ``.sav`` file, using value labels as answers, every cell as text."""
    import pyreadstat

    file = path.name
    try:
        df, _meta = pyreadstat.read_sav(str(path), apply_value_formats=True, formats_as_category=False)
    except Exception as exc:  # pyreadstat raises its own ReadstatError and generic errors
        return RawTable(
            pd.DataFrame(), np.array([], dtype=int), file, [Problem(file, None, None, type(exc).__name__, "a readable SPSS .sav file")]
        )
    if df.shape[1] == 0:
        return _empty(file, "variables named as the instrument's columns")
    frame = pd.DataFrame({c: [_cell_text(v) for v in df[c].tolist()] for c in df.columns}, dtype=object).astype(str)
    if frame.empty:
        frame = pd.DataFrame(columns=list(df.columns), dtype=str)
    return RawTable(frame, np.arange(1, len(frame) + 1), file, [])


def read_raw(path: str | os.PathLike, instrument: str | None = None) -> RawTable:
    """Read one instrument file of any supported type into a :class:`RawTable`."""
    path = Path(path)
    if not path.is_file():
        return RawTable(pd.DataFrame(), np.array([], dtype=int), path.name, [Problem(path.name, None, None, str(path), "an existing file")])
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        return RawTable(
            pd.DataFrame(),
            np.array([], dtype=int),
            path.name,
            [Problem(path.name, None, None, f"{size:,} bytes", f"a file of at most {MAX_FILE_BYTES:,} bytes (HOMEKIT_MAX_FILE_BYTES)")],
        )
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return read_csv(path)
    if suffix == ".xlsx":
        return read_xlsx(path, sheet=instrument)
    if suffix == ".sav":
        return read_sav(path)
    fmt, how = UNREADABLE_FORMATS.get(suffix, (suffix, "a .csv, .xlsx or .sav file (or a .txt/.tsv text export)"))
    return RawTable(pd.DataFrame(), np.array([], dtype=int), path.name, [Problem(path.name, None, None, fmt, how)])


# ------------------------------------------------------------------------------------------------
# Writers (example data, templates and exports). Raw inputs are never written.
# ------------------------------------------------------------------------------------------------

_INT_TEXT = re.compile(r"^-?\d{1,15}$")
_FLOAT_TEXT = re.compile(r"^-?\d+\.\d+$")
#: Leading characters that make a spreadsheet treat text as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _excel_value(text: str):
    """A text cell as a number when it is one, else as text."""
    if _INT_TEXT.match(text):
        return int(text)
    if _FLOAT_TEXT.match(text):
        return float(text)
    return text


def safe_cell(ws, value):
    """A write-only openpyxl cell that can never be read as a formula."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        cell.data_type = "s"
    return cell


def write_table(df: pd.DataFrame, path: str | os.PathLike, instrument: str) -> Path:
    """Write a raw text table as ``.csv``, ``.xlsx`` (sheet named after the instrument) or ``.sav``.

    For ``.sav`` the answer scales are stored as numeric codes with value labels (Don't know 98,
    Not applicable 99), as survey tools export them.
    """
    from .instruments import INSTRUMENTS

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        df.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    elif suffix == ".xlsx":
        import openpyxl

        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet(instrument)
        ws.append([safe_cell(ws, c) for c in df.columns])
        for row in df.itertuples(index=False):
            ws.append([safe_cell(ws, _excel_value(v)) if v != "" else None for v in row])
        wb.save(path)
    elif suffix == ".sav":
        import pyreadstat

        inst = INSTRUMENTS[instrument]
        out = {}
        labels = {}
        for name in df.columns:
            col = next((c for c in inst.columns if c.name == name), None)
            text = df[name].astype(str)
            if col is not None and col.kind == "choice" and col.choices.codes is not None:
                lookup = col.choices.lookup
                special = {"don't know": 98, "not applicable": 99}
                codes = []
                for v in text:
                    tok = v.strip().lower()
                    if tok == "":
                        codes.append(np.nan)
                    elif tok in special:
                        codes.append(special[tok])
                    else:
                        codes.append(col.choices.code_of(lookup[tok]))
                out[name] = np.array(codes, dtype=float)
                labels[name] = {
                    **{float(c): lv for c, lv in zip(col.choices.codes, col.choices.levels)},
                    98.0: "Don't know",
                    99.0: "Not applicable",
                }
            elif col is not None and col.kind in ("int", "number", "score"):
                special = {"don't know": 98.0, "not applicable": 99.0}
                vals = [np.nan if v.strip() == "" else special.get(v.strip().lower(), None) for v in text]
                out[name] = np.array(
                    [float(v) if s is None else s for v, s in zip(text, vals)], dtype=float
                )
                if col.kind == "score":
                    labels[name] = {98.0: "Don't know", 99.0: "Not applicable"}
            else:
                out[name] = text.to_numpy(dtype=object)
        pyreadstat.write_sav(pd.DataFrame(out), str(path), variable_value_labels=labels)
    else:
        raise ValueError(f"cannot write {path.name}: expected a .csv, .xlsx or .sav name")
    return path
