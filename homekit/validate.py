"""Validation: every problem of a raw table at once, or a typed tidy table.

Cell checks are pandera column checks built from the data dictionary (run lazily so that every
failure is collected); the rules that span columns or files (a quality rating given while unaware
of the service, a rating of one's own profession, unknown sites, duplicate keys) are the domain
rules written here. Labels are interpreted in one place only: :class:`homekit.instruments.Choice`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from .exceptions import Problem
from .instruments import (
    FLOW_METRICS,
    INDICATORS,
    INSTRUMENTS,
    MISSING_REASONS,
    RATED_PROFESSIONS,
    SERVICES,
    Column,
    Instrument,
    missing_reason,
    normalise_token,
)
from .io import RawTable

__all__ = ["validate_table", "cross_file_problems", "MISSING_SUFFIX"]

#: Suffix of the column that keeps why an answer is missing (blank, dont_know, not_applicable).
MISSING_SUFFIX = "__missing"

_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
_INT = re.compile(r"^[+-]?\d+(\.0*)?$")
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_REASON_DTYPE = pd.CategoricalDtype(list(MISSING_REASONS), ordered=False)


def _factorize(series: pd.Series) -> tuple[np.ndarray, list[str]]:
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    return codes, [str(u) for u in uniques]


def _classify_unique(col: Column, text: str, site_ids: frozenset[str] | None) -> tuple[str, object]:
    """Classify one distinct raw value: ('ok', typed value), ('missing', reason) or ('bad', None)."""
    stripped = text.strip()
    if col.kind == "choice":
        token = normalise_token(text)
        label = col.choices.lookup.get(token)
        if label is not None:
            return "ok", label
        reason = missing_reason(token)
        if reason is not None and col.may_be_missing:
            return "missing", reason
        return "bad", None
    if stripped == "" or (col.answer and missing_reason(normalise_token(text)) is not None):
        if col.may_be_missing:
            return "missing", missing_reason(normalise_token(text))
        return "bad", None
    if col.kind in ("id", "text", "label"):
        if col.pattern == "snake" and not _SNAKE.match(stripped):
            return "bad", None
        return "ok", stripped
    if col.kind == "site":
        if site_ids is not None and stripped not in site_ids:
            return "bad", None
        return "ok", stripped
    if col.kind in ("int", "score"):
        if not _INT.match(stripped):
            return "bad", None
        value = int(float(stripped))
    elif col.kind == "number":
        try:
            value = float(stripped.replace(",", "")) if re.fullmatch(r"[+-]?[\d,]*\.?\d+([eE][+-]?\d+)?", stripped) else None
        except ValueError:
            value = None
        if value is None or not np.isfinite(value):
            return "bad", None
    elif col.kind == "date":
        if not _DATE.match(stripped[:10]) or len(stripped) not in (10, 19):
            return "bad", None
        try:
            return "ok", pd.Timestamp(stripped[:10])
        except ValueError:
            return "bad", None
    elif col.kind == "period":
        if not _PERIOD.match(stripped):
            return "bad", None
        return "ok", stripped
    else:  # pragma: no cover - kinds are closed in instruments.KINDS
        raise AssertionError(col.kind)
    if col.minimum is not None and value < col.minimum:
        return "bad", None
    if col.maximum is not None and value > col.maximum:
        return "bad", None
    return "ok", value


class _Parsed:
    """A column's distinct values classified once: status per row and typed values."""

    def __init__(self, col: Column, series: pd.Series, site_ids):
        codes, uniques = _factorize(series)
        classified = [_classify_unique(col, u, site_ids) for u in uniques]
        self.codes = codes
        status = np.array([c[0] for c in classified] or ["ok"], dtype=object)
        self.bad = (status == "bad")[codes] if len(codes) else np.zeros(0, bool)
        self.missing = (status == "missing")[codes] if len(codes) else np.zeros(0, bool)
        self.values = [c[1] if c[0] == "ok" else None for c in classified]
        self.reasons = [c[1] if c[0] == "missing" else None for c in classified]


def _expected_for_site(col: Column, site_ids) -> str:
    if col.kind == "site" and site_ids is not None:
        shown = ", ".join(sorted(site_ids)[:12]) + (" ..." if len(site_ids) > 12 else "")
        return f"a site_id listed in sites.csv ({shown})"
    return col.expected()


