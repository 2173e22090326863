"""Public loaders: one instrument file, or a whole data folder, to validated typed tables."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .exceptions import Problem, ValidationError
from .instruments import INSTRUMENTS, MISSING_REASONS
from .io import find_instrument_file, read_raw, sha256
from .validate import MISSING_SUFFIX, cross_file_problems, validate_table

__all__ = ["load", "load_data_dir", "Dataset", "SourceFile", "long_view"]


@dataclass(frozen=True)
class SourceFile:
    """Provenance of one input file."""

    instrument: str
    path: str
    sha256: str
    rows: int


@dataclass
class Dataset:
    """Every instrument of one data folder, validated and typed.

    ``tables`` maps instrument name to its DataFrame (absent optional instruments are missing
    from the mapping); ``sources`` records each file read, with its SHA-256 and row count.
    """

    data_dir: str
    tables: dict[str, pd.DataFrame]
    sources: list[SourceFile] = field(default_factory=list)

    def __getitem__(self, instrument: str) -> pd.DataFrame:
        return self.tables[instrument]

    def __contains__(self, instrument: str) -> bool:
        return instrument in self.tables

    def get(self, instrument: str) -> pd.DataFrame | None:
        return self.tables.get(instrument)

    @property
    def sites(self) -> pd.DataFrame:
        return self.tables["sites"]

    @property
    def site_ids(self) -> list[str]:
        return self.sites["site_id"].tolist()

    def site(self, site_id: str) -> "Dataset":
        """The slice of every table that belongs to one site (rows of other sites dropped)."""
        if site_id not in set(self.site_ids):
            raise KeyError(f"unknown site {site_id!r}; sites are {', '.join(self.site_ids)}")
        tables = {}
        for name, df in self.tables.items():
            part = df.loc[df["site_id"] == site_id].reset_index(drop=True)
            if len(part) or name == "sites":
                tables[name] = part
        return Dataset(self.data_dir, tables, list(self.sources))

    def latest(self) -> "Dataset":
        """The same data with every survey instrument cut to each site's latest round.

        Instruments without survey rounds (case reviews, flow, interviews...) are kept whole.
        """
        from .rounds import SURVEY_INSTRUMENTS, latest_round

        tables = {k: (latest_round(v).reset_index(drop=True) if k in SURVEY_INSTRUMENTS else v) for k, v in self.tables.items()}
        return Dataset(self.data_dir, tables, list(self.sources))

    def only_sites(self, site_ids) -> "Dataset":
        """Every table cut to the rows of ``site_ids`` (the sites of one run)."""
        keep = set(site_ids)
        tables = {k: v.loc[v["site_id"].isin(keep)].reset_index(drop=True) for k, v in self.tables.items()}
        return Dataset(self.data_dir, tables, list(self.sources))

    def without_site(self, site_id: str) -> "Dataset":
        """Every table without the rows of one site (for comparisons that never include the site)."""
        tables = {k: v.loc[v["site_id"] != site_id].reset_index(drop=True) for k, v in self.tables.items()}
        return Dataset(self.data_dir, tables, list(self.sources))

    def summary(self) -> pd.DataFrame:
        """Rows and sites per instrument."""
        rows = []
        for name in INSTRUMENTS:
            df = self.tables.get(name)
            rows.append(
                {
                    "instrument": name,
                    "rows": 0 if df is None else len(df),
                    "sites": 0 if df is None else int(df["site_id"].nunique()),
                    "file": next((Path(s.path).name for s in self.sources if s.instrument == name), ""),
                }
            )
        return pd.DataFrame(rows)


def load(instrument: str, path: str | os.PathLike, *, site_ids=None) -> pd.DataFrame:
    """Read and validate one instrument file.

    Parameters
    ----------
    instrument : str
        An instrument name of :data:`homekit.instruments.INSTRUMENTS`, e.g. ``"gp_survey"``.
    path : path-like
        A ``.csv`` (UTF-8, UTF-8 with BOM or Windows-1252), ``.xlsx`` or SPSS ``.sav`` file.
    site_ids : iterable of str, optional
        When given, every ``site_id`` must be one of these.

    Returns
    -------
    DataFrame
        Typed columns: ordered categoricals for answer scales, nullable integers, floats, dates,
        monthly periods; for every answer column ``<column>__missing`` keeps why it is missing
        (``blank``, ``dont_know``, ``not_applicable``). Extra columns are kept as text.

    Raises
    ------
    ValidationError
        With every problem found (file, row, column, value, what was expected).

    Examples
    --------
    >>> import homekit, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "services.csv").write_text("site_id,service,available\\nbarnsley,telecare,Y\\n")
    >>> homekit.load("services", d / "services.csv")["available"].tolist()
    ['Yes']
    """
    if instrument not in INSTRUMENTS:
        raise KeyError(f"unknown instrument {instrument!r}; expected one of {', '.join(INSTRUMENTS)}")
    raw = read_raw(path, instrument)
    table, problems = validate_table(instrument, raw, site_ids)
    if problems:
        raise ValidationError(problems)
    return table


def load_data_dir(path: str | os.PathLike, *, instruments=None) -> Dataset:
    """Read and validate a whole data folder (see the data contract).

    All files are checked before anything is returned, and one :class:`ValidationError` lists
    every problem of every file. ``sites`` is required; the other instruments are optional.

    Parameters
    ----------
    path : path-like
        The data folder.
    instruments : list of str, optional
        Only these instruments (``sites`` is always read).
    """
    data_dir = Path(path)
    if not data_dir.is_dir():
        raise ValidationError([Problem(str(data_dir), None, None, None, "an existing data folder")])
    wanted = list(INSTRUMENTS) if instruments is None else ["sites"] + [i for i in instruments if i != "sites"]
    problems: list[Problem] = []
    tables: dict[str, pd.DataFrame] = {}
    sources: list[SourceFile] = []
    raws = {}
    site_ids = None
    for name in wanted:
        file, found_problems = find_instrument_file(data_dir, name)
        problems += found_problems
        if file is None:
            if INSTRUMENTS[name].required_file and not found_problems:
                problems.append(Problem(f"{name}.csv", None, None, None, "this required file in the data folder"))
            continue
        digest = sha256(file)
        raw = read_raw(file, name)
        raws[name] = raw
        table, p = validate_table(name, raw, site_ids)
        problems += p
        if name == "sites":
            # Later files are checked against the sites listed, even when sites.csv has problems.
            if table is not None:
                site_ids = set(table["site_id"])
            elif "site_id" in raw.frame.columns:
                site_ids = {s.strip() for s in raw.frame["site_id"] if re.match(r"^[a-z][a-z0-9_]*$", s.strip())}
        if table is not None:
            tables[name] = table
            sources.append(SourceFile(name, str(file), digest, len(table)))
    # Rules across files (hypotheses -> opportunities -> interventions -> flow metrics), on the
    # files that are valid on their own, so that every problem is reported at once.
    problems += cross_file_problems(tables, raws, wanted)
    if problems:
        raise ValidationError(problems)
    return Dataset(str(data_dir), tables, sources)


def long_view(data: pd.DataFrame, instrument: str, items=None) -> pd.DataFrame:
    """Answers in long form: one row per respondent and item.

    Parameters
    ----------
    data : DataFrame
        A table loaded by :func:`load` for ``instrument``.
    instrument : str
        Its instrument name.
    items : list of str, optional
        Answer columns to include (all answer columns by default).

    Returns
    -------
    DataFrame
        Columns: the instrument's key columns, ``item``, ``code`` (numeric code, missing when the
        answer is), ``label`` and ``missing_reason``.
    """
    inst = INSTRUMENTS[instrument]
    items = [c for c in (items or inst.answer_columns) if c in data.columns]
    key = list(inst.key)
    parts = []
    for item in items:
        col = inst.column(item)
        s = data[item]
        if col.kind == "choice":
            cat = s.cat
            codes_map = np.array([col.choices.code_of(lv) for lv in col.choices.levels] + [0])
            raw_codes = cat.codes.to_numpy()
            code = pd.array(np.where(raw_codes >= 0, codes_map[raw_codes], 0), dtype="Int64")
            code[raw_codes < 0] = pd.NA
            label = s.astype("string")
        else:
            code = s.astype("Int64")
            label = s.astype("string")
        part = data[key].copy()
        part["item"] = item
        part["code"] = code
        part["label"] = label.to_numpy()
        part["missing_reason"] = data[item + MISSING_SUFFIX].to_numpy()
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=key + ["item", "code", "label", "missing_reason"])
    out = pd.concat(parts, ignore_index=True)
    out["missing_reason"] = pd.Categorical(out["missing_reason"], categories=list(MISSING_REASONS))
    return out
