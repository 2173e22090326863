"""Disclosure control: the only gate between estimates and anything published.

Defaults (``parameters/disclosure.yaml``), at site level:

* counts from 1 to 7 are suppressed, and so is a count whose complement (base minus count) is
  from 1 to 7, since publishing the base would reveal it;
* no percentage or interval from a base under 10;
* other counts are rounded to the nearest 5 (bases of 1 to 7 are blanked);
* secondary suppression: where the groups of an indicator partition its base (most influential
  person, delayed days by attribution, discharges by pathway, Likert levels), a single suppressed
  cell could be recovered from the total, so the next smallest cell is suppressed too; a Likert
  net score is withheld when either of its parts is;
* national figures are unrestricted.

A suppressed cell reads ``[c]`` in reports and has ``suppressed = true`` in CSV, with numerator,
estimate and interval blank.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .exceptions import ParameterError

__all__ = ["DisclosureRules", "disclose_indicators", "publish_count", "disclose_counts", "load_rules", "PARTITIONS"]

#: Indicators whose groups partition the same base (secondary suppression applies within them).
PARTITIONS = ("op_most_influential", "flow_delayed_days_share", "flow_discharge_pathway_share")


@dataclass(frozen=True)
class DisclosureRules:
    apply: bool = True
    suppress_counts_from: int = 1
    suppress_counts_to: int = 7
    rounding_base: int = 5
    min_base_for_percentage: int = 10
    suppress_small_complement: bool = True
    secondary_suppression: bool = True
    marker: str = "[c]"

    def small(self, n) -> np.ndarray:
        n = np.asarray(n, float)
        return (n >= self.suppress_counts_from) & (n <= self.suppress_counts_to)

    def round(self, n) -> np.ndarray:
        n = np.asarray(n, float)
        if self.rounding_base <= 1:
            return n
        # Round half up (away from zero for counts), not to even: 12.5 -> 15 as statisticians expect.
        return np.floor(n / self.rounding_base + 0.5) * self.rounding_base


UNRESTRICTED = DisclosureRules(apply=False)


def load_rules(path: str | os.PathLike | None = None, level: str = "site") -> DisclosureRules:
    """Rules for ``level`` ("site" or "national") from a YAML file (default parameters/disclosure.yaml)."""
    if path is None:
        return DisclosureRules() if level == "site" else UNRESTRICTED
    path = Path(path)
    try:
        cfg = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ParameterError("disclosure", f"cannot read the disclosure settings: {exc}", str(path)) from exc
    section = cfg.get(level) or {}
    known = {f.name for f in fields(DisclosureRules)}
    unknown = set(section) - known
    if unknown:
        raise ParameterError(f"{level}.{sorted(unknown)[0]}", f"unknown setting; expected one of {sorted(known)}", str(path))
    values = {**section}
    if "suppressed_marker" in cfg:
        values["marker"] = str(cfg["suppressed_marker"])
    rules = DisclosureRules(**values)
    for name in ("suppress_counts_from", "suppress_counts_to", "rounding_base", "min_base_for_percentage"):
        v = getattr(rules, name)
        if not isinstance(v, int) or v < 0:
            raise ParameterError(f"{level}.{name}", f"must be a whole number >= 0, got {v!r}", str(path))
    return rules


def disclose_indicators(data: pd.DataFrame, rules: DisclosureRules) -> pd.DataFrame:
    """Apply disclosure control to an ``indicators.csv`` table; returns a new table.

    Suppressed rows get ``suppressed = True`` and blank numerator, estimate, lower and upper;
    a base of 1 to 7 is blanked too. Published counts are rounded.
    """
    out = data.copy()
    out["suppressed"] = False
    if not rules.apply or out.empty:
        return out
    num = out["numerator"].to_numpy(float)
    den = out["denominator"].to_numpy(float)
    is_count = ~out["method"].astype(str).isin(["Student's t"])  # means carry a sum, not a count
    primary = den < rules.min_base_for_percentage
    primary |= is_count.to_numpy() & rules.small(num)
    if rules.suppress_small_complement:
        primary |= is_count.to_numpy() & (out["method"].astype(str) != "top-two minus bottom-two share").to_numpy() & rules.small(den - num)
    primary &= ~np.isnan(den) | ~np.isnan(num)
    suppressed = primary.copy()
    if rules.secondary_suppression:
        suppressed = _secondary(out, suppressed, num)
    out["suppressed"] = suppressed
    blank = ["numerator", "estimate", "lower", "upper"]
    out.loc[suppressed, blank] = np.nan
    out["numerator"] = np.where(suppressed, np.nan, rules.round(out["numerator"].to_numpy(float)))
    den_pub = np.where(rules.small(den), np.nan, rules.round(den))
    out["denominator"] = den_pub
    return out


def _secondary(df: pd.DataFrame, suppressed: np.ndarray, num: np.ndarray) -> np.ndarray:
    suppressed = suppressed.copy()
    site = df["site_id"].astype(str).to_numpy()
    ind = df["indicator"].astype(str).to_numpy()
    grp = df["group"].astype(str).to_numpy()
    # Partitions: exactly one suppressed cell among the groups of a base -> suppress the next smallest.
    for key in set(zip(site[np.isin(ind, PARTITIONS)], ind[np.isin(ind, PARTITIONS)])):
        idx = np.flatnonzero((site == key[0]) & (ind == key[1]))
        if suppressed[idx].sum() == 1 and len(idx) > 1:
            others = idx[~suppressed[idx]]
            suppressed[others[np.argmin(num[others])]] = True
    # A Likert net score is the difference of its top-two and bottom-two counts.
    net = np.flatnonzero(np.char.endswith(ind.astype(str), "likert_net"))
    for i in net:
        prefix = ind[i][: -len("likert_net")]
        parts = (site == site[i]) & (grp == grp[i]) & np.isin(ind, [prefix + "likert_top2", prefix + "likert_bottom2"])
        if suppressed[parts].any():
            suppressed[i] = True
    return suppressed


def publish_count(n, rules: DisclosureRules) -> str:
    """One count as it may be published: the marker when suppressed, else rounded, as text."""
    if n is None or (isinstance(n, float) and np.isnan(n)):
        return ""
    if not rules.apply:
        return f"{int(n):,}"
    if rules.small(n):
        return rules.marker
    return f"{int(rules.round(n)):,}"


def disclose_counts(table: pd.DataFrame, rules: DisclosureRules, columns=None) -> pd.DataFrame:
    """A table of counts (e.g. a crosstab) as it may be published: small cells suppressed, the rest
    rounded; when a row has exactly one suppressed cell, its next smallest non-zero cell is
    suppressed too (rows whose totals are published elsewhere cannot then be completed)."""
    columns = list(table.columns) if columns is None else list(columns)
    out = table.copy().astype(object)
    if not rules.apply:
        return out
    values = table[columns].to_numpy(float)
    sup = rules.small(values)
    if rules.secondary_suppression:
        for r in range(values.shape[0]):
            if sup[r].sum() == 1:
                cand = np.flatnonzero(~sup[r] & (values[r] > 0))
                if len(cand):
                    sup[r, cand[np.argmin(values[r, cand])]] = True
    shown = np.where(sup, rules.marker, rules.round(np.nan_to_num(values)).astype(int).astype(str))
    for j, c in enumerate(columns):
        out[c] = shown[:, j]
    return out