def _schema(inst: Instrument, parsed: dict[str, _Parsed], site_ids) -> pa.DataFrameSchema:
    """A pandera schema whose checks read the classification made once per distinct value."""
    columns = {}
    for col in inst.columns:
        def check(series: pd.Series, _name=col.name) -> pd.Series:
            return pd.Series(~parsed[_name].bad, index=series.index)

        columns[col.name] = pa.Column(
            checks=[pa.Check(check, error=_expected_for_site(col, site_ids), name=col.name)],
            required=col.required,
            nullable=True,
            coerce=False,
        )
    return pa.DataFrameSchema(columns, strict=False, name=inst.name)


def _pandera_problems(inst, raw: RawTable, schema) -> list[Problem]:
    problems = []
    try:
        schema.validate(raw.frame, lazy=True)
    except SchemaErrors as err:
        fc = err.failure_cases
        for rec in fc.itertuples(index=False):
            if rec.check == "column_in_dataframe":
                problems.append(
                    Problem(raw.file, None, str(rec.failure_case), None, f"a column named {rec.failure_case!r} (required)")
                )
            elif rec.index is None or pd.isna(rec.index):
                problems.append(Problem(raw.file, None, rec.column, str(rec.failure_case), str(rec.check)))
            else:
                i = int(rec.index)
                problems.append(
                    Problem(raw.file, int(raw.rows[i]), rec.column, str(raw.frame.at[i, rec.column]), str(rec.check))
                )
    return problems


def _labels(parsed: _Parsed) -> pd.Series:
    return pd.Series(np.array(parsed.values, dtype=object)[parsed.codes] if len(parsed.codes) else [], dtype=object)


def _cross_problems(inst: Instrument, raw: RawTable, parsed: dict[str, _Parsed]) -> list[Problem]:
    """Rules that span columns: conditional answers, keys, totals."""
    problems: list[Problem] = []
    frame = raw.frame

    def flag(mask: np.ndarray, column: str, expected: str):
        for i in np.flatnonzero(mask):
            problems.append(Problem(raw.file, int(raw.rows[i]), column, str(frame.at[i, column]), expected))

    def answered(name: str) -> np.ndarray:
        p = parsed[name]
        return ~p.bad & ~p.missing

    if inst.name == "gp_survey":
        for s in SERVICES:
            a, q = f"aware_{s}", f"quality_{s}"
            if a in parsed and q in parsed:
                unaware = (_labels(parsed[a]) == "No").to_numpy()
                flag(unaware & answered(q), q, f"blank when {a} is No (quality is asked only of GPs aware of the service)")
    if inst.name == "professional_survey" and "profession" in parsed:
        prof = _labels(parsed["profession"]).to_numpy()
        for p in RATED_PROFESSIONS:
            for item in (f"trust_{p}", f"relationship_{p}"):
                if item in parsed:
                    flag((prof == p) & answered(item), item, f"blank: respondents do not rate their own profession ({p})")
    if inst.name == "sites" and {"population", "population_65plus"} <= parsed.keys():
        pop = pd.to_numeric(pd.Series(_labels(parsed["population"])), errors="coerce").to_numpy(float)
        old = pd.to_numeric(pd.Series(_labels(parsed["population_65plus"])), errors="coerce").to_numpy(float)
        with np.errstate(invalid="ignore"):
            flag(old > pop, "population_65plus", "at most the total population")
    if inst.name == "hypotheses" and "evidence" in frame.columns:
        for i, text in enumerate(frame["evidence"]):
            unknown = [e.strip() for e in str(text).split(";") if e.strip() and e.strip() not in INDICATORS]
            if unknown:
                problems.append(Problem(raw.file, int(raw.rows[i]), "evidence", str(text),
                                        "indicator ids of the data dictionary separated by ';' (unknown: " + ", ".join(unknown) + ")"))
    if inst.name == "opportunities" and {"benefit_stream", "share_of_stream"} <= parsed.keys():
        stream, share = answered("benefit_stream"), answered("share_of_stream")
        bad_stream, bad_share = parsed["benefit_stream"].bad, parsed["share_of_stream"].bad
        flag(share & ~stream & ~bad_stream, "benefit_stream", "a benefit_stream where share_of_stream is given")
        flag(stream & ~share & ~bad_share, "share_of_stream", "a share of the stream (0-1) where benefit_stream is given")
    if inst.name == "flow_metrics" and "denominator" in parsed and "value" in parsed:
        den = pd.to_numeric(_labels(parsed["denominator"]), errors="coerce").to_numpy(float)
        val = pd.to_numeric(_labels(parsed["value"]), errors="coerce").to_numpy(float)
        given = answered("denominator")
        with np.errstate(invalid="ignore"):
            flag(given & (den <= 0), "denominator", "a denominator greater than 0 (or blank for a count)")
            flag(given & (den > 0) & (val > den), "value", "at most the denominator (a proportion's numerator)")
        if "metric" in frame.columns and "site_id" in frame.columns:
            key = frame["site_id"].str.strip() + "\x00" + frame["metric"].str.strip()
            some = pd.Series(given).groupby(key.to_numpy()).transform("any").to_numpy()
            flag(some & ~given & ~parsed["denominator"].bad, "denominator",
                 "a denominator on every row of this metric at this site (other rows give one) or on none")
    # Keys must be unique. A survey file may hold several rounds per site (contract, second
    # release): respondent ids are unique within (site_id, survey_year, survey_round), and a blank
    # or absent survey_round means round 1. Keys compare typed values (2019 and 2019.0 are one year).
    if len(frame):
        key_parts, complete = [], True
        for k in inst.key:
            if k in parsed:
                p = parsed[k]
                if k == "survey_round":
                    vals = np.array([1 if v is None else v for v in p.values] or [1], dtype=object)[p.codes]
                else:
                    vals = np.array([v for v in p.values] or [None], dtype=object)[p.codes]
                key_parts.append(pd.Series(vals, dtype=object).astype(str))
            elif k == "survey_round":
                key_parts.append(pd.Series(["1"] * len(frame), dtype=object))
            else:
                complete = False
        if complete and key_parts:
            keyed = pd.concat(key_parts, axis=1)
            # Rows whose key cells are themselves invalid are reported by the cell checks.
            bad = np.zeros(len(frame), bool)
            for k in inst.key:
                if k in parsed:
                    bad |= parsed[k].bad
            dup = keyed.duplicated(keep="first").to_numpy() & ~bad
            last = inst.key[-1]
            if "survey_round" in inst.key:
                what = f"a unique {last} within its site and survey round ({' + '.join(k for k in inst.key if k != last)})"
            else:
                what = "a unique " + " + ".join(inst.key)
            flag(dup, last, what + " (this one appears on an earlier row)")
    return problems


