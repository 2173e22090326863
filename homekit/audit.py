"""The attacker inside the product: what can be worked back from the files a run publishes.

:func:`audit` reads only what a run publishes (``OUT/sites/*/indicators.csv``,
``OUT/national/indicators.csv``, ``history.csv`` and ``change.csv`` beside them when present, and
the ``all_indicators`` sheet of ``summary.xlsx``) and tries, as an adversary holding those files
would, to pin down every count the disclosure rules withhold:

* **estimate x base**: integer numerators and denominators consistent with a published estimate,
  its interval (Wilson, Clopper-Pearson, Byar or exact Poisson, Student's t, as the ``method``
  column says) and the rounded counts;
* **mean and interval inversion**: a mean of answer codes with its t interval and base gives the
  number of answers, their sum and their sum of squares; with the top-two and bottom-two rows of
  the same item that fixes the answer-level distribution;
* **national minus the other sites**: the national figures are sums of the site figures;
* **subtraction within linked tables**, *discovered from the published data itself*: groups of one
  indicator that add up to their common base, the same count published twice under two ids,
  answered + missing = responses, top-two + bottom-two + middle = answered (Likert items),
  professions and their ``group:`` roll-ups, a total and its breakdown;
* **change minus rounds**: ``change.csv`` (estimates of both rounds, difference and its Newcombe
  interval) against the rounds in ``history.csv``.

Every unknown count is an integer variable with interval bounds (a count rounded to 5 lies in
``[r-2, r+2]``, a suppressed one in ``[0, base]``); each published row keeps the integer tuples
consistent with it; linked tables are linear equalities. The smallest and largest feasible value
of every count (published, withheld, or derived such as an answer level or a remainder) come from
integer linear programs (:func:`scipy.optimize.milp`, HiGHS), as tau-Argus audits a table. A count
is *pinned* when one value is feasible, *small* when every feasible value lies in 1-7. Findings:

* people who use services (``Indicator.subjects == "people"``, the NHS Digital rule): a withheld
  or rounded count pinned to one value, or a count of 1-7 (bases included) known to fewer values
  than a rounded count spans (``rounding_base``, 5: "2 or 3", "4 to 6"). That a withheld count
  lies somewhere in 1-7 is what the marker itself says, so it is not a finding;
* professionals (staff-survey rule): a withheld or rounded count of answers pinned to one value
  (what a group said). How many answered (a group's base) is not an opinion and is published, as
  the NHS Staff Survey publishes its response counts, so a base is never a finding.

Files without any restriction (no rounding, nothing suppressed: e.g. an unrestricted national
file) are used as evidence but their own cells are not findings.

Examples
--------
>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> (out / "sites" / "a").mkdir(parents=True)
>>> _ = (out / "sites" / "a" / "indicators.csv").write_text(
...     "site_id,indicator,group,numerator,denominator,estimate,lower,upper,method,suppressed\\n"
...     "a,gp_trust_asc,,,75,0.9189189189,0.8336637512,0.9623468457,Wilson,false\\n"
...     "a,gp_trust_discharge_team,,40,75,0.5333333333,0.4212,0.6419,Wilson,false\\n")
>>> result = audit(out)
>>> result.passed
False
>>> [(f.indicator, f.cell, f.recovered) for f in result.findings][:2]
[('gp_trust_asc', 'numerator', '68'), ('gp_trust_asc', 'denominator', '74')]
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy import stats as _st
from scipy.optimize import Bounds, LinearConstraint, milp

from .disclosure import SITE_SUM_METHOD
from .io import file_state, gc_paused, read_private, write_private

__all__ = ["AuditPolicy", "AuditResult", "Finding", "audit", "audit_readings", "read_published", "read_folder", "published_folders",
           "readings_hold", "same_reading"]

Z95 = float(_st.norm.ppf(0.975))
_BIG = 10**7
_FIELDS = ("numerator", "denominator", "estimate", "lower", "upper")


@dataclass(frozen=True)
class AuditPolicy:
    """What the audit treats as disclosed, and how hard it works.

    ``small_from``-``small_to``: counts of people that must never be known (NHS Digital 1-7);
    ``min_group``: the professional rule's smallest reportable group; ``rounding_base``: the
    rounding the attacker assumes when a file's counts are all multiples of it.
    """

    small_from: int = 1
    small_to: int = 7
    min_group: int = 11
    rounding_base: int = 5
    tuple_limit: int = 48
    enum_cap: int = 200_000
    read_xlsx: bool = True
    time_limit: float = 120.0
    #: and at least this many seconds per 1,000 counts checked (a 150-site run checks 349,000)
    seconds_per_1000_counts: float = 1.0

    def seconds_for(self, counts: int) -> float:
        """The audit's time limit for ``counts`` counts checked."""
        return max(self.time_limit, self.seconds_per_1000_counts * counts / 1000)


@dataclass
class Finding:
    """One cell the attacker pinned down."""

    file: str
    site_id: str
    indicator: str
    group: str
    period: str
    cell: str
    published: str
    low: int
    high: int
    rule: str
    attack: str

    @property
    def recovered(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}-{self.high}"

    def line(self) -> str:
        if self.attack == WORKBOOK_ONLY:
            return f"{self.file}: {self.cell}: {self.published} is {self.attack}"
        where = f"{self.site_id} {self.indicator}" + (f" [{self.group}]" if self.group else "") + (f" {self.period}" if self.period else "")
        shown = self.published if self.published != "" else "(not published)"
        return f"{self.file}: {where}: {self.cell} published {shown}, recovered {self.recovered} by {self.attack} ({self.rule})"

    def as_dict(self) -> dict:
        return {"file": self.file, "site_id": self.site_id, "indicator": self.indicator, "group": self.group, "period": self.period,
                "cell": self.cell, "published": self.published, "recovered": self.recovered, "rule": self.rule, "attack": self.attack}


@dataclass
class AuditResult:
    """The audit's verdict over one output folder."""

    output_dir: Path
    findings: list[Finding]
    files: list[str]
    rows: int
    cells: int
    linked_tables: dict
    seconds: float
    notes: list[str] = field(default_factory=list)
    unsettled: int = 0
    #: linked-table components whose integer programs were settled as in an earlier audit (``cache``)
    reused: int = 0
    components: int = 0

    @property
    def passed(self) -> bool:
        """No cell pinned down, and every count settled (an unfinished audit does not pass)."""
        return not self.findings and not self.unsettled

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    def summary(self) -> str:
        if not self.findings and self.unsettled:
            return (f"audit INCOMPLETE: nothing pinned down so far, but {self.unsettled} counts could not be settled in "
                    f"{self.seconds:.0f} s; the run cannot be vouched for")
        if self.passed:
            reused = (f"; {self.reused} of its {self.components} linked-table programs unchanged since the folder's last audit, "
                      "taken as settled then" if self.reused else "")
            return (f"audit passed: nothing could be pinned down in {len(self.files)} published files "
                    f"({self.rows} rows, {self.cells} counts checked) in {self.seconds:.1f} s{reused}")
        rows = {(f.file, f.site_id, f.indicator, f.group, f.period) for f in self.findings}
        return (f"audit FAILED: {len(self.findings)} cells pinned down in {len(rows)} published rows of "
                f"{len({f.file for f in self.findings})} files ({self.cells} counts checked in {self.seconds:.1f} s)")

    def verdict(self, first: int = 20) -> dict:
        """The JSON-able verdict kept in ``manifest.json``."""
        by_attack: dict[str, int] = {}
        by_rule: dict[str, int] = {}
        for f in self.findings:
            by_attack[f.attack] = by_attack.get(f.attack, 0) + 1
            by_rule[f.rule] = by_rule.get(f.rule, 0) + 1
        # the first findings of every attack in turn, so the sample shows each kind of leak
        queues: dict[str, list] = {}
        for f in self.findings:
            queues.setdefault(f.attack, []).append(f)
        sample = []
        while len(sample) < min(first, len(self.findings)):
            for q in queues.values():
                if q and len(sample) < first:
                    sample.append(q.pop(0))
        return {"passed": self.passed, "findings": len(self.findings), "files": len(self.files), "rows": self.rows,
                "counts_checked": self.cells, "linked_tables": self.linked_tables, "seconds": round(self.seconds, 2),
                "by_attack": by_attack, "by_rule": by_rule, "first_findings": [f.as_dict() for f in sample],
                "notes": self.notes[:20], "components": self.components, "components_reused": self.reused}

    def table(self, limit: int | None = 50) -> str:
        lines = [self.summary()]
        shown = self.findings if limit is None else self.findings[:limit]
        lines += ["  " + f.line() for f in shown]
        if limit is not None and len(self.findings) > limit:
            lines.append(f"  ... and {len(self.findings) - limit} more (homekit audit OUT --all)")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Reading what was published
# --------------------------------------------------------------------------------------------

#: A number as written (at least one digit: "-", "." or "e5" are text, not numbers).
_NUM = re.compile(r"^[+-]?(?=\.?\d)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$")


def _precision(text: str) -> tuple[int, int]:
    """(decimal places, significant figures) of a number as written."""
    m = _NUM.match(text.strip())
    if not m:
        return 0, 0
    whole, frac, exp = m.group(1) or "", m.group(2) or "", int(m.group(3) or 0)
    digits = (whole + frac).lstrip("0")
    return max(0, len(frac) - exp), max(1, len(digits))


def _tolerance(value: float, dec: int, sf: int) -> float:
    """Half a unit in the last written place, under both readings (decimals or significant figures)."""
    tol_dp = 0.5 * 10.0 ** (-dec)
    tol_sf = 0.5 * 10.0 ** (math.floor(math.log10(abs(value))) - sf + 1) if value != 0 else 0.0
    return max(tol_dp, tol_sf) * (1 + 1e-9) + 1e-15 + 1e-14 * abs(value)


def _truthy(v) -> bool:
    return str(v).strip().lower() in ("true", "1", "yes")


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _records(df: pd.DataFrame):
    """The rows of ``df`` as dicts (``to_dict("records")`` boxes every string cell of a pandas
    string column one by one: a tenth of the audit)."""
    cols = list(df.columns)
    for values in zip(*(df[c].to_numpy(dtype=object) for c in cols)):
        yield dict(zip(cols, values))