def _row_of(raw: RawTable | None, i: int):
    return int(raw.rows[i]) if raw is not None and i < len(raw.rows) else None


def cross_file_problems(
    tables: dict[str, pd.DataFrame], raws: dict[str, RawTable] | None = None, wanted=None
) -> list[Problem]:
    """Rules that span files, checked on the files that are valid on their own.

    * ``opportunities.hypothesis_id``: a hypothesis of the same site in ``hypotheses``;
    * ``interventions.opportunity_id``: an opportunity of the same site in ``opportunities``;
    * ``interventions.metric``: a contract metric or a custom metric present in ``flow_metrics``.

    A rule is skipped when the file it refers to was not asked for (``wanted``) or was read but
    has problems of its own (those are reported already); an absent file holds no ids.
    """
    raws = raws or {}
    problems: list[Problem] = []

    def usable(reference: str) -> bool:
        if wanted is not None and reference not in wanted:
            return False
        return not (reference in raws and reference not in tables)

    def ids_of(name: str, column: str) -> set[tuple[str, str]]:
        t = tables.get(name)
        if t is None or column not in t.columns:
            return set()
        return set(zip(t["site_id"].astype(str), t[column].astype(str)))

    def check(name, column, known, expected):
        t = tables.get(name)
        if t is None or column not in t.columns:
            return
        raw = raws.get(name)
        file = raw.file if raw is not None else f"{name}.csv"
        for i, (site, value) in enumerate(zip(t["site_id"].astype(str), t[column])):
            if value is None or pd.isna(value) or str(value).strip() == "":
                continue
            if (site, str(value)) not in known:
                problems.append(Problem(file, _row_of(raw, i), column, str(value), expected))

    if usable("hypotheses"):
        check("opportunities", "hypothesis_id", ids_of("hypotheses", "hypothesis_id"),
              "a hypothesis_id of the same site in hypotheses.csv (or blank)")
    if usable("opportunities"):
        check("interventions", "opportunity_id", ids_of("opportunities", "opportunity_id"),
              "an opportunity_id of the same site in opportunities.csv (or blank)")
    iv = tables.get("interventions")
    if iv is not None and "metric" in iv.columns and usable("flow_metrics"):
        flow = tables.get("flow_metrics")
        custom = set(flow["metric"].astype(str)) if flow is not None else set()
        raw = raws.get("interventions")
        file = raw.file if raw is not None else "interventions.csv"
        for i, metric in enumerate(iv["metric"].astype(str)):
            if metric not in FLOW_METRICS and metric not in custom:
                problems.append(Problem(file, _row_of(raw, i), "metric", metric,
                                        "a contract metric (" + ", ".join(FLOW_METRICS[:3]) + ", ...) or a custom metric present in "
                                        "flow_metrics.csv"))
    return problems


def validate_table(
    instrument: str | Instrument, raw: RawTable, site_ids: Iterable[str] | None = None
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Check a raw table against its dictionary and build the typed table.

    Parameters
    ----------
    instrument : str or Instrument
        Which instrument the table holds.
    raw : RawTable
        From :func:`homekit.io.read_raw`.
    site_ids : iterable of str, optional
        Site ids of ``sites.csv``; when given, every ``site_id`` must be one of them.

    Returns
    -------
    (DataFrame or None, list of Problem)
        The typed table (``None`` when there are problems) and every problem found.
    """
    inst = INSTRUMENTS[instrument] if isinstance(instrument, str) else instrument
    site_ids = frozenset(site_ids) if site_ids is not None else None
    problems = list(raw.problems)
    if raw.frame.shape[1] == 0:
        return None, problems or [Problem(raw.file, None, None, None, "a header row")]
    if len(raw.frame) == 0:
        problems.append(Problem(raw.file, None, None, "no data rows", "at least one row below the header"))
    frame = raw.frame
    parsed = {c.name: _Parsed(c, frame[c.name], site_ids) for c in inst.columns if c.name in frame.columns}
    problems += _pandera_problems(inst, raw, _schema(inst, parsed, site_ids))
    problems += _cross_problems(inst, raw, parsed)
    if problems:
        return None, problems
    return _typed(inst, frame, parsed), []


def _typed(inst: Instrument, frame: pd.DataFrame, parsed: dict[str, _Parsed]) -> pd.DataFrame:
    """Typed columns, built on the distinct values and spread by their codes (fast on big files)."""
    out: dict[str, pd.Series] = {}
    reasons: dict[str, pd.Series] = {}
    n = len(frame)
    rcode = {r: i for i, r in enumerate(MISSING_REASONS)}
    for col in inst.columns:
        if col.name not in parsed:
            continue
        p = parsed[col.name]
        codes = p.codes if n else np.zeros(0, dtype=np.intp)
        if col.kind == "choice":
            lookup = {lv: i for i, lv in enumerate(col.choices.levels)}
            code_u = np.array([lookup.get(v, -1) if v is not None else -1 for v in p.values] or [-1], dtype=np.int16)
            s = pd.Series(pd.Categorical.from_codes(code_u[codes], dtype=col.choices.dtype()))
        elif col.kind in ("int", "score"):
            u = pd.array([None if v is None else int(v) for v in p.values] or [None], dtype="Int64")
            s = pd.Series(u.take(codes))
        elif col.kind == "number":
            u = np.array([np.nan if v is None else float(v) for v in p.values] or [np.nan], dtype=float)
            s = pd.Series(u[codes])
        elif col.kind == "date":
            u = pd.to_datetime(pd.Series(list(p.values) or [None], dtype=object)).astype("datetime64[ns]").to_numpy()
            s = pd.Series(u[codes], dtype="datetime64[ns]")
        elif col.kind == "period":
            u = pd.PeriodIndex([v for v in p.values] or [None], freq="M")
            s = pd.Series(u.take(codes))
        else:
            u = np.array(p.values or [None], dtype=object)
            s = pd.Series(u[codes], dtype=object).astype("string")
        out[col.name] = s.reset_index(drop=True)
        if col.answer:
            r_u = np.array([rcode.get(r, -1) if r is not None else -1 for r in p.reasons] or [-1], dtype=np.int8)
            reasons[col.name + MISSING_SUFFIX] = pd.Series(pd.Categorical.from_codes(r_u[codes], dtype=_REASON_DTYPE))
    if "survey_round" in inst.names:
        # Blank or absent survey_round is round 1, so that rounds group like any other column.
        rnd = out.get("survey_round")
        out["survey_round"] = (pd.Series(pd.array([1] * n, dtype="Int64")) if rnd is None else rnd.fillna(1)).astype("Int64")
    known = set(inst.names)
    for extra in frame.columns:
        if extra not in known:
            out[extra] = frame[extra].astype(str).str.strip().replace("", pd.NA).astype("string").reset_index(drop=True)
    return pd.DataFrame({**out, **reasons})