def _cell_text(v) -> str:
    """A workbook cell as the text of its stored value (numbers to 15 significant figures, which
    drops binary noise such as 0.0714000000001)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return format(float(v), ".15g")
    return "" if v is None else str(v)


def _read_workbook(path: Path) -> dict[str, list[list]] | None:
    """Every sheet of a workbook as rows of cell values, or None when it is not a workbook.

    Read with python-calamine (a Rust reader that pandas also uses): the same cells cost ten
    times as long with openpyxl, which made workbook parsing a fifth of the audit."""
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}
    except Exception:  # not a readable workbook: nothing published in it to read
        return None


def _indicator_sheet(sheets: dict[str, list[list]]) -> tuple[str, pd.DataFrame] | None:
    """The sheet that holds indicator rows (a header with ``indicator`` and ``numerator``), every
    cell as text."""
    for name, table in sheets.items():
        if not table:
            continue
        labels = [_cell_text(v) for v in table[0]]
        if "indicator" in labels and "numerator" in labels:
            body = [[_cell_text(v) for v in row] + [""] * (len(labels) - len(row)) for row in table[1:]]
            return name, pd.DataFrame([r[: len(labels)] for r in body], columns=labels)
    return None


def _number_key(v: float) -> str:
    return format(float(v), ".10g")


def _workbook_only_numbers(workbooks: dict[str, dict], rows: pd.DataFrame, changes: pd.DataFrame) -> list[Finding]:
    """Numbers of a workbook's other sheets (headlines, change, read-me) that no published CSV of
    the run holds: a number that reached the workbook without passing the gate.

    ``workbooks``: file -> sheets other than the indicator sheet (as :func:`read_published` gives
    them; the indicator sheet is audited row by row with the CSVs). Each sheet's numeric cells
    are compared, to 10 significant figures, with every number of the run's CSV files (``rows``
    and ``changes`` as :func:`read_published` gives them)."""
    csv_rows = rows[rows["source"] != "summary.xlsx"]
    cells = [csv_rows[c].to_numpy() for c in _FIELDS]
    if len(changes):
        cells += [changes[c].to_numpy() for c in changes.columns if c not in ("file", "site_id", "indicator", "group", "method")]
    values = pd.to_numeric(pd.Series(np.concatenate(cells) if cells else []), errors="coerce").dropna().unique()
    published = {_number_key(v) for v in values}
    found = []
    for f, sheets in workbooks.items():
        for name, table in sheets.items():
            if not table:
                continue
            header = [_cell_text(v) for v in table[0]]
            for r, row in enumerate(table[1:], start=2):
                ident = dict(zip(header, row))
                for c, v in enumerate(row):
                    if isinstance(v, bool) or not isinstance(v, (int, float)) or _number_key(v) in published:
                        continue
                    col = header[c] if c < len(header) and header[c] else f"column {c + 1}"
                    found.append(Finding(f, str(ident.get("site_id", "")), str(ident.get("indicator", "")), str(ident.get("group", "")),
                                         str(ident.get("period", ident.get("to_period", ""))), f"{name}!{col} (row {r})",
                                         _cell_text(v), 0, 0, "every workbook number is a published figure",
                                         WORKBOOK_ONLY))
    return found


WORKBOOK_ONLY = "a number in the workbook that no published CSV holds (it did not pass the gate)"


def published_folders(output_dir) -> list[Path]:
    """The folders of a run whose files the audit reads: every ``sites/<id>/``, then ``national/``."""
    out = Path(output_dir)
    folders = [p for p in (out / "sites").glob("*") if p.is_dir()] if (out / "sites").is_dir() else []
    if (out / "national").is_dir():
        folders.append(out / "national")
    return sorted(folders, key=_reading_order(out))


def _reading_order(out: Path):
    """The order the audit reads a run's folders in (a sort key): the sites' by name, then the national."""
    return lambda folder: (Path(folder) == out / "national", Path(folder))


#: The files of a folder the audit reads.
_READ = ("indicators.csv", "history.csv", "summary.xlsx", "change.csv")


def _files_now(folder: Path) -> tuple:
    """What the files of ``folder`` the audit reads are now (name, size, modification and change
    times, inode: a file replaced or rewritten since differs)."""
    out = []
    for name in _READ:
        with contextlib.suppress(OSError):
            out.append((name, *file_state(folder / name)))
    return tuple(out)


def read_folder(output_dir, folder, *, read_xlsx: bool = True) -> dict:
    """One published folder as :func:`read_published` reads it: ``frames`` (indicator rows of each
    file), ``changes``, ``files``, ``workbooks`` (a workbook's other sheets), and the folder's
    ``signature``, so that a folder read ahead (while a run's last notebook runs) is used only if
    no file of it changed since, and the processor ``seconds`` its reading took."""
    started = time.thread_time()
    out, folder = Path(output_dir), Path(folder)
    signature = _files_now(folder)
    frames, changes, files, books = [], [], [], {}
    for name in ("indicators.csv", "history.csv"):
        path = folder / name
        if path.exists():
            df = _read_csv(path)
            if "indicator" not in df.columns:
                continue
            df["file"] = str(path.relative_to(out))
            df["source"] = name
            frames.append(df)
            files.append(str(path.relative_to(out)))
    if read_xlsx and (folder / "summary.xlsx").exists():
        sheets = _read_workbook(folder / "summary.xlsx")
        found = _indicator_sheet(sheets) if sheets else None
        df = None if found is None else found[1]
        if sheets is not None:  # (its other sheets, for _workbook_only_numbers)
            books[str((folder / "summary.xlsx").relative_to(out))] = {n: t for n, t in sheets.items() if found is None or n != found[0]}
        if df is not None:
            df["file"] = str((folder / "summary.xlsx").relative_to(out))
            df["source"] = "summary.xlsx"
            frames.append(df)
            files.append(str((folder / "summary.xlsx").relative_to(out)))
    path = folder / "change.csv"
    if path.exists():
        df = _read_csv(path)
        df["file"] = str(path.relative_to(out))
        changes.append(df)
        files.append(str(path.relative_to(out)))
    return {"frames": frames, "changes": changes, "files": files, "workbooks": books, "signature": signature, "read_xlsx": read_xlsx,
            "seconds": time.thread_time() - started}


def read_published(output_dir, *, read_xlsx: bool = True, workbooks: dict | None = None,
                   read_ahead: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Every published indicator row (one row per file and row) and every change row.

    Returns ``(rows, changes, files)``; all values are kept as the text that was published.
    ``workbooks``, when given a dict, receives every workbook read (file -> its sheets other than
    the indicator sheet, which is read into ``rows``). ``read_ahead``: folders already read
    (:func:`read_folder`, by folder path), used where none of their files changed since.
    """
    out = Path(output_dir)
    readings = []
    for folder in published_folders(out):
        got = (read_ahead or {}).get(str(folder))
        if got is None or not _unchanged(got, folder) or got["read_xlsx"] != read_xlsx:
            got = read_folder(out, folder, read_xlsx=read_xlsx)
        readings.append(got)
    return _assemble(readings, workbooks)


def same_reading(a: dict, b: dict) -> bool:
    """Whether two readings of a folder (:func:`read_folder`) give the audit the same input: the
    same files, the same text in every cell of their rows and changes, the same workbook cells."""
    def frames_equal(x: list, y: list) -> bool:
        return len(x) == len(y) and all(f.columns.equals(g.columns) and f.equals(g) for f, g in zip(x, y))

    # (workbook cells compared with their types: True == 1 and -0.0 == 0.0, which the audit tells apart)
    return (a["files"] == b["files"] and a["read_xlsx"] == b["read_xlsx"]
            and pickle.dumps(a["workbooks"], 5) == pickle.dumps(b["workbooks"], 5)
            and frames_equal(a["frames"], b["frames"]) and frames_equal(a["changes"], b["changes"]))


def readings_hold(output_dir, readings: dict) -> bool:
    """Whether ``readings`` (folder path -> :func:`read_folder` result) are what the audit reads
    from ``output_dir`` now: the same folders; each folder read from disk with none of its files
    changed since (its ``signature``); each folder read before it was written (``signature``
    None: its files as predicted) giving, read now, the same rows, changes and workbook cells. An
    audit of such readings (:func:`audit_readings`) is then the audit of the folder."""
    out = Path(output_dir)
    if sorted(readings) != sorted(str(f) for f in published_folders(out)):
        return False
    for folder, got in readings.items():
        if got["signature"] is None:
            if not same_reading(got, read_folder(out, folder, read_xlsx=got["read_xlsx"])):
                return False
        elif not _unchanged(got, folder):
            return False
    return True


def _unchanged(got: dict, folder) -> bool:
    """Whether no file of ``folder`` the audit reads changed since it was read into ``got``."""
    return got["signature"] == _files_now(Path(folder))


def _field_text(value: str) -> tuple[str, bool]:
    """A published number cell as the audit reads it: its text stripped, or "" when it is not a
    number; and whether it is a marker of a withheld figure (text in brackets, such as "[c]")."""
    text = value.strip()
    if text == "" or _NUM.match(text):
        return text, False
    return "", text.startswith("[")


def _assemble(readings: list, workbooks: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """:func:`read_published`'s tables from the readings of its folders, in folder order."""
    frames, changes, files = [], [], []
    for got in readings:
        frames += got["frames"]
        changes += got["changes"]
        files += got["files"]
        if workbooks is not None:
            workbooks.update(got["workbooks"])
    cols = ["site_id", "indicator", "group", "period", *_FIELDS, "method", "suppressed", "file", "source"]
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
    for c in cols:
        if c not in rows.columns:
            rows[c] = ""
    rows = rows[cols].fillna("").astype(str)
    # (each distinct text judged once: cell by cell, these took a tenth of a 150-site audit)
    for c in (_FIELDS if len(rows) else ()):  # a marker such as "[c]" or any other text is not a number
        values = rows[c].to_numpy(dtype=object)
        judged = {v: _field_text(v) for v in set(values)}
        marker = np.fromiter((judged[v][1] for v in values), bool, len(values))
        rows.loc[marker, "suppressed"] = "true"
        rows[c] = [judged[v][0] for v in values]
    for c in (("group", "period") if len(rows) else ()):
        values = rows[c].to_numpy(dtype=object)
        stripped = {v: v.strip() for v in set(values)}
        rows[c] = [stripped[v] for v in values]
    # the same row published in two files (indicators.csv and summary.xlsx) is one observation
    rows = rows.drop_duplicates(subset=["site_id", "indicator", "group", "period", *_FIELDS, "method", "suppressed"]).reset_index(drop=True)
    # a workbook row without a period is the same row of indicators.csv in its folder
    folder = rows["file"].str.rsplit("/", n=1).str[0]
    ind = rows[(rows["source"] == "indicators.csv") & (rows["period"] != "")]
    if len(ind):
        known = dict(zip(zip(folder[ind.index], ind["site_id"], ind["indicator"], ind["group"]), ind["period"]))
        mask = (rows["source"] == "summary.xlsx") & (rows["period"] == "")
        keys = zip(folder[mask], rows.loc[mask, "site_id"], rows.loc[mask, "indicator"], rows.loc[mask, "group"])
        rows.loc[mask, "period"] = [known.get(k, "") for k in keys]
    # indicators.csv without a period describes the latest round in history.csv
    hist = rows[rows["source"] == "history.csv"]
    if len(hist):
        latest = hist.groupby(["site_id", "indicator", "group"])["period"].max()
        mask = (rows["source"] != "history.csv") & (rows["period"] == "")
        keys = list(zip(rows.loc[mask, "site_id"], rows.loc[mask, "indicator"], rows.loc[mask, "group"]))
        rows.loc[mask, "period"] = [latest.get(k, "") for k in keys]
    ch = pd.concat(changes, ignore_index=True).fillna("").astype(str) if changes else pd.DataFrame()
    return rows, ch, files


# --------------------------------------------------------------------------------------------
# Indicator knowledge an attacker has (the published data dictionary)
# --------------------------------------------------------------------------------------------


def _subjects(indicator: str) -> str:
    from .instruments import INDICATORS

    info = INDICATORS.get(indicator)
    return info.subjects if info is not None else "people"


def _instrument(indicator: str) -> str:
    from .instruments import INDICATORS

    info = INDICATORS.get(indicator)
    return info.instrument if info is not None else indicator.split("_")[0]


def _scale_codes(indicator: str, group: str) -> tuple[int, ...] | None:
    """Answer codes behind a mean of codes (Likert items, relationship scores), else None."""
    from .instruments import INDICATORS, INSTRUMENTS

    if indicator.endswith("likert_mean"):
        info = INDICATORS.get(indicator)
        inst = INSTRUMENTS.get(info.instrument) if info is not None else None
        item = group.split("|")[0]
        if inst is None:
            return None
        try:
            col = inst.column(item)
        except (KeyError, ValueError):
            return None
        if col.choices is None:
            return None
        return tuple(range(1, len(col.choices.levels) + 1))
    if indicator == "prof_relationship_score":
        return (1, 2, 3, 4, 5)
    return None


def _rate_multiplier(indicator: str) -> float:
    from .instruments import INDICATORS

    info = INDICATORS.get(indicator)
    unit = (info.unit if info is not None else "").replace(",", "")
    m = re.search(r"per (\d+)", unit)
    return float(m.group(1)) if m else 100_000.0


# --------------------------------------------------------------------------------------------
# Intervals, as the method column names them
# --------------------------------------------------------------------------------------------


def _wilson(a, n):
    with np.errstate(divide="ignore", invalid="ignore"):
        p = a / n
        z2 = Z95 * Z95
        centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        half = Z95 * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return centre - half, centre + half


def _clopper(a, n):
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.where(a > 0, _st.beta.ppf(0.025, a, n - a + 1), 0.0)
        hi = np.where(a < n, _st.beta.ppf(0.975, a + 1, n - a), 1.0)
    return lo, hi


def _poisson(a, n, mult, method):
    from .stats import rate_ci

    lo, hi = rate_ci(np.asarray(a, float), method="exact" if method == "exact" else "byars")
    return lo / n * mult, hi / n * mult


def _interval(kind: str, method: str, a, n, mult=1.0):
    m = method.lower()
    if kind == "rate":
        return _poisson(a, n, mult, "exact" if m.startswith("exact") else "byars")
    if "wilson" in m:
        return _wilson(a, n)
    if "clopper" in m or m == "exact":
        return _clopper(a, n)
    return None


# --------------------------------------------------------------------------------------------
# One published row: its unknowns and the tuples consistent with it
# --------------------------------------------------------------------------------------------


@dataclass
class _Row:
    key: tuple
    site_id: str
    indicator: str
    group: str
    period: str
    file: str
    kind: str  # prop, diff, rate, mean_int, mean_real
    subjects: str
    method: str = ""
    suppressed: bool = False
    published: dict = field(default_factory=dict)
    bounds: dict = field(default_factory=dict)  # var name -> [lo, hi]
    estimates: list = field(default_factory=list)  # (value, tol) of the row's estimate
    intervals: list = field(default_factory=list)  # (lo, tol_lo, hi, tol_hi)
    codes: tuple | None = None
    mult: float = 1.0
    tuples: np.ndarray | None = None  # columns = names
    names: tuple = ()
    local_attack: str = ""
    vars: dict = field(default_factory=dict)  # var name -> model index

    @property
    def label(self):
        return (self.site_id, self.indicator, self.group, self.period)


def _row_kind(indicator: str, method: str, group: str) -> tuple[str, tuple | None]:
    m = method.lower()
    if "student" in m or indicator.endswith("_mean") or indicator == "prof_relationship_score":
        codes = _scale_codes(indicator, group)
        return ("mean_int" if codes else "mean_real"), codes
    if indicator.endswith("likert_net") or ("minus" in m and "senior minus frontline" not in m):
        return "diff", None
    if "minus" in m:
        # a difference of two shares on two bases (senior minus frontline): derived from two
        # published rows (the gate withholds it with either), so it adds no unknowns of its own
        return "mean_real", None
    if "byar" in m or m.startswith("exact") and "rate" in indicator:
        return "rate", None
    if indicator.endswith("_rate") and not indicator.endswith("response_rate"):
        return "rate", None
    return "prop", None


class _Published:
    """All rows of a run, with each file's rounding and the precision of each column."""

    def __init__(self, rows: pd.DataFrame, changes: pd.DataFrame, policy: AuditPolicy):
        self.policy = policy
        self.rows: dict[tuple, _Row] = {}
        self.notes: list[str] = []
        rows = rows.copy()
        rows["folder"] = rows["file"].str.rsplit("/", n=1).str[0]
        self.rounding: dict[tuple, int] = {}
        self.restricted: dict[str, bool] = {}
        self._file_rules(rows)
        self._column_precision(rows)
        self.pub_derived = self._derived_from_published(rows)
        for rec in _records(rows):
            self._add(rec)
        if len(changes):
            self._add_changes(changes)

    # -- file-level facts -------------------------------------------------------------------
    def _file_rules(self, rows: pd.DataFrame) -> None:
        """Rounding base per (folder, subjects), inferred from the published counts."""
        base = self.policy.rounding_base
        subjects = {i: _subjects(i) for i in rows["indicator"].unique()}
        for (folder, subj), g in rows.assign(subj=rows["indicator"].map(subjects)).groupby(["folder", "subj"]):
            counts = []
            for col in ("numerator", "denominator"):
                sel = g[col] != ""
                if col == "numerator":
                    sel &= ~g["method"].str.lower().str.contains("minus|student")
                v = pd.to_numeric(g.loc[sel, col], errors="coerce").dropna()
                counts.extend(v[(v != 0) & (v == v.round())].abs().astype(np.int64).tolist())
            if len(counts) >= 8:
                b = int(np.gcd.reduce(np.array(counts, dtype=np.int64)))
                if b > 1 and base > 1 and b % base == 0:
                    b = base
            else:  # too few counts to tell: the published rules (people rounded, professionals exact)
                b = base if subj == "people" and (folder.startswith("sites") or len(counts) == 0) else 1
                if counts and int(np.gcd.reduce(np.array(counts, dtype=np.int64))) % max(b, 1):
                    b = 1
            self.rounding[(folder, subj)] = max(1, b)
        for folder, g in rows.groupby("folder"):
            sup = g["suppressed"].map(_truthy).any()
            rnd = any(self.rounding.get((folder, s), 1) > 1 for s in ("people", "professional"))
            self.restricted[folder] = bool(sup or rnd)

    def _column_precision(self, rows: pd.DataFrame) -> None:
        """Decimals and significant figures of each (file, column, family, method): means and
        proportions may be written at different precisions in one file, and so may two methods
        of one family (a professional mean to 2 decimals, a mean of people's answers to 1)."""
        self.precision = {}
        fam = rows["method"].str.lower().str.contains("student") | rows["indicator"].str.endswith("_mean")
        fam = np.where(fam | (rows["indicator"] == "prof_relationship_score"), "mean", "count")
        for col in ("estimate", "lower", "upper", "numerator"):
            for (file, f, m), vals in rows.assign(fam=fam).groupby(["file", "fam", "method"])[col]:
                p = [_precision(v) for v in set(vals) if v != ""]  # (the largest of each: every distinct text once)
                self.precision[(file, col, f, m)] = (max((d for d, _ in p), default=0), max((s for _, s in p), default=1))

    def tol(self, file: str, col: str, value: float, fam: str = "count", method: str = "") -> float:
        dec, sf = self.precision.get((file, col, fam, method), (0, 1))
        return _tolerance(value, dec, sf)

    def _derived_from_published(self, rows: pd.DataFrame) -> dict:
        """Per (file, column, family): does every row's figure follow from its published counts?

        Where it does (the figure is a function of published values, e.g. the rounded numerator
        over the rounded denominator), the figure tells the attacker nothing new and is not
        inverted; where any row contradicts it, the column was computed from hidden counts.
        Means and proportions are judged apart (``family`` "mean" or "count"), and so is each
        ``method`` (a column of Wilson intervals is not vouched for by a share written without one).
        """
        ok: dict[tuple, bool] = {}
        seen: dict[tuple, int] = {}
        recs = list(_records(rows))
        expected: list[dict | None] = [None] * len(recs)
        # the intervals of every row of one kind and method in one call (arrays, not row by row)
        batches: dict[tuple, list] = {}
        for i, rec in enumerate(recs):
            kind, _ = _row_kind(rec["indicator"], rec["method"], rec["group"])
            fam = "mean" if kind.startswith("mean") else "count"
            rec["_fam"] = fam
            file, method = rec["file"], rec["method"]
            for col in ("estimate", "lower", "upper"):
                ok.setdefault((file, col, fam, method), True)
                seen.setdefault((file, col, fam, method), 0)
            if rec["numerator"] == "" or rec["denominator"] == "":
                continue
            a, n = float(rec["numerator"]), float(rec["denominator"])
            if n <= 0:
                continue
            if fam == "mean":
                expected[i] = {"estimate": a / n, "lower": None, "upper": None}
            else:
                mult = _rate_multiplier(rec["indicator"]) if kind == "rate" else 1.0
                expected[i] = {"estimate": a / n * mult, "lower": None, "upper": None}
                if kind != "diff":
                    batches.setdefault((kind, method, mult), []).append((i, a, n))
        for (kind, method, mult), items in batches.items():
            idx, a, n = zip(*items)
            ci = _interval(kind, method, np.array(a), np.array(n), mult)
            if ci is not None:
                for k, i in enumerate(idx):
                    expected[i]["lower"], expected[i]["upper"] = float(ci[0][k]), float(ci[1][k])
        for rec, exp in zip(recs, expected):
            if exp is None:
                continue
            file, method, fam = rec["file"], rec["method"], rec["_fam"]
            for col in ("estimate", "lower", "upper"):
                if rec[col] == "":
                    continue
                v = float(rec[col])
                seen[(file, col, fam, method)] += 1
                e = exp.get(col)
                if e is None or not np.isfinite(e) or abs(v - e) > self.tol(file, col, v, fam, method):
                    ok[(file, col, fam, method)] = False
        return {k: ok[k] and seen[k] > 0 for k in ok}

    def count_bounds(self, folder: str, subj: str, text: str) -> tuple[int, int] | None:
        if text == "":
            return None
        v = float(text)
        if v != round(v):
            return None
        r = int(round(v))
        b = self.rounding.get((folder, subj), 1)
        if b <= 1:
            return r, r
        return max(0, r - b // 2), r + (b - 1) // 2

    # -- rows ---------------------------------------------------------------------------------
    def _add(self, rec: dict) -> None:
        key = (rec["site_id"], rec["indicator"], rec["group"], rec["period"])
        folder = rec["folder"]
        subj = _subjects(rec["indicator"])
        row = self.rows.get(key)
        if row is None:
            kind, codes = _row_kind(rec["indicator"], rec["method"], rec["group"])
            row = _Row(key, *key, file=rec["file"], kind=kind, subjects=subj, method=rec["method"], codes=codes)
            row.mult = _rate_multiplier(rec["indicator"]) if kind == "rate" else 1.0
            row.folder = folder
            self.rows[key] = row
        elif rec["source"] == "indicators.csv":
            row.file = rec["file"]
        row.suppressed |= _truthy(rec["suppressed"])
        for col in ("numerator", "denominator"):
            if rec[col] != "" and col not in row.published:
                row.published[col] = rec[col]
        if row.kind in ("mean_int", "mean_real"):
            self._bound(row, "n", self.count_bounds(folder, subj, rec["denominator"]))
            if row.kind == "mean_int" and rec["numerator"] != "":
                b = self.rounding.get((folder, subj), 1)
                v = float(rec["numerator"])
                if v == round(v):
                    r = int(round(v))
                    self._bound(row, "S", (r - b // 2, r + (b - 1) // 2) if b > 1 else (r, r))
        elif _SITE_SUM in rec["method"]:
            pass  # counts that are sums of the sites' published counts say nothing of the true total
        else:
            self._bound(row, "n", self.count_bounds(folder, subj, rec["denominator"]))
            if subj == "professional" and row.kind == "prop" and rec["denominator"] == "" and _truthy(rec["suppressed"]):
                # a group too small to report shows no base, an empty one shows 0: a withheld
                # professional row with a blank base is a group of 1 to 10 (so "none of them" is news)
                self._bound(row, "n", (1, self.policy.min_group - 1))
            if row.kind != "diff":
                self._bound(row, "a", self.count_bounds(folder, subj, rec["numerator"]))
            elif rec["numerator"] != "":
                b = self.rounding.get((folder, subj), 1)
                r = int(round(float(rec["numerator"])))
                self._bound(row, "a", (r - b // 2 - b // 2, r + b // 2 + b // 2) if b > 1 else (r, r))
        file = rec["file"]
        fam = "mean" if row.kind.startswith("mean") else "count"
        method = rec["method"]
        if rec["estimate"] != "" and not self.pub_derived.get((file, "estimate", fam, method), False):
            v = float(rec["estimate"])
            row.estimates.append((v, self.tol(file, "estimate", v, fam, method)))
        lo_ok = rec["lower"] != "" and not self.pub_derived.get((file, "lower", fam, method), False)
        hi_ok = rec["upper"] != "" and not self.pub_derived.get((file, "upper", fam, method), False)
        if lo_ok or hi_ok:
            lo = float(rec["lower"]) if lo_ok else None
            hi = float(rec["upper"]) if hi_ok else None
            row.intervals.append((lo, self.tol(file, "lower", lo, fam, method) if lo is not None else None,
                                  hi, self.tol(file, "upper", hi, fam, method) if hi is not None else None))

    def sites_in(self, indicator: str, group: str, period: str) -> set:
        """The sites that publish a row of ``indicator``/``group`` for ``period``."""
        if not hasattr(self, "_sites_in"):
            self._sites_in = {}
            for (site, ind, grp, per) in self.rows:
                if site != "national":
                    self._sites_in.setdefault((ind, grp, per), set()).add(site)
        return self._sites_in.get((indicator, group, period), set())

    @staticmethod
    def _bound(row: _Row, name: str, b) -> None:
        if b is None:
            return
        cur = row.bounds.get(name)
        row.bounds[name] = list(b) if cur is None else [max(cur[0], b[0]), min(cur[1], b[1])]

    def _add_changes(self, changes: pd.DataFrame) -> None:
        """Estimates of both rounds in change.csv are further observations of the history rows."""
        self.change_pairs = []
        method = changes["method"].astype(str) if "method" in changes else pd.Series("", index=changes.index)
        fam = np.array(["mean" if _row_kind(i, m, str(g))[0].startswith("mean") else "count"
                        for i, m, g in zip(changes.get("indicator", ""), method, changes.get("group", ""))])
        precision = {}
        for col in ("from_estimate", "to_estimate"):
            if col not in changes:
                continue
            for f in ("mean", "count"):
                p = [_precision(v) for v in changes.loc[fam == f, col] if v != ""]
                precision[(col, f)] = (max((d for d, _ in p), default=0), max((s for _, s in p), default=1))
        for i, rec in enumerate(_records(changes)):
            site, ind, grp = rec.get("site_id", ""), rec.get("indicator", ""), str(rec.get("group", "")).strip()
            keys = []
            for side in ("from", "to"):
                key = (site, ind, grp, str(rec.get(f"{side}_period", "")).strip())
                keys.append(key)
                row = self.rows.get(key)
                pooled = str(rec.get("sites", "") or "").strip()
                if row is not None and pooled and set(pooled.split("; ")) != self.sites_in(ind, grp, key[3]):
                    # a national change pools only the sites with both rounds: another population
                    # than the period's history row (its own gate saw the sites behind it)
                    row = None
                    keys[-1] = None
                text = str(rec.get(f"{side}_estimate", ""))
                if row is None or text == "" or not _NUM.match(text):
                    continue
                v = float(text)
                dec, sf = precision.get((f"{side}_estimate", fam[i]), (0, 1))
                row.estimates.append((v, _tolerance(v, dec, sf)))
                row.local_attack = "change minus rounds"
            if all(k is not None and k in self.rows for k in keys) and str(rec.get("difference", "")) != "":
                self.change_pairs.append((keys[0], keys[1], rec, rec.get("file", "")))


# --------------------------------------------------------------------------------------------
# Local inversion: the integer tuples consistent with one row
# --------------------------------------------------------------------------------------------


def _enumerate_row(row: _Row, policy: AuditPolicy, nmax: int) -> None:
    """Fill ``row.tuples`` (and tighten ``row.bounds``) from the row's own published figures."""
    b = row.bounds
    nlo, nhi = b.get("n", [0, nmax])
    nlo, nhi = max(0, nlo), min(nhi, max(nmax, nlo))
    b["n"] = [nlo, nhi]
    if row.kind == "mean_real":
        row.names = ("n",)
        return
    if row.kind == "mean_int":
        _enumerate_mean(row, policy, nlo, nhi)
        return
    alo, ahi = b.get("a", [-nhi if row.kind == "diff" else 0, nhi])
    b["a"] = [alo, ahi]
    row.names = ("a", "n")
    if not row.estimates and not row.intervals:
        return
    if not 0 < nhi - max(nlo, 1) + 1 <= 20000:  # (told before the range is made: a base of up to a
        return  # national total was once a second of the audit spent making arrays to throw away)
    ns = np.arange(max(nlo, 1), nhi + 1)
    lo = np.full(len(ns), float(alo))
    hi = np.minimum(float(ahi), ns.astype(float))
    if row.kind == "diff":
        lo = np.maximum(lo, -ns)
    else:
        lo = np.maximum(lo, 0)
    scale = ns / row.mult
    for v, tol in row.estimates:
        lo = np.maximum(lo, np.ceil((v - tol) * scale - 1e-9))
        hi = np.minimum(hi, np.floor((v + tol) * scale + 1e-9))
    cnt = np.clip(hi - lo + 1, 0, None).astype(np.int64)
    total = int(cnt.sum())
    if total > policy.enum_cap:
        return
    n_rep = np.repeat(ns, cnt).astype(float)
    start = np.repeat(lo, cnt)
    offs = np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    a_rep = start + offs
    keep = np.ones(total, bool)
    est = a_rep / n_rep * row.mult
    for v, tol in row.estimates:
        keep &= np.abs(est - v) <= tol
    if row.intervals and row.kind != "diff":
        ci = _interval(row.kind, row.method, a_rep, n_rep, row.mult)
        if ci is not None:
            for lo_v, lo_t, hi_v, hi_t in row.intervals:
                if lo_v is not None:
                    keep &= np.isfinite(ci[0]) & (np.abs(ci[0] - lo_v) <= lo_t) | (~np.isfinite(ci[0]) & False)
                if hi_v is not None:
                    keep &= np.abs(ci[1] - hi_v) <= hi_t
    tuples = np.column_stack([a_rep[keep], n_rep[keep]]).astype(np.int64)
    row.local_attack = row.local_attack or "estimate x base"
    _set_tuples(row, tuples)


def _enumerate_mean(row: _Row, policy: AuditPolicy, nlo: int, nhi: int) -> None:
    codes = row.codes
    k = max(codes)
    row.names = ("n", "S", "Q")
    slo, shi = row.bounds.get("S", [0, k * nhi])
    row.bounds["S"] = [max(slo, nlo), min(shi, k * nhi)]
    row.bounds["Q"] = [nlo, k * k * nhi]
    if not row.estimates and not row.intervals:
        return
    ests = list(row.estimates)
    halfs = []
    for lo_v, lo_t, hi_v, hi_t in row.intervals:
        if lo_v is not None and hi_v is not None:
            ests.append(((lo_v + hi_v) / 2, (lo_t + hi_t) / 2))
            halfs.append(((hi_v - lo_v) / 2, (lo_t + hi_t) / 2, lo_v, lo_t, hi_v, hi_t))
    out = []
    budget = policy.enum_cap
    for n in range(max(nlo, 1), nhi + 1):
        s_lo, s_hi = max(slo, n), min(shi, k * n)
        for v, tol in ests:
            s_lo = max(s_lo, math.ceil((v - tol) * n - 1e-9))
            s_hi = min(s_hi, math.floor((v + tol) * n + 1e-9))
        if s_hi < s_lo:
            continue
        S = np.arange(s_lo, s_hi + 1, dtype=float)
        m = S / n
        ok = np.ones(len(S), bool)
        for v, tol in row.estimates:
            ok &= np.abs(m - v) <= tol
        S = S[ok]
        if not len(S):
            continue
        if not halfs or n < 2:
            qlo = np.maximum(np.ceil(S * S / n), S)
            qhi = np.minimum(k * S, float(k * k * n))
            if not halfs:
                if n < 2:
                    out.extend((n, int(s), int(s * s / n)) for s in S if (s * s) % n == 0)
                    continue
                if len(S) * (qhi - qlo + 1).sum() > budget:
                    return
                for s, ql, qh in zip(S, qlo, qhi):
                    qs = np.arange(ql, qh + 1)
                    qs = qs[(qs - s) % 2 == 0]
                    out.extend((n, int(s), int(q)) for q in qs)
                continue
        t = float(_st.t.ppf(0.975, n - 1))
        for h, ht, lo_v, lo_t, hi_v, hi_t in halfs:
            vlo = max(h - ht, 0) ** 2 * n / (t * t)
            vhi = (h + ht) ** 2 * n / (t * t)
            qlo = np.ceil(vlo * (n - 1) + S * S / n - 1e-6)
            qhi = np.floor(vhi * (n - 1) + S * S / n + 1e-6)
            cnt = np.clip(qhi - qlo + 1, 0, None).astype(np.int64)
            if cnt.sum() > budget:
                return
            budget -= int(cnt.sum())
            Ss = np.repeat(S, cnt)
            Qs = np.repeat(qlo, cnt) + (np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt))
            keep = ((Qs - Ss) % 2 == 0) & (Qs >= Ss) & (Qs <= k * Ss)
            var = np.maximum((Qs - Ss * Ss / n) / (n - 1), 0)
            half = t * np.sqrt(var / n)
            mean = Ss / n
            keep &= np.abs(mean - half - lo_v) <= lo_t
            keep &= np.abs(mean + half - hi_v) <= hi_t
            out.extend(zip([n] * int(keep.sum()), Ss[keep].astype(int).tolist(), Qs[keep].astype(int).tolist()))
            break  # one interval is enough to enumerate; the others filter below
    tuples = np.array(sorted(set(out)), dtype=np.int64).reshape(-1, 3)
    if len(halfs) > 1 and len(tuples):
        n_, S_, Q_ = (tuples[:, i].astype(float) for i in range(3))
        t = _st.t.ppf(0.975, np.maximum(n_ - 1, 1))
        half = t * np.sqrt(np.maximum((Q_ - S_ * S_ / n_) / np.maximum(n_ - 1, 1), 0) / n_)
        keep = np.ones(len(tuples), bool)
        for h, ht, lo_v, lo_t, hi_v, hi_t in halfs[1:]:
            keep &= (np.abs(S_ / n_ - half - lo_v) <= lo_t) & (np.abs(S_ / n_ + half - hi_v) <= hi_t)
        tuples = tuples[keep]
    row.local_attack = row.local_attack or "mean and interval inversion"
    _set_tuples(row, tuples)


def _set_tuples(row: _Row, tuples: np.ndarray) -> None:
    if len(tuples) == 0:
        row.tuples = None
        row.inconsistent = True
        return
    row.tuples = tuples
    for j, name in enumerate(row.names):
        lo, hi = int(tuples[:, j].min()), int(tuples[:, j].max())
        cur = row.bounds.get(name, [lo, hi])
        row.bounds[name] = [max(cur[0], lo), min(cur[1], hi)]


# --------------------------------------------------------------------------------------------
# The model: integer unknowns, linked tables as linear constraints, counts to check
# --------------------------------------------------------------------------------------------


@dataclass
class _Check:
    expr: dict  # var index -> coefficient
    row: _Row
    cell: str
    role: str  # count or base
    status: str  # withheld, rounded, exact, derived
    published: str = ""
    attack: str = ""


class _Model:
    def __init__(self, pub: _Published, policy: AuditPolicy):
        self.pub = pub
        pub.model = self  # (the current bounds of a row's base, for judging a recovered 0)
        self.policy = policy
        self.lo: list[int] = []
        self.hi: list[int] = []
        self.cons: list[tuple[dict, float, float, str]] = []
        self.checks: list[_Check] = []
        self.linked: dict[str, int] = {}

    def var(self, lo, hi) -> int:
        self.lo.append(int(lo))
        self.hi.append(int(max(lo, hi)))
        return len(self.lo) - 1

    def add(self, expr: dict, lo: float, hi: float, kind: str) -> None:
        # (a copy without the zero terms; most constraints have none, and dict() copies in C)
        expr = {k: v for k, v in expr.items() if v != 0} if 0 in expr.values() else dict(expr)
        if expr:
            self.cons.append((expr, lo, hi, kind))

    def eq(self, expr: dict, rhs: float, kind: str) -> None:
        self.add(expr, rhs, rhs, kind)

    def count(self, kind: str) -> None:
        self.linked[kind] = self.linked.get(kind, 0) + 1


def _restricted(pub: _Published, row: _Row) -> bool:
    return pub.restricted.get(row.folder, False)


def _status(pub: _Published, row: _Row, field_name: str) -> str:
    if field_name not in row.published:
        return "withheld"
    return "rounded" if pub.rounding.get((row.folder, row.subjects), 1) > 1 else "exact"


#: A national row's ``method`` says its counts are the sums of the sites' published counts
#: (the gate's wording): published, they bound nothing about the true total.
_SITE_SUM = SITE_SUM_METHOD.removeprefix("; ")

#: Indicators (by ending) whose counts are groups of professionals rather than their opinions.
_NOT_OPINIONS = ("response_rate", "likert_missing")


def _build(pub: _Published, policy: AuditPolicy) -> _Model:
    model = _Model(pub, policy)
    for row in pub.rows.values():
        for name in row.names:
            lo, hi = row.bounds.get(name, [0, _BIG])
            row.vars[name] = model.var(lo, hi)
        v = row.vars
        if row.kind in ("prop", "rate"):
            model.add({v["a"]: 1, v["n"]: -1}, -np.inf, 0, "")
        elif row.kind == "diff":
            model.add({v["a"]: 1, v["n"]: -1}, -np.inf, 0, "")
            model.add({v["a"]: 1, v["n"]: 1}, 0, np.inf, "")
        elif row.kind == "mean_int":
            k = max(row.codes)
            model.add({v["S"]: 1, v["n"]: -1}, 0, np.inf, "")
            model.add({v["S"]: 1, v["n"]: -k}, -np.inf, 0, "")
            model.add({v["Q"]: 1, v["S"]: -1}, 0, np.inf, "")
            model.add({v["Q"]: 1, v["S"]: -k}, -np.inf, 0, "")
        if (row.tuples is None or len(row.tuples) > policy.tuple_limit) and row.estimates and row.kind in ("prop", "rate", "diff", "mean_int"):
            num = "S" if row.kind == "mean_int" else "a"
            for val, tol in row.estimates:  # (v - tol) n <= a * mult <= (v + tol) n
                model.add({v[num]: row.mult, v["n"]: -(val - tol)}, 0, np.inf, "")
                model.add({v[num]: row.mult, v["n"]: -(val + tol)}, -np.inf, 0, "")
        if not _restricted(pub, row):
            continue
        pubtext = row.published
        # who responded (a response rate) and who left an item blank are groups of professionals,
        # not opinions: every cell of such a row is a group size
        role = "base" if row.subjects == "professional" and row.indicator.endswith(_NOT_OPINIONS) else "count"
        if row.kind in ("prop", "rate"):
            model.checks.append(_Check({v["a"]: 1}, row, "numerator", role, _status(pub, row, "numerator"), pubtext.get("numerator", "[c]" if row.suppressed else "")))
        if row.kind == "prop":
            st = "withheld" if "numerator" not in pubtext else _status(pub, row, "denominator")
            model.checks.append(_Check({v["n"]: 1, v["a"]: -1}, row, "complement (base minus numerator)", role, "derived" if st != "withheld" else st))
        model.checks.append(_Check({v["n"]: 1}, row, "denominator", "base", _status(pub, row, "denominator"), pubtext.get("denominator", "")))
    _link(pub, model)
    return model


# -- discovery of linked tables ------------------------------------------------------------------


def _b(row: _Row, name: str) -> tuple[int, int]:
    lo, hi = row.bounds.get(name, [0, _BIG])
    return int(lo), int(hi)


def _exact(row: _Row, name: str) -> int | None:
    lo, hi = _b(row, name)
    return lo if lo == hi else None


def _sum_consistent(parts: list[tuple[int, int]], total: tuple[int, int]) -> bool:
    return sum(p[0] for p in parts) <= total[1] and sum(p[1] for p in parts) >= total[0]


def _link(pub: _Published, model: _Model) -> None:
    rows = list(pub.rows.values())
    by_folder: dict[tuple, list[_Row]] = {}
    for r in rows:
        by_folder.setdefault((r.folder, r.period), []).append(r)
    index = {(r.folder, r.period, r.indicator, r.group): r for r in rows}
    exact_folders = {f for f, restricted in pub.restricted.items() if not restricted}
    _link_likert(pub, model, by_folder, index)
    _link_partitions(pub, model, by_folder, exact_folders)
    _link_identities(pub, model, by_folder, exact_folders)
    _link_bases(pub, model, by_folder)
    _link_disjoint(pub, model, by_folder, index, exact_folders)
    _link_rollups(pub, model, by_folder, exact_folders)
    _link_breakdowns(pub, model, by_folder, index, exact_folders)
    _link_national(pub, model, rows)
    _link_registry(pub, model, by_folder)


def _link_registry(pub, model, by_folder) -> None:
    """The gate's own declarations (``homekit.disclosure.LINKED_TABLES``), used *in addition* to
    what the audit finds in the data: a table the gate declares but the data contradicts is
    skipped (and noted), never trusted blindly."""
    try:
        from .disclosure import LINKED_TABLES
    except ImportError:  # pragma: no cover - a gate without a registry
        return
    kind = "linked table declared by the gate"
    # (the same indicator and group recur in every folder and round: each key is matched against
    # the declared tables once, and each folder's rows are handed to the tables they match)
    hits: dict[str, list] = {}
    for (folder, period), members in by_folder.items():
        text = {f"{r.indicator}|{r.group}": r for r in members}
        by_table: list[dict[tuple, list]] = [{} for _ in LINKED_TABLES]
        for key, r in text.items():
            if key not in hits:
                hits[key] = [(t, named) for t, table in enumerate(LINKED_TABLES) if (named := table.named(key)) is not None]
            if r.kind in ("prop", "rate"):
                for t, named in hits[key]:
                    by_table[t].setdefault(named, []).append(r)
        for table, groups in zip(LINKED_TABLES, by_table):
            for named, parts in groups.items():
                if table.total is None:
                    if len(parts) < 2:
                        continue
                    base = parts[0].vars["n"]
                    exprs = [({r.vars["n"]: 1, base: -1}, 0, 0) for r in parts[1:]]
                    total_expr = {**{r.vars["a"]: 1 for r in parts}, base: -1}
                else:
                    total = text.get(table.total.format(**dict(named)))
                    if total is None or total.kind not in ("prop", "rate"):
                        continue
                    exprs = []
                    if table.field == "group":
                        exprs.append(({total.vars["n"]: 1, **{r.vars["n"]: -1 for r in parts}}, 0, 0))
                    total_expr = {**{r.vars["a"]: 1 for r in parts}, total.vars["a"]: -1}
                    base = total.vars["n"]
                if table.remainder:
                    rest = model.var(0, max(_b(r, "n")[1] for r in parts))
                    total_expr = {**total_expr, rest: 1}
                # consistency with the published figures before use
                ok = all(_sum_consistent([(model.lo[k] * c if c > 0 else model.hi[k] * c, model.hi[k] * c if c > 0 else model.lo[k] * c)
                                          for k, c in e.items()], (lo, hi)) for e, lo, hi in exprs + [(total_expr, 0, 0)])
                if not ok:
                    model.pub.notes.append(f"{folder}: the gate declares '{table.name}' but the published figures do not add up; not used")
                    continue
                for e, lo, hi in exprs:
                    model.add(e, lo, hi, kind)
                model.eq(total_expr, 0, kind)
                if table.remainder and _restricted(pub, parts[0]):
                    model.checks.append(_Check({rest: 1}, parts[0], f"the rest of the base ({table.name})", "count", "derived"))
                model.count(kind)


def _link_likert(pub, model, by_folder, index) -> None:
    """top2 + middle + bottom2 = answered; the mean's sum and sum of squares from the levels;
    net = top2 - bottom2; answered + missing = responses (named in the published dictionary)."""
    kind = "Likert item: levels, top two, bottom two, mean, missing"
    for (folder, period), members in by_folder.items():
        items = {}
        for r in members:
            m = re.match(r"^(.*)likert_(top2|bottom2|net|mean|missing)$", r.indicator)
            if m:
                items.setdefault((m.group(1), r.group), {})[m.group(2)] = r
        for (prefix, group), fam in items.items():
            answered = [fam[k] for k in ("top2", "bottom2", "net", "mean") if k in fam]
            if not answered:
                continue
            base = answered[0].vars["n"]
            for r in answered[1:]:
                model.eq({r.vars["n"]: 1, base: -1}, 0, kind)
            top, bottom = fam.get("top2"), fam.get("bottom2")
            if "net" in fam and top is not None and bottom is not None:
                model.eq({fam["net"].vars["a"]: 1, top.vars["a"]: -1, bottom.vars["a"]: 1}, 0, kind)
            if "missing" in fam:
                mi = fam["missing"]
                model.eq({mi.vars["n"]: 1, mi.vars["a"]: -1, base: -1}, 0, kind)
                if _restricted(pub, mi):
                    st = "withheld" if mi.suppressed else "derived"
                    model.checks.append(_Check({mi.vars["n"]: 1, mi.vars["a"]: -1}, mi, "answered (responses minus missing)", "count", st))
            codes = _scale_codes(prefix + "likert_mean", group)
            nb = max(_b(r, "n")[1] for r in answered)
            if codes is None:
                if top is not None and bottom is not None:
                    mid = model.var(0, nb)
                    model.eq({top.vars["a"]: 1, bottom.vars["a"]: 1, mid: 1, base: -1}, 0, kind)
                    if _restricted(pub, top):
                        model.checks.append(_Check({mid: 1}, top, "answers between the top two and bottom two", "count", "derived"))
                model.count(kind)
                continue
            k = len(codes)
            levels = [model.var(0, nb) for _ in codes]
            model.eq({**{c: 1 for c in levels}, base: -1}, 0, kind)
            if top is not None:
                model.eq({levels[-1]: 1, levels[-2]: 1, top.vars["a"]: -1}, 0, kind)
            if bottom is not None:
                model.eq({levels[0]: 1, levels[1]: 1, bottom.vars["a"]: -1}, 0, kind)
            mean = fam.get("mean")
            if mean is not None and mean.kind == "mean_int":
                model.eq({**{c: code for c, code in zip(levels, codes)}, mean.vars["S"]: -1}, 0, kind)
                model.eq({**{c: code * code for c, code in zip(levels, codes)}, mean.vars["Q"]: -1}, 0, kind)
            owner = mean or top or bottom or answered[0]
            if _restricted(pub, owner):
                for code, c in zip(codes, levels):
                    model.checks.append(_Check({c: 1}, owner, f"answers at level {code} of {k}", "count", "withheld" if owner.suppressed else "derived"))
            model.count(kind)
        # relationship scores (1-5, no top/bottom rows): the levels behind a mean
        for r in members:
            if r.kind == "mean_int" and not r.indicator.endswith("likert_mean") and r.codes:
                nb = _b(r, "n")[1]
                levels = [model.var(0, nb) for _ in r.codes]
                model.eq({**{c: 1 for c in levels}, r.vars["n"]: -1}, 0, "mean: answer levels")
                model.eq({**{c: code for c, code in zip(levels, r.codes)}, r.vars["S"]: -1}, 0, "mean: answer levels")
                model.eq({**{c: code * code for c, code in zip(levels, r.codes)}, r.vars["Q"]: -1}, 0, "mean: answer levels")
                if _restricted(pub, r):
                    for code, c in zip(r.codes, levels):
                        model.checks.append(_Check({c: 1}, r, f"answers at level {code} of {len(r.codes)}", "count", "derived"))


def _prefix(group: str) -> tuple[str, str]:
    return tuple(group.rsplit("|", 1)) if "|" in group else ("", group)


def _link_partitions(pub, model, by_folder, exact_folders) -> None:
    """Groups of one indicator with one base that add up to it (found in the published data)."""
    kind = "groups adding up to their base"
    clusters: dict[tuple, dict] = {}
    for (folder, period), members in by_folder.items():
        for r in members:
            if r.kind not in ("prop", "rate") or "group:" in r.group:
                continue
            clusters.setdefault((r.indicator, _prefix(r.group)[0], period), {}).setdefault(folder, []).append(r)
    for (ind, prefix, period), folders in clusters.items():
        if max(len(v) for v in folders.values()) < 2:
            continue
        evidence, consistent, same_base_ok, seen_whole = 0, True, True, 0
        for folder, rs in folders.items():
            ns = [_b(r, "n") for r in rs]
            common = (max(n[0] for n in ns), min(n[1] for n in ns))
            if common[0] > common[1]:
                same_base_ok = consistent = False
                break
            if not _sum_consistent([_b(r, "a") for r in rs], common):
                consistent = False
            # a folder where every group publishes the same base shows groups on one base; rows
            # with blank bases (professions too small to show) fit any reading and show nothing
            seen_whole += len({r.published.get("denominator") for r in rs}) == 1 and "denominator" in rs[0].published
            if folder in exact_folders or all(_exact(r, "a") is not None and _exact(r, "n") is not None for r in rs):
                if all(_exact(r, "a") is not None and _exact(r, "n") is not None for r in rs):
                    if sum(_exact(r, "a") for r in rs) == _exact(rs[0], "n") and len({_exact(r, "n") for r in rs}) == 1:
                        evidence += 1
                    else:
                        consistent = False
        if not same_base_ok:
            continue
        full = max(len(v) for v in folders.values())
        if consistent and (evidence >= 1 or (not exact_folders and len(folders) >= 3 and seen_whole >= 2)):
            for folder, rs in folders.items():
                base = rs[0].vars["n"]
                for r in rs[1:]:
                    model.eq({r.vars["n"]: 1, base: -1}, 0, kind)
                expr = {r.vars["a"]: 1 for r in rs}
                expr[base] = -1
                if len(rs) == full:
                    model.eq(expr, 0, kind)
                else:
                    model.add(expr, -np.inf, 0, kind)
                sup = [r for r in rs if r.suppressed]
                if len(sup) >= 2 and _restricted(pub, rs[0]) and len(rs) == full:
                    rest = model.var(0, _b(rs[0], "n")[1])  # base minus the published groups
                    model.eq({rest: 1, **{r.vars["a"]: 1 for r in rs if not r.suppressed}, base: -1}, 0, kind)
                    model.eq({rest: 1, **{r.vars["a"]: -1 for r in sup}}, 0, kind)
                    model.checks.append(_Check({rest: 1}, sup[0], f"sum of the {len(sup)} suppressed groups", "count", "withheld"))
                model.count(kind)
        elif full >= 3 and seen_whole >= 2:
            _same_base(pub, model, folders, exact_folders)


def _same_base(pub, model, folders, exact_folders) -> None:
    """Every group of an indicator published on one base (e.g. missing answers of every item)."""
    kind = "groups on one base"
    evidence = 0
    for folder, rs in folders.items():
        ns = [_b(r, "n") for r in rs]
        if max(n[0] for n in ns) > min(n[1] for n in ns):
            return
        ex = [_exact(r, "n") for r in rs]
        if folder in exact_folders:
            if None in ex or len(set(ex)) != 1:
                return
            evidence += 1
    if evidence or (not exact_folders and len(folders) >= 3):
        for folder, rs in folders.items():
            for r in rs[1:]:
                model.eq({r.vars["n"]: 1, rs[0].vars["n"]: -1}, 0, kind)
            model.count(kind)


def _signature(r: _Row) -> tuple:
    return (r.published.get("numerator", ""), r.published.get("denominator", ""), r.suppressed)


def _link_bases(pub, model, by_folder, min_seen: int = 5) -> None:
    """One row's base is another's count, found in the data: the base of "alternative available"
    is the count of improvable decisions (a red-team review read a withheld count off it). A pair
    of ids (same group) is taken as linked when, in every file where both figures are published,
    they can be equal (their bounds meet), and they are seen equal in at least ``min_seen``
    places: equal counts of five different sizes are not chance."""
    kind = "one row's base is another's count"
    seen: dict[tuple, list] = {}  # (A, B) -> [equal places, contradicted]
    rows_by: dict[tuple, dict] = {}
    for (folder, period), members in by_folder.items():
        for r in members:
            if r.kind == "prop" and "a" in r.vars and "n" in r.vars:
                rows_by.setdefault((folder, period, r.group), {})[r.indicator] = r
    for d in rows_by.values():
        nums = {i: r.published.get("numerator", "") for i, r in d.items()}
        dens = {i: r.published.get("denominator", "") for i, r in d.items()}
        for a, na in nums.items():
            if na == "" or float(na) < 10:
                continue
            for b, nb in dens.items():
                if a == b or nb == "":
                    continue
                tally = seen.setdefault((a, b), [set(), False])
                if float(nb) == float(na):
                    tally[0].add(float(na))
                else:  # (rounded independently, equal counts can be published differently)
                    (l1, h1), (l2, h2) = _b(d[a], "a"), _b(d[b], "n")
                    tally[1] |= max(l1, l2) > min(h1, h2)
    pairs = [k for k, (sizes, contradicted) in seen.items() if not contradicted and len(sizes) >= min_seen]
    for a, b in pairs:
        for d in rows_by.values():
            if a in d and b in d:
                model.eq({d[a].vars["a"]: 1, d[b].vars["n"]: -1}, 0, kind)
                model.count(kind)


def _link_identities(pub, model, by_folder, exact_folders) -> None:
    """The same count published under two ids (e.g. a headline and the Likert top-two row)."""
    kind = "the same figure published twice"
    per_key: dict[tuple, dict] = {}
    for (folder, period), members in by_folder.items():
        for r in members:
            if r.kind in ("prop", "rate"):
                per_key.setdefault((r.indicator, r.group, period), {})[folder] = r
    candidates: dict[tuple, list] = {}
    for key, fl in per_key.items():
        if exact_folders:
            sig = []
            for f in sorted(exact_folders):
                r = fl.get(f)
                if r is None or _exact(r, "a") is None or _exact(r, "n") is None or _exact(r, "n") < 10:
                    sig = None
                    break
                sig.append((f, _exact(r, "a"), _exact(r, "n")))
            if not sig:
                continue
            sig = tuple(sig)
        else:
            sig = tuple(sorted((f, _signature(r)) for f, r in fl.items()))
            if sum(1 for _, s in sig if s[0] != "") < 3:
                continue
        candidates.setdefault((key[2], _instrument(key[0]), sig), []).append(key)
    for (period, _, _), keys in candidates.items():
        if len(keys) < 2:
            continue
        first = per_key[keys[0]]
        for other in keys[1:]:
            second = per_key[other]
            folders = set(first) & set(second)
            agree, ok = 0, True
            for f in folders:
                ra, rb = first[f], second[f]
                for name in ("a", "n"):
                    (l1, h1), (l2, h2) = _b(ra, name), _b(rb, name)
                    if max(l1, l2) > min(h1, h2):
                        ok = False
                if _signature(ra) == _signature(rb) and ra.published.get("numerator"):
                    agree += 1
            if not ok or (exact_folders and agree < min(2, len(folders) - len(exact_folders))):
                continue
            for f in folders:
                ra, rb = first[f], second[f]
                model.eq({ra.vars["a"]: 1, rb.vars["a"]: -1}, 0, kind)
                model.eq({ra.vars["n"]: 1, rb.vars["n"]: -1}, 0, kind)
                model.count(kind)


def _tokens_related(a: str, b: str) -> bool:
    ta, tb = a.split("_"), b.split("_")
    pre = 0
    while pre < min(len(ta), len(tb)) and ta[pre] == tb[pre]:
        pre += 1
    suf = 0
    while suf < min(len(ta), len(tb)) - pre and ta[-1 - suf] == tb[-1 - suf]:
        suf += 1
    return suf >= 2 or pre >= 3


def _link_disjoint(pub, model, by_folder, index, exact_folders) -> None:
    """Two answers of one question on one base (e.g. "social care" and "GP" assess better): the
    rest of the base (here "Don't know") is their difference. Needs an exact file as evidence."""
    kind = "answers of one question: base minus the published answers"
    if not exact_folders:
        return
    per_key: dict[tuple, dict] = {}
    for (folder, period), members in by_folder.items():
        for r in members:
            if r.kind == "prop" and not re.search(r"likert_", r.indicator):
                per_key.setdefault((r.indicator, r.group, period), {})[folder] = r
    keys = sorted(per_key)
    for i, ka in enumerate(keys):
        for kb in keys[i + 1:]:
            if ka[1] != kb[1] or ka[2] != kb[2] or ka[0] == kb[0] or _instrument(ka[0]) != _instrument(kb[0]):
                continue
            if not _tokens_related(ka[0], kb[0]):
                continue
            fa, fb = per_key[ka], per_key[kb]
            folders = set(fa) & set(fb)
            ev, ok = 0, True
            for f in folders:
                ra, rb = fa[f], fb[f]
                na, nb_ = _b(ra, "n"), _b(rb, "n")
                if max(na[0], nb_[0]) > min(na[1], nb_[1]):
                    ok = False
                    break
                if f in exact_folders:
                    vals = [_exact(ra, "a"), _exact(rb, "a"), _exact(ra, "n"), _exact(rb, "n")]
                    if None in vals or vals[2] != vals[3] or vals[0] + vals[1] > vals[2] or vals[0] == vals[2] or vals[1] == vals[2]:
                        ok = False
                        break
                    ev += 1
                elif _b(ra, "a")[0] + _b(rb, "a")[0] > na[1]:
                    ok = False
                    break
            if not ok or not ev:
                continue
            for f in folders:
                ra, rb = fa[f], fb[f]
                nbig = _b(ra, "n")[1]
                rest = model.var(0, nbig)
                model.eq({ra.vars["n"]: 1, rb.vars["n"]: -1}, 0, kind)
                model.eq({ra.vars["a"]: 1, rb.vars["a"]: 1, rest: 1, ra.vars["n"]: -1}, 0, kind)
                if _restricted(pub, ra):
                    model.checks.append(_Check({rest: 1}, ra, f"other answers (base minus {ra.indicator} and {rb.indicator})", "count", "derived"))
                model.count(kind)


def _link_rollups(pub, model, by_folder, exact_folders) -> None:
    """``...|group:<name>`` rows against the groups they roll up (subset found in the data)."""
    kind = "groups and their roll-ups"
    from itertools import combinations

    inst: dict[tuple, dict] = {}  # (indicator, prefix, period, folder) -> {label: row}
    for (folder, period), members in by_folder.items():
        for r in members:
            if r.kind not in ("prop", "rate", "mean_int"):
                continue
            prefix, label = _prefix(r.group)
            inst.setdefault((r.indicator, prefix, period, folder), {})[label] = r
    # a roll-up and what it may roll up: professions' "group:" rows roll up professions; an
    # organisation may be exactly some professions' staff and a profession exactly some
    # organisations' (culture survey: acute trust = hospital clinical + hospital discharge)
    rolls = (("group:", lambda lab: not lab.startswith("group:") and ":" not in lab),
             ("organisation:", lambda lab: lab.startswith("profession:")),
             ("profession:", lambda lab: lab.startswith("organisation:")))
    names = sorted({(lab, k) for d in inst.values() for lab in d for k, (head, _) in enumerate(rolls) if lab.startswith(head)})
    for name, k in names:
        member_of = rolls[k][1]
        members_all = sorted({lab for d in inst.values() if name in d for lab in d if member_of(lab)})
        if not members_all:
            continue
        valid = None
        for size in range(1, min(len(members_all), 6) + 1):
            for subset in combinations(members_all, size):
                if _subset_ok(inst, name, subset, exact_folders, evidence_anywhere=k > 0):
                    valid = subset if valid is None else valid
                    if valid is not subset:
                        valid = "ambiguous"
            if valid is not None:
                break
        if valid is None or valid == "ambiguous":
            continue
        for d in inst.values():
            if name not in d or not all(m in d for m in valid):
                continue
            roll = d[name]
            fields_ = ("a", "n") if roll.kind != "mean_int" else ("n", "S", "Q")
            for fld in fields_:
                if fld in roll.vars and all(fld in d[m].vars for m in valid):
                    model.eq({roll.vars[fld]: 1, **{d[m].vars[fld]: -1 for m in valid}}, 0, kind)
            model.count(kind)


def _subset_ok(inst, name, subset, exact_folders, evidence_anywhere: bool = False) -> bool:
    """Whether ``name`` is the sum of ``subset`` wherever both are published (never contradicted)
    and shown to be in at least two places with exact counts (in an exact file; with
    ``evidence_anywhere``, any file whose counts are exact, such as professionals' answers: a
    roll-up seen nowhere in full, its rows withheld with blank bases, fits any reading)."""
    evidence = 0
    for d in inst.values():
        if name not in d or not all(m in d for m in subset):
            continue
        roll = d[name]
        for fld in ("a", "n"):
            if fld not in roll.vars:
                continue
            parts = [_b(d[m], fld) for m in subset]
            if not _sum_consistent(parts, _b(roll, fld)):
                return False
            ex = [_exact(d[m], fld) for m in subset] + [_exact(roll, fld)]
            if (roll.folder in exact_folders or evidence_anywhere) and None not in ex and sum(ex[:-1]) == ex[-1]:
                evidence += 1
    return evidence >= 2 or (not evidence_anywhere and not exact_folders and evidence == 0)


def _link_breakdowns(pub, model, by_folder, index, exact_folders) -> None:
    """A total row (group ``X``) and its breakdown (groups ``X|y`` of the same indicator)."""
    kind = "a total and its breakdown"
    totals: dict[tuple, dict] = {}
    for (folder, period), members in by_folder.items():
        for r in members:
            if "|" in r.group and "group:" not in r.group and r.kind in ("prop", "rate"):
                prefix, _ = _prefix(r.group)
                total = index.get((folder, period, r.indicator, prefix))
                if total is not None:
                    totals.setdefault((r.indicator, prefix, period), {}).setdefault(folder, (total, []))[1].append(r)
    for key, folders in totals.items():
        evidence, ok = 0, True
        for folder, (total, parts) in folders.items():
            for fld in ("a", "n"):
                if not _sum_consistent([_b(p, fld) for p in parts], _b(total, fld)):
                    ok = False
                ex = [_exact(p, fld) for p in parts] + [_exact(total, fld)]
                if folder in exact_folders:
                    if None in ex or sum(ex[:-1]) != ex[-1]:
                        ok = False
                    else:
                        evidence += 1
        if not ok or not (evidence or not exact_folders):
            continue
        for folder, (total, parts) in folders.items():
            for fld in ("a", "n"):
                model.eq({total.vars[fld]: 1, **{p.vars[fld]: -1 for p in parts}}, 0, kind)
            model.count(kind)


def _summed_fields(kind: str) -> tuple[str, ...]:
    """The unknowns of a row that a national sum adds up: counts and bases, or a mean's n, sum
    and sum of squares."""
    return ("a", "n") if kind in ("prop", "rate", "diff") else ("n", "S", "Q")


def _link_national(pub, model, rows) -> None:
    """National figures are sums of the site figures (checked per indicator and group).

    When the national file covers sites that published nothing (a failed site, or a subset of
    sites copied out), national = published sites + the rest, the rest >= 0.
    """
    kind = "national minus the other sites"
    nat: dict[tuple, _Row] = {}
    sites: dict[tuple, list[_Row]] = {}
    for r in rows:
        k = (r.indicator, r.group, r.period)
        if r.folder.startswith("national"):
            nat[k] = r
        else:
            sites.setdefault(k, []).append(r)
    # a national row that pools the sites' different latest rounds ("2014; 2019") is the sum of
    # each site's latest row (its indicators.csv): with the national rows of each round (history)
    # this links the rounds, so that national minus the other rounds is one round's sites
    latest: dict[tuple, list[_Row]] = {}
    rounds_of: list = []
    for r in rows:
        if not r.folder.startswith("national") and r.file.endswith("indicators.csv"):
            latest.setdefault((r.indicator, r.group), []).append(r)
    for (ind, grp, period), nr in nat.items():
        if "; " in period and (ind, grp, period) not in sites:
            rounds = set(period.split("; "))
            parts = [p for p in latest.get((ind, grp), []) if p.period in rounds]
            if parts and len({p.folder for p in parts}) == len(parts):
                sites[(ind, grp, period)] = parts
                rounds_of.append((nr, [(r, {p.folder for p in parts if p.period == r}) for r in sorted(rounds)]))
    pairs = []
    tested = inconsistent = 0
    for k, nr in nat.items():
        parts = sites.get(k)
        if not parts or any(p.kind != nr.kind for p in parts) or nr.kind == "mean_real":
            continue
        fields_ = _summed_fields(nr.kind)
        if all("denominator" in p.published for p in parts) and "denominator" in nr.published:
            tested += 1
            if not _sum_consistent([_b(p, "n") for p in parts], _b(nr, "n")):
                inconsistent += 1
        pairs.append((nr, parts, fields_))
    open_sum = tested > 0 and inconsistent > 0.1 * tested
    for nr, parts, fields_ in pairs:
        if not open_sum and not all(_sum_consistent([_b(p, f) for p in parts], _b(nr, f)) for f in fields_ if f != "Q"):
            continue
        for f in fields_:
            if open_sum and nr.kind == "diff" and f == "a":
                continue  # the other sites' net score may be negative
            expr = {nr.vars[f]: 1, **{p.vars[f]: -1 for p in parts}}
            if open_sum:
                model.add(expr, 0, np.inf, kind)
            else:
                model.eq(expr, 0, kind)
        model.count(kind)
    # and it is the sum of the national rows of its rounds where each of those pools exactly the
    # sites whose latest round it is (national - national 2014 = the 2019 sites, for the
    # propagation to take apart round by round)
    for nr, per_round in rounds_of:
        rounds = [nat.get((nr.indicator, nr.group, r)) for r, _ in per_round]
        if any(x is None or x.kind != nr.kind for x in rounds):
            continue
        if any({p.folder for p in sites.get((nr.indicator, nr.group, r), [])} != folders for r, folders in per_round):
            continue
        for f in _summed_fields(nr.kind):
            model.eq({nr.vars[f]: 1, **{x.vars[f]: -1 for x in rounds}}, 0, kind)
        model.count(kind)


def _change_filter(pub: _Published, policy: AuditPolicy) -> None:
    """Keep the tuples of two rounds that agree with the published difference (and interval)."""
    for ka, kb, rec, file in getattr(pub, "change_pairs", []):
        ra, rb = pub.rows[ka], pub.rows[kb]
        if ra.tuples is None or rb.tuples is None or ra.kind != "prop" or rb.kind != "prop":
            continue
        if len(ra.tuples) * len(rb.tuples) > policy.enum_cap:
            continue
        ia, ib = np.meshgrid(np.arange(len(ra.tuples)), np.arange(len(rb.tuples)), indexing="ij")
        ia, ib = ia.ravel(), ib.ravel()
        a1, n1 = ra.tuples[ia, 0].astype(float), ra.tuples[ia, 1].astype(float)
        a2, n2 = rb.tuples[ib, 0].astype(float), rb.tuples[ib, 1].astype(float)
        p1, p2 = a1 / n1, a2 / n2
        keep = np.ones(len(ia), bool)
        text = str(rec.get("difference", ""))
        d = float(text)
        dec, sf = _precision(text)
        keep &= np.abs((p2 - p1) - d) <= _tolerance(d, dec, sf)
        lo_t, hi_t = str(rec.get("lower", "")), str(rec.get("upper", ""))
        if lo_t and hi_t and "newcombe" in str(rec.get("method", "")).lower():
            l1, u1 = _wilson(a1, n1)
            l2, u2 = _wilson(a2, n2)
            lo = (p2 - p1) - np.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
            hi = (p2 - p1) + np.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
            lv, hv = float(lo_t), float(hi_t)
            keep &= np.abs(lo - lv) <= _tolerance(lv, *_precision(lo_t)) * 2
            keep &= np.abs(hi - hv) <= _tolerance(hv, *_precision(hi_t)) * 2
        if not keep.any():
            continue
        for row, idx in ((ra, ia[keep]), (rb, ib[keep])):
            new = row.tuples[np.unique(idx)]
            if len(new) < len(row.tuples):
                row.local_attack = "change minus rounds"
            _set_tuples(row, new)


# --------------------------------------------------------------------------------------------
# Solving: the smallest and largest feasible value of every count
# --------------------------------------------------------------------------------------------


def _fails(pub: _Published, ch: _Check, lo: int, hi: int, policy: AuditPolicy) -> str | None:
    row = ch.row
    b = pub.rounding.get((row.folder, row.subjects), 1)
    if row.subjects == "professional":
        # how many professionals answered is not an opinion (the NHS Staff Survey publishes its
        # response counts): a group's size is not a finding under the professional rule (only an
        # exact base where the file rounds counts); what a group under the threshold said is
        if ch.role == "base" and b <= 1:
            return None
    elif lo >= policy.small_from and hi <= policy.small_to and hi - lo + 1 < max(policy.rounding_base, 2):
        # The marker [c] itself says "1 to 7" (or the complement): knowing a withheld count lies
        # in 1-7 is what suppression publishes. It is disclosed when it is known more precisely
        # than a published rounded count (fewer than rounding_base values: "2 or 3", "4 to 6").
        how = "recovered exactly" if lo == hi else f"known to within {hi - lo + 1} values"
        return f"count of {policy.small_from}-{policy.small_to} people {how} (NHS Digital rule)"
    # (a withheld 0 about people is no disclosure: a count of none may be published; that none of
    # a professional group under the threshold said something is what the group said, once the
    # group is known not to be empty)
    if lo == hi and (lo >= 1 or (row.subjects == "professional" and ch.status == "withheld" and _base_at_least_one(pub, row))):
        if ch.status == "withheld" and row.subjects == "professional" and _b(row, "n")[0] >= policy.min_group:
            # what a group of 11 or more said may be published (staff-survey rule): a cell the
            # gate withheld there only to protect a smaller group elsewhere is not itself a
            # finding; the smaller group's own cells are checked
            return None
        if ch.status == "withheld":
            return "withheld count recovered exactly"
        if ch.status in ("rounded", "derived") and b > 1:
            return f"exact count where counts are rounded to {b}"
    return None


def _base_at_least_one(pub: _Published, row: _Row) -> bool:
    model = getattr(pub, "model", None)
    if model is not None and "n" in row.vars:
        return model.lo[row.vars["n"]] >= 1
    return _b(row, "n")[0] >= 1


NATIONAL = "national minus the other sites"


def _solve(model: _Model, policy: AuditPolicy, notes: list, deadline: float, known: dict | None = None,
           parallel: bool = True) -> tuple[list[Finding], int, "_Settled"]:
    """Findings, how many checks could not be settled before ``deadline``, and the components'
    programs settled (``known``: those of an earlier audit, see :func:`_component_ranges`).

    1. each row alone (its integer tuples): estimate x base, mean and interval inversion;
    2. interval propagation over every linked table (national minus the other sites, subtraction);
    3. integer programs per site component (the national sums are left to step 2, whose bounds
       they keep), for what propagation cannot see (e.g. the answer levels behind a mean).
    """
    pub = model.pub
    findings: list[Finding] = []
    pending = []

    def report(ch, lo, hi, rule, attack):
        r = ch.row
        findings.append(Finding(r.file, r.site_id, r.indicator, r.group, r.period, ch.cell, ch.published, int(lo), int(hi), rule, attack))

    for ch in model.checks:
        lo, hi = _local_range(model, ch)
        rule = _fails(pub, ch, lo, hi, policy)
        if rule is not None:
            report(ch, lo, hi, rule, ch.row.local_attack or "reading the published figures")
        else:
            pending.append(ch)
    base_lo, base_hi = list(model.lo), list(model.hi)
    base_tuples = {id(r): r.tuples for r in pub.rows.values()}
    if _propagate(model) is None:
        notes.append("the published figures contradict one another in a linked table; their bounds were not propagated")
    linked_failures = []
    later = []
    for ch in pending:
        lo, hi = _local_range(model, ch)
        rule = _fails(pub, ch, lo, hi, policy)
        if rule is not None:
            linked_failures.append((ch, lo, hi, rule))
        else:
            later.append(ch)
    # integer programs over each component of the linked tables within a site
    cons = [c for c in model.cons if c[3] != NATIONAL]
    # the variables that share a constraint, a row or a check, as components of a graph
    first: list[int] = []
    other: list[int] = []
    for group in [*(c[0] for c in cons), *(r.vars.values() for r in pub.rows.values()), *(ch.expr for ch in later)]:
        ks = list(group)
        first += [ks[0]] * (len(ks) - 1)
        other += ks[1:]
    n = len(model.lo)
    graph = sparse.coo_array((np.ones(len(first)), (np.asarray(first, np.int64), np.asarray(other, np.int64))), shape=(n, n))
    label = connected_components(graph, directed=False)[1]
    comp_cons: dict[int, list] = {}
    for c in cons:
        comp_cons.setdefault(int(label[next(iter(c[0]))]), []).append(c)
    comp_rows: dict[int, list] = {}
    for r in pub.rows.values():
        if r.vars:
            comp_rows.setdefault(int(label[next(iter(r.vars.values()))]), []).append(r)
    by_comp: dict[int, list] = {}
    linked_root = {root for root, cs in comp_cons.items() if any(c[3] for c in cs)}
    for ch in later:
        root = int(label[next(iter(ch.expr))])
        if root in linked_root:
            by_comp.setdefault(root, []).append(ch)
    unsettled = 0
    roots = list(by_comp)
    ranges_of, settled = _component_ranges(model, comp_rows, comp_cons, by_comp, roots, policy, deadline, known or {}, parallel)
    for root in roots:
        checks = by_comp[root]
        ranges, open_ = ranges_of[root]
        if ranges is None:
            crow = comp_rows.get(root, [])
            notes.append("published figures of " + ", ".join(sorted({f"{r.site_id} {r.indicator}" for r in crow})[:3])
                         + " do not fit one reading of their linked tables; those rows were checked one by one")
            continue
        unsettled += open_
        for ch, (lo, hi) in zip(checks, ranges):
            rule = _fails(pub, ch, lo, hi, policy)
            if rule is not None:
                linked_failures.append((ch, lo, hi, rule))
    model.lo, model.hi = base_lo, base_hi
    for r in pub.rows.values():
        r.tuples = base_tuples[id(r)]
    if linked_failures:
        attacks = _attribute(model, [f[0] for f in linked_failures], policy)
        for (ch, lo, hi, rule), attack in zip(linked_failures, attacks):
            report(ch, lo, hi, rule, attack)
    findings.sort(key=lambda f: (f.file, f.indicator, f.group, f.period, f.cell))
    return findings, unsettled, settled


#: What a forked worker of :func:`_component_ranges` reads (inherited, never pickled).
_FORKED: tuple | None = None


def _component_ranges(model: _Model, comp_rows: dict, comp_cons: dict, by_comp: dict, roots: list, policy: AuditPolicy,
                      deadline: float, known: dict, parallel: bool = True) -> tuple[dict, "_Settled"]:
    """``{root: (ranges or None, unsettled)}``: the integer programs of every component, in two
    processes where the machine has two cores (the components share no variable: each half is
    solved on its own, with the same programs as in one process; the run's batch has ended, so
    both cores are free; not with ``parallel`` False). Forked, so that the worker inherits the
    model instead of receiving it.

    ``known`` maps a component's key (:func:`_component_key`) to its ranges from an earlier
    audit; also returned: this audit's settled components (:class:`_Settled`)."""
    global _FORKED
    import multiprocessing as mp

    weight = {r: len(comp_rows.get(r, ())) + len(comp_cons.get(r, ())) for r in roots}
    if not parallel or (os.cpu_count() or 1) < 2 or len(roots) < 2 or sum(weight.values()) < _PARALLEL_FROM or "fork" not in mp.get_all_start_methods():
        out, keys = _ranges_of(model, comp_rows, comp_cons, by_comp, roots, policy, deadline, known)
    else:
        halves: tuple[list, list] = ([], [])
        load = [0, 0]
        for r in sorted(roots, key=lambda r: -weight[r]):
            k = 0 if load[0] <= load[1] else 1
            halves[k].append(r)
            load[k] += weight[r]
        _FORKED = (model, comp_rows, comp_cons, by_comp, policy, deadline, known)
        try:
            with mp.get_context("fork").Pool(1) as pool:
                theirs = pool.apply_async(_ranges_forked, (halves[1],))
                mine, mine_keys = _ranges_of(model, comp_rows, comp_cons, by_comp, halves[0], policy, deadline, known)
                other, other_keys = theirs.get()
        finally:
            _FORKED = None
        out, keys = {**mine, **other}, {**mine_keys, **other_keys}
    # (a program cut short by the time limit is not settled)
    settled = _Settled({key: out[root] for root, key in keys.items() if not out[root][1]},
                       reused=sum(1 for key in keys.values() if key in known), components=len(roots))
    return out, settled


@dataclass
class _Settled:
    """The components' programs an audit settled (key -> ranges), and how many of its components
    were taken as settled by an earlier audit, of how many."""

    programs: dict
    reused: int = 0
    components: int = 0


#: Components' rows and constraints from which the audit's programs use two processes.
_PARALLEL_FROM = 5_000


def _ranges_forked(roots: list) -> tuple[dict, dict]:
    model, comp_rows, comp_cons, by_comp, policy, deadline, known = _FORKED
    return _ranges_of(model, comp_rows, comp_cons, by_comp, roots, policy, deadline, known)


def _ranges_of(model: _Model, comp_rows: dict, comp_cons: dict, by_comp: dict, roots: list, policy: AuditPolicy,
               deadline: float, known: dict | None = None) -> tuple[dict, dict]:
    """The feasible range of every check of these components (see :func:`_solve`, step 3), and
    each component's key; a component whose key is in ``known`` takes its ranges from there."""
    parts = {root: _Problem.parts(model, comp_rows.get(root, []), comp_cons.get(root, []), by_comp[root], policy) for root in roots}
    keys = {root: _component_key(model, parts[root], by_comp[root], policy) for root in roots}
    known = known or {}
    out = {root: known[keys[root]] for root in roots if keys[root] in known}
    todo = [root for root in roots if root not in out]
    if todo:
        out.update(_solve_components(model, {r: _Problem.assemble(parts[r]) for r in todo}, by_comp, todo, policy, deadline))
    return out, keys


def _code() -> bytes:
    """This module's source (how a component is solved and what counts as a finding) and the
    versions of the solver and the arrays it is given (scipy with its HiGHS, numpy). A cache of
    settled programs written by other code, or solved by another solver, is not used."""
    global _CODE
    if _CODE is None:
        import hashlib

        import scipy

        _CODE = hashlib.sha256(Path(__file__).read_bytes() + f"|scipy {scipy.__version__}|numpy {np.__version__}".encode()).digest()
    return _CODE


_CODE: bytes | None = None


def _component_key(model: _Model, parts: tuple, checks: list, policy: AuditPolicy) -> str:
    """What a component's ranges depend on: its integer program (every array of it as
    :meth:`_Problem.parts` gives them, bounds after propagation included, from which the program
    is assembled), what each check is (the facts :func:`_fails` reads), the policy, and the code
    that solves it (:func:`_code`)."""
    import hashlib

    h = hashlib.blake2b(digest_size=20)
    h.update(_code())
    for arr in parts:
        a = np.ascontiguousarray(arr)
        h.update(f"{a.dtype}{a.shape}".encode())
        h.update(a.tobytes())
    pub = model.pub
    facts = [(ch.row.subjects, ch.role, ch.status, pub.rounding.get((ch.row.folder, ch.row.subjects), 1), _b(ch.row, "n"),
              _base_at_least_one(pub, ch.row)) for ch in checks]
    h.update(repr((facts, policy)).encode())
    return h.hexdigest()


def _solve_components(model: _Model, problems: dict, by_comp: dict, roots: list, policy: AuditPolicy, deadline: float) -> dict:
    """The integer programs of these components: witnesses stacked, then what still looks narrow."""
    pub = model.pub
    # witnesses for every component at once (stacked programs), then each component alone
    seen: dict[int, tuple] = {}
    plist = [problems[r] for r in roots]
    sums = [np.asarray(p.C.sum(axis=0)).ravel() for p in plist]
    lows, highs = (_Problem.solve_blocks(plist, [sign * c for c in sums], deadline) for sign in (1, -1))
    for r, lo, hi in zip(roots, lows, highs):
        if lo is not None and hi is not None:
            seen[r] = (np.minimum(lo, hi), np.maximum(lo, hi))
    # then, where checks of a component still look narrow, one program that moves as many of them
    # as it can off every value seen so far (:meth:`_Problem.apart`), every such component in
    # stacked programs (a block-diagonal program optimises each block on its own: the same
    # witnesses as one program per component)
    todo = {r: [i for i, ch in enumerate(by_comp[r]) if _fails(pub, ch, int(seen[r][0][i]), int(seen[r][1][i]), policy) is not None]
            for r in roots if r in seen}
    multi = [r for r in roots if todo.get(r)]
    if multi:
        parts = [problems[r].apart(todo[r], *seen[r]) for r in multi]
        for r, v in zip(multi, _Problem.solve_blocks([p for p, _ in parts], [o for _, o in parts], deadline)):
            if v is not None:
                seen[r] = (np.minimum(seen[r][0], v), np.maximum(seen[r][1], v))
    exact = _stacked_extremes(pub, problems, by_comp, seen, policy, deadline)
    return {root: _milp_ranges(model, problems[root], by_comp[root], policy, deadline, seen.get(root), grouped=root in seen,
                               exact=exact.get(root)) for root in roots}


def _attribute(model: _Model, checks: list, policy: AuditPolicy) -> list[str]:
    """Name the attack behind each finding: the single linked-table kind that reproduces it under
    propagation, else the kinds the finding's row takes part in."""
    pub = model.pub
    kinds = sorted({c[3] for c in model.cons if c[3]})
    # bounds as the rows alone give them
    saved = (model.lo, model.hi)
    alone = {}
    for k in kinds:
        res = _propagate(model, kinds={k}, apply=False)
        if res is not None:
            alone[k] = res
    out = []
    touching: dict[int, set] = {}
    for e, _, _, k in model.cons:
        if k:
            for v in e:
                touching.setdefault(v, set()).add(k)
    for ch in checks:
        hit = []
        for k, (lo, hi, tuples) in alone.items():
            model.lo, model.hi = lo, hi
            rng = _local_range(model, ch, tuples.get(id(ch.row)))
            if _fails(pub, ch, *rng, policy) is not None:
                hit.append(k)
        model.lo, model.hi = saved
        if not hit:
            hit = sorted(set().union(*[touching.get(v, set()) for v in set(ch.expr) | set(ch.row.vars.values())]))
            text = "combined: " + "; ".join(hit)
        else:
            text = " or ".join(hit)
        if ch.row.local_attack and ch.row.tuples is not None and ch.row.local_attack not in text:
            text = ch.row.local_attack + " with " + text
        out.append(text)
    return out


def _propagate(model: _Model, kinds=None, apply: bool = True):
    """Tighten every variable's bounds through the linear constraints and the rows' tuples.

    Interval propagation gives outer bounds: a check that fails on them fails for sure (this is
    how "national minus the other sites" and most subtractions are found). ``kinds`` limits the
    linked tables used (None: all). Returns ``(lo, hi, tuples)`` or None when the published
    figures contradict one another; with ``apply`` the model's bounds and tuples are updated.

    Each sweep tightens every variable through every constraint at once (sparse arrays: the
    bound a constraint gives a variable is its bound minus the other terms' extreme activity),
    then filters the tuples of the rows whose variables moved; repeated to the fixed point, which
    does not depend on the order the constraints are applied in.
    """
    lo = np.asarray(model.lo, float).copy()
    hi = np.asarray(model.hi, float).copy()
    cons = [(e, l, h) for e, l, h, k in model.cons if kinds is None or not k or k in kinds]
    ri = np.fromiter((i for i, (e, _, _) in enumerate(cons) for _ in e), np.int64)
    vj = np.fromiter((j for e, _, _ in cons for j in e), np.int64)
    cv = np.fromiter((c for e, _, _ in cons for c in e.values()), float)
    L = np.fromiter((l for _, l, _ in cons), float)
    H = np.fromiter((h for _, _, h in cons), float)
    n = len(lo)
    A = sparse.csr_array((cv, (ri, vj)), shape=(len(cons), n))
    Ap, An = A.maximum(0), A.minimum(0)
    pos = cv > 0
    Lr, Hr = L[ri], H[ri]
    rows = [r for r in model.pub.rows.values() if r.tuples is not None and len(r.tuples) > 1]
    row_of: dict[int, list] = {}
    for r in rows:
        for v in r.vars.values():
            row_of.setdefault(v, []).append(r)
    tuples = {id(r): r.tuples for r in rows}
    eps = 1e-7
    for _ in range(1000 if len(cons) else 0):  # (Jacobi sweeps: a few dozen reach the fixed point)
        mn = Ap @ lo + An @ hi
        mx = Ap @ hi + An @ lo
        if np.any(mn > H + 1e-6) or np.any(mx < L - 1e-6):
            return None
        cmin = np.where(pos, cv * lo[vj], cv * hi[vj])
        cmax = np.where(pos, cv * hi[vj], cv * lo[vj])
        with np.errstate(invalid="ignore"):
            low = Lr - (mx[ri] - cmax)   # -inf where the constraint has no lower side
            high = Hr - (mn[ri] - cmin)  # +inf where it has no upper side
        nl = np.where(pos, low, high) / cv
        nh = np.where(pos, high, low) / cv
        new_lo, new_hi = lo.copy(), hi.copy()
        fin = np.isfinite(nl)
        np.maximum.at(new_lo, vj[fin], np.ceil(nl[fin] - eps))
        fin = np.isfinite(nh)
        np.minimum.at(new_hi, vj[fin], np.floor(nh[fin] + eps))
        changed = (new_lo > lo) | (new_hi < hi)
        lo, hi = new_lo, new_hi
        if np.any(lo > hi):
            return None
        moved = {id(r): r for j in np.flatnonzero(changed) for r in row_of.get(int(j), [])}
        for r in moved.values():
            t = tuples[id(r)]
            keep = np.ones(len(t), bool)
            for k, name in enumerate(r.names):
                v = r.vars[name]
                keep &= (t[:, k] >= lo[v]) & (t[:, k] <= hi[v])
            if not keep.any():
                return None
            if not keep.all():
                t = t[keep]
                tuples[id(r)] = t
                for k, name in enumerate(r.names):
                    v = r.vars[name]
                    a, b = float(t[:, k].min()), float(t[:, k].max())
                    if a > lo[v] or b < hi[v]:
                        lo[v], hi[v] = max(lo[v], a), min(hi[v], b)
                        changed[v] = True
        if not changed.any():
            break
    lo_i, hi_i = [int(v) for v in lo], [int(v) for v in hi]
    if apply:
        model.lo, model.hi = lo_i, hi_i
        for r in rows:
            r.tuples = tuples[id(r)]
    return lo_i, hi_i, tuples


def _local_range(model: _Model, ch: _Check, tuples=None) -> tuple[int, int]:
    """Range of a check from its own row alone (its tuples, else interval arithmetic on bounds)."""
    row = ch.row
    inv = {v: k for k, v in row.vars.items()}
    tuples = row.tuples if tuples is None else tuples
    if tuples is not None and all(v in inv for v in ch.expr):
        val = np.zeros(len(tuples))
        for v, coef in ch.expr.items():
            val += coef * tuples[:, row.names.index(inv[v])]
        return int(val.min()), int(val.max())
    lo = hi = 0
    for v, coef in ch.expr.items():
        a, b = model.lo[v], model.hi[v]
        if v in inv and inv[v] == "a" and "n" in row.vars:
            b = min(b, model.hi[row.vars["n"]])
        lo += coef * (a if coef > 0 else b)
        hi += coef * (b if coef > 0 else a)
    if set(ch.expr) == {row.vars.get("n"), row.vars.get("a")}:  # complement n - a >= 0
        lo = max(lo, 0)
    return int(lo), int(hi)


@contextlib.contextmanager
def _solver_quiet():
    """HiGHS (C++) writes the odd line ("HighsMipSolverData::...") straight to file descriptor 1
    whatever ``disp`` says; keep it off the user's terminal."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # no real stdout (a notebook, a captured stream)
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


#: Variables per stacked integer program (see :meth:`_Problem.solve_blocks`).
STACK_VARIABLES = 20_000


class _Problem:
    """The integer program of one component (or several stacked block-diagonally)."""

    def __init__(self, A, clo, chi, lo, hi, C, integral=None):
        self.A, self.clo, self.chi, self.lo, self.hi, self.C = A, clo, chi, lo, hi, C
        self.integral = np.ones(len(lo)) if integral is None else integral
        self.infeasible = False

    def apart(self, idx: list, seen_lo, seen_hi) -> tuple["_Problem", np.ndarray]:
        """This program with one continuous variable per check ``idx[k]``, at most 1 and at most
        how far the check goes past the values seen so far in the direction it has more room
        (above the largest, or below the smallest), and the objective that maximises their sum
        (minimises its negative). One solution then moves as many of those checks as can move at
        once off what every earlier witness gave them, where a sum of checks moves only the ones a
        vertex favours (a check that moves back costs what it moves). The checks (``C``) ignore the
        new variables, so what :meth:`block_checks` reads is the same."""
        n, k, m = len(self.lo), len(idx), self.A.shape[0]
        Ck = self.C[idx].tocoo()
        pos, neg = np.maximum(Ck.data, 0), np.minimum(Ck.data, 0)
        box_hi = np.bincount(Ck.row, pos * self.hi[Ck.col] + neg * self.lo[Ck.col], minlength=k)
        box_lo = np.bincount(Ck.row, pos * self.lo[Ck.col] + neg * self.hi[Ck.col], minlength=k)
        lo_k, hi_k = np.asarray(seen_lo, float)[idx], np.asarray(seen_hi, float)[idx]
        up = (box_hi - hi_k) >= (lo_k - box_lo)
        sign = np.where(up, -1.0, 1.0)  # up: y - C x <= -hi; down: y + C x <= lo
        A0 = self.A.tocoo()
        rows = np.concatenate([A0.row, m + Ck.row, m + np.arange(k)])
        cols = np.concatenate([A0.col, Ck.col, n + np.arange(k)])
        vals = np.concatenate([A0.data, sign[Ck.row] * Ck.data, np.ones(k)])
        A = sparse.csr_array((vals, (rows, cols)), shape=(m + k, n + k))
        clo = np.concatenate([self.clo, np.full(k, -np.inf)])
        chi = np.concatenate([self.chi, np.where(up, -hi_k, lo_k)])
        C = sparse.csr_array((self.C.data, self.C.indices, self.C.indptr), shape=(self.C.shape[0], n + k))
        prob = _Problem(A, clo, chi, np.concatenate([self.lo, np.full(k, -np.inf)]), np.concatenate([self.hi, np.ones(k)]), C,
                        np.concatenate([self.integral, np.zeros(k)]))
        return prob, np.concatenate([np.zeros(n), -np.ones(k)])

    @staticmethod
    def parts(model: _Model, crow: list, ccons: list, checks: list, policy: AuditPolicy) -> tuple:
        """The program's arrays before they are made sparse matrices (:meth:`assemble`): the
        constraints' and the checks' entries (row, column, value), the constraints' and the
        variables' bounds, and the number of variables. A component's key is made from these
        (:func:`_component_key`), so that a component settled before is not assembled at all
        (two sparse matrices for each of 12,000 components: a second of a 150-site audit)."""
        vars_ = sorted({v for c in ccons for v in c[0]} | {v for r in crow for v in r.vars.values()} | {v for ch in checks for v in ch.expr})
        pos = {v: i for i, v in enumerate(vars_)}
        lo = [model.lo[v] for v in vars_]
        hi = [model.hi[v] for v in vars_]
        rows_i, cols_i, vals, clo, chi = [], [], [], [], []

        def add(expr, l, h):
            r = len(clo)
            for k, c in expr.items():
                rows_i.append(r)
                cols_i.append(k)
                vals.append(c)
            clo.append(l)
            chi.append(h)

        for expr, l, h, _ in ccons:
            add({pos[k]: c for k, c in expr.items()}, l, h)
        nx = len(vars_)
        for r in crow:
            if r.tuples is None or len(r.tuples) > policy.tuple_limit or len(r.tuples) == 1:
                continue
            z = list(range(nx, nx + len(r.tuples)))
            nx += len(r.tuples)
            lo += [0] * len(z)
            hi += [1] * len(z)
            add({k: 1 for k in z}, 1, 1)
            for j, name in enumerate(r.names):
                expr = {pos[r.vars[name]]: 1}
                for k, t in zip(z, r.tuples[:, j]):
                    if t:
                        expr[k] = -float(t)
                add(expr, 0, 0)
        entries = [(i, pos[v], c) for i, ch in enumerate(checks) for v, c in ch.expr.items()]
        ci, cj, cv = (list(t) for t in zip(*entries)) if entries else ([], [], [])
        ints = (np.array(rows_i, np.int64), np.array(cols_i, np.int64), np.array(ci, np.int64), np.array(cj, np.int64))
        return (*ints[:2], np.array(vals, float), np.array(clo, float), np.array(chi, float), np.array(lo, float),
                np.array(hi, float), *ints[2:], np.array(cv, float), nx, len(checks))

    @classmethod
    def assemble(cls, parts: tuple) -> "_Problem":
        rows_i, cols_i, vals, clo, chi, lo, hi, ci, cj, cv, nx, nchecks = parts
        A = sparse.csr_array((vals, (rows_i, cols_i)), shape=(len(clo), nx))
        C = sparse.csr_array((cv, (ci, cj)), shape=(nchecks, nx))
        return cls(A, clo, chi, lo, hi, C)

    @classmethod
    def stack(cls, problems: list["_Problem"]) -> "_Problem":
        if len(problems) == 1:
            return problems[0]
        return cls(_block_diag_csr([p.A for p in problems]), np.concatenate([p.clo for p in problems]),
                   np.concatenate([p.chi for p in problems]), np.concatenate([p.lo for p in problems]),
                   np.concatenate([p.hi for p in problems]), _block_diag_csr([p.C for p in problems]),
                   np.concatenate([p.integral for p in problems]))

    @classmethod
    def solve_blocks(cls, problems: list["_Problem"], objectives: list, deadline: float, chunk: int = 0) -> list:
        """Optimise each problem with its own objective, several problems stacked block-diagonally
        per program (one solve for many small components) but no more than ``chunk`` variables per
        program (default :data:`STACK_VARIABLES`): a program of every component of a 150-site run
        (255,000 variables) took HiGHS minutes where the same in programs of 20,000 take seconds.
        Returns, per problem, its checks' values at the optimum, or None where its program was
        not solved (time limit)."""
        chunk = chunk or STACK_VARIABLES
        out: list = [None] * len(problems)
        start = 0
        while start < len(problems):
            end, size = start, 0
            while end < len(problems) and (end == start or size + len(problems[end].lo) <= chunk):
                size += len(problems[end].lo)
                end += 1
            part = problems[start:end]
            x = cls.stack(part).solve(np.concatenate([np.asarray(o, float).ravel() for o in objectives[start:end]]), deadline)
            if x is not None:
                out[start:end] = cls.block_checks(part, x)
            start = end
        return out

    @staticmethod
    def block_checks(problems: list["_Problem"], x) -> list:
        """The checks' values in each block of a solution ``x`` of the programs stacked by :meth:`stack`."""
        offs = np.cumsum([0] + [len(p.lo) for p in problems])
        return [p.C @ x[offs[k]:offs[k + 1]] for k, p in enumerate(problems)]

    def solve(self, c, deadline: float):
        """An optimal point for ``c``, or None; ``infeasible`` then says whether the solver proved
        that no point exists (rather than running out of time or failing)."""
        left = deadline - time.perf_counter()
        self.infeasible = False
        if left <= 0:
            return None
        cons = [LinearConstraint(self.A, self.clo, self.chi)] if self.A.shape[0] else []
        with _solver_quiet():
            res = milp(np.asarray(c, float).ravel(), integrality=self.integral, bounds=Bounds(self.lo, self.hi),
                       constraints=cons, options={"presolve": True, "time_limit": max(1.0, left)})
        self.infeasible = res.status == 2
        return None if res.x is None or res.status != 0 else np.round(res.x)


def _block_diag_csr(blocks: list) -> sparse.csr_array:
    """The CSR blocks on a diagonal, by joining their arrays. Written by hand because
    ``scipy.sparse.block_diag`` converts every block to COO and checks it: a third of the
    audit's integer-program time went there (a thousand blocks per program)."""
    rows = np.cumsum([0] + [b.shape[0] for b in blocks])
    cols = np.cumsum([0] + [b.shape[1] for b in blocks])
    nnz = np.cumsum([0] + [b.indptr[-1] for b in blocks])
    data = np.concatenate([b.data[:b.indptr[-1]] for b in blocks])
    indices = np.concatenate([b.indices[:b.indptr[-1]].astype(np.int64) + cols[k] for k, b in enumerate(blocks)])
    indptr = np.concatenate([[0]] + [b.indptr[1:].astype(np.int64) + nnz[k] for k, b in enumerate(blocks)])
    return sparse.csr_array((data, indices, indptr), shape=(int(rows[-1]), int(cols[-1])))


def _stacked_extremes(pub, problems: dict, by_comp: dict, seen: dict, policy: AuditPolicy, deadline: float) -> dict:
    """The smallest and largest value of every check that still looks narrow on the witnesses, one
    check of each component per program: the components' programs stacked block-diagonally (each
    block is optimised on its own, so one solve settles one check in every component at once,
    instead of one solve per check). Updates ``seen``; returns, per component, the checks whose
    range is now exact (both extremes solved)."""
    def failing(root, i):
        lo, hi = seen[root]
        return _fails(pub, by_comp[root][i], int(lo[i]), int(hi[i]), policy) is not None

    queue = {r: [(i, sign) for i in range(len(by_comp[r])) if failing(r, i) for sign in (1, -1)] for r in seen}
    exact: dict[int, set] = {}
    while True:
        step = {}
        for r, q in queue.items():
            while q and not failing(r, q[0][0]):
                q.pop(0)  # settled by an earlier witness
            if q:
                step[r] = q.pop(0)
        if not step:
            return exact
        roots = list(step)
        values = _Problem.solve_blocks([problems[r] for r in roots],
                                       [step[r][1] * problems[r].C[[step[r][0]]].toarray().ravel() for r in roots], deadline)
        for r, v in zip(roots, values):
            if v is None:  # (out of time, or a block the solver gave up on): left to the component's own solves
                queue[r] = []
                continue
            seen[r] = (np.minimum(seen[r][0], v), np.maximum(seen[r][1], v))
            i, sign = step[r]
            if sign == -1:
                exact.setdefault(r, set()).add(i)


def _milp_ranges(model: _Model, problem: _Problem, checks: list, policy: AuditPolicy, deadline: float, seen=None,
                 grouped: bool = False, exact: set | None = None):
    """Feasible range of every check over the integer points of one problem.

    Returns ``(ranges, unsettled)``; ``ranges`` is None when the problem is infeasible.
    Witness solutions (minimising and maximising the sum of all open checks; ``seen`` may hold
    earlier witnesses) settle most checks at once; a check still failing on the witnesses gets
    its own min and max. ``grouped``: the sums of the open checks were tried already (with the
    other components', see :func:`_solve`).
    """
    pub = model.pub
    C = problem.C
    if seen is None:
        seen_lo = np.full(len(checks), np.inf)
        seen_hi = np.full(len(checks), -np.inf)
        x = problem.solve(C.sum(axis=0), deadline)
        if x is None:
            if not problem.infeasible:  # (out of time, or the solver failed: nothing is settled)
                return [(0, 0)] * len(checks), len(checks)
            return None, 0
        seen_lo, seen_hi = C @ x, C @ x
        x = problem.solve(-C.sum(axis=0), deadline)
        if x is not None:
            seen_lo, seen_hi = np.minimum(seen_lo, C @ x), np.maximum(seen_hi, C @ x)
    else:
        seen_lo, seen_hi = seen

    def update(x):
        v = C @ x
        np.minimum(seen_lo, v, out=seen_lo)
        np.maximum(seen_hi, v, out=seen_hi)

    def failing(i):
        return _fails(pub, checks[i], int(seen_lo[i]), int(seen_hi[i]), policy) is not None

    todo = [i for i in range(len(checks)) if failing(i) and i not in (exact or ())]
    if len(todo) > 1 and not grouped:
        for sign in (1, -1):
            x = problem.solve(sign * C[todo].sum(axis=0), deadline)
            if x is not None:
                update(x)
    unsettled = 0
    for i in todo:
        for sign in (1, -1):
            if not failing(i):
                break
            x = problem.solve(sign * C[[i]].toarray(), deadline)
            if x is not None:
                update(x)
            elif time.perf_counter() >= deadline:
                unsettled += 1
                break
    return [(int(a), int(b)) for a, b in zip(seen_lo, seen_hi)], unsettled


# --------------------------------------------------------------------------------------------
# The audit
# --------------------------------------------------------------------------------------------


def audit(output_dir, *, policy: AuditPolicy | None = None, cache: str | os.PathLike | None = None,
          read_ahead: dict | None = None) -> AuditResult:
    """Attack the published files of a run in ``output_dir``; return every cell pinned down.

    Parameters
    ----------
    output_dir : path
        A ``homekit run`` output folder (``sites/*/indicators.csv``, ``national/indicators.csv``,
        optional ``history.csv``, ``change.csv`` and ``summary.xlsx``).
    policy : AuditPolicy, optional
        Thresholds (default: counts of 1-7 people, professional groups of 11, rounding to 5).
    cache : path, optional
        A file of integer programs settled by earlier audits (created when missing): a linked-table
        component whose program, checks and policy are exactly those of a settled one takes its
        ranges from there instead of solving again (the same ranges, so the same verdict), and the
        file then keeps the programs of this audit only. ``homekit run`` keeps one per output
        folder, outside it, so that an ``--update`` solves again only what changed. The file holds
        only what follows from the published figures.
    read_ahead : dict, optional
        Folders read before the audit started (:func:`read_folder`, by folder path; ``homekit
        run`` reads each site's folder while the last notebooks run), used where none of their
        files changed since; the processor time their reading took (each one's ``seconds``) is
        counted in the audit's ``seconds``.

    Returns
    -------
    AuditResult
        ``findings`` (one :class:`Finding` per cell pinned down), ``passed``, ``verdict()``.
    """
    with gc_paused():
        return _audit(output_dir, policy, cache, read_ahead)


def audit_readings(output_dir, readings: dict, *, policy: AuditPolicy | None = None,
                   cache: str | os.PathLike | None = None, cancelled=None) -> AuditResult | None:
    """The audit of folders as read or predicted, reading nothing from disk (``homekit run``
    audits a national folder predicted from its preparation while the national notebook writes
    it): :func:`audit` of ``readings`` (folder path -> :func:`read_folder` result; a predicted
    folder has ``signature`` None), in one process (the run's notebooks use the other core).

    Its verdict is the verdict on ``output_dir`` only while :func:`readings_hold`: the caller
    checks that once the folder is written, and audits the folder itself otherwise. ``cancelled``
    (a function) is asked between the audit's steps; once it says so, the audit stops and
    returns None (a run interrupted meanwhile).
    """
    policy = policy or AuditPolicy()
    mixed = sorted(f for f, got in readings.items() if got["read_xlsx"] != policy.read_xlsx)
    if mixed:
        raise ValueError(f"folders read {'with' if not policy.read_xlsx else 'without'} their workbooks, "
                         f"unlike the policy: {', '.join(mixed)}")
    with gc_paused():
        return _audit(output_dir, policy, cache, readings=readings, parallel=False, cancelled=cancelled)


class _Cancelled(Exception):
    """An audit made ahead that its run no longer needs (:func:`audit_readings`, ``cancelled``)."""


def _audit(output_dir, policy: AuditPolicy | None, cache=None, read_ahead: dict | None = None, readings: dict | None = None,
           parallel: bool = True, cancelled=None) -> AuditResult | None:
    try:
        return _audit_steps(output_dir, policy, cache, read_ahead, readings, parallel, cancelled or (lambda: False))
    except _Cancelled:
        return None


def _audit_steps(output_dir, policy, cache, read_ahead, readings, parallel, cancelled) -> AuditResult:
    def step() -> None:
        if cancelled():
            raise _Cancelled

    start = time.perf_counter() - sum(got["seconds"] for got in (readings or read_ahead or {}).values())
    policy = policy or AuditPolicy()
    out = Path(output_dir)
    workbooks: dict = {}
    if readings is None:
        rows, changes, files = read_published(out, read_xlsx=policy.read_xlsx, workbooks=workbooks, read_ahead=read_ahead)
    else:  # (in the order read_published reads the folders: the sites', then the national)
        order = sorted(readings, key=_reading_order(out))
        rows, changes, files = _assemble([readings[f] for f in order], workbooks)
    notes: list[str] = []
    if rows.empty:
        return AuditResult(out, [], files, 0, 0, {}, time.perf_counter() - start, ["no published indicator files found"])
    step()
    pub = _Published(rows, changes, policy)
    step()
    nat_n = {}
    for r in pub.rows.values():
        if r.folder.startswith("national") and "n" in r.bounds:
            nat_n[(r.indicator, r.group, r.period)] = r.bounds["n"][1]
    biggest = max([b["n"][1] for r in pub.rows.values() for b in [r.bounds] if "n" in b] + [1])
    for r in pub.rows.values():
        _enumerate_row(r, policy, int(nat_n.get((r.indicator, r.group, r.period), biggest)))
        if getattr(r, "inconsistent", False):
            notes.append(f"{r.file}: {r.indicator} {r.group}: no whole numbers give the published figures; the row was not inverted")
    _change_filter(pub, policy)
    step()
    model = _build(pub, policy)
    step()
    limit = policy.seconds_for(len(model.checks))
    known = read_private(cache) if cache is not None else None
    findings, unsettled, settled = _solve(model, policy, notes, start + limit, known if isinstance(known, dict) else {}, parallel)
    if cache is not None:
        write_private(cache, settled.programs)
    findings.extend(_workbook_only_numbers(workbooks, rows, changes))
    notes.extend(pub.notes)
    if unsettled:
        notes.append(f"{unsettled} counts could not be settled (the integer programs ran out of the audit's time limit of "
                     f"{limit:.0f} s, or the solver failed on them)")
    result = AuditResult(out, findings, files, len(rows), len(model.checks), dict(sorted(model.linked.items())),
                         time.perf_counter() - start, notes, unsettled, settled.reused, settled.components)
    pub.model = None  # (the one cycle: the model is then freed by reference counts alone)
    box = [pub, model, rows, changes, known, workbooks]
    del pub, model, rows, changes, known, workbooks
    _release(box)
    return result


def _release(box: list) -> None:
    """Drop the last references to the audit's model in a thread of its own: a model of millions
    of small objects takes a second or more to free (at 150 sites), which the caller need not wait
    for. (The caller holds no reference to any of it.)"""
    import threading

    threading.Thread(target=box.clear, name="homekit-audit-release", daemon=True).start()
