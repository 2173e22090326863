"""Shared machinery of the indicator modules: one input checker and fast grouped counting.

Every indicator function returns the tidy shape of ``indicators.csv``: the grouping columns
(``by``), then ``indicator, group, numerator, denominator, estimate, lower, upper, method``.
Counting is done once per indicator with ``numpy.bincount`` over integer group codes, so that a
national file of a million respondents costs little more than a plain groupby.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .. import stats

INDICATOR_COLUMNS = ["indicator", "group", "numerator", "denominator", "estimate", "lower", "upper", "method"]


def check_data(data: pd.DataFrame, columns: Sequence[str], where: str) -> None:
    """The one input checker: ``data`` is a DataFrame holding ``columns``."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{where}: data must be a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise KeyError(f"{where}: data has no column(s) {', '.join(missing)}")


def normalise_by(by) -> list[str]:
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


class Groups:
    """Integer codes of the ``by`` groups of a frame (one group, code 0, when ``by`` is empty)."""

    def __init__(self, data: pd.DataFrame, by: Sequence[str]):
        self.by = list(by)
        n = len(data)
        if not self.by:
            self.codes = np.zeros(n, dtype=np.int64)
            self.keys = pd.DataFrame(index=[0])
            self.size = 1
            return
        if len(self.by) == 1:
            codes, uniques = pd.factorize(data[self.by[0]], sort=True)
            self.keys = pd.DataFrame({self.by[0]: np.asarray(uniques, dtype=object)})
        else:
            codes, uniques = pd.MultiIndex.from_frame(data[self.by].astype(object)).factorize(sort=True)
            self.keys = pd.DataFrame(list(uniques), columns=self.by)
        self.codes = codes.astype(np.int64)
        self.size = len(self.keys)
        if (self.codes < 0).any():  # a missing key: its rows are left out of every group
            keep = self.codes >= 0
            self.codes = np.where(keep, self.codes, self.size)

    def count(self, mask: np.ndarray) -> np.ndarray:
        """How many rows of each group satisfy ``mask``."""
        return np.bincount(self.codes[mask], minlength=self.size + 1)[: self.size]

    def total(self, values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return np.bincount(self.codes[mask], weights=values[mask], minlength=self.size + 1)[: self.size]


def frame(keys: pd.DataFrame, rows: dict) -> pd.DataFrame:
    """``keys`` (one row per group) with the columns of ``rows`` (an array, or one value for every
    row) after them, in one step: added one by one, the columns of the few thousand tables a
    150-site run builds cost a sixth of its preparation."""
    keys = keys.reset_index(drop=True)
    if set(rows) & set(keys.columns):  # (a key column replaced: as assigned one by one)
        out = keys.copy()
        for k, v in rows.items():
            out[k] = v
        return out
    return pd.concat([keys, pd.DataFrame(rows, index=keys.index)], axis=1)


def proportion_table(
    groups: Groups, numerator: np.ndarray, denominator: np.ndarray, indicator: str, group: str = "", *, method="wilson"
) -> pd.DataFrame:
    """Rows for a proportion indicator from boolean masks of numerator and denominator rows."""
    num = groups.count(numerator & denominator).astype(float)
    den = groups.count(denominator).astype(float)
    return proportion_from_counts(groups.keys, num, den, indicator, group, method=method)


def proportion_from_counts(keys, num, den, indicator, group="", *, method="wilson") -> pd.DataFrame:
    num = np.asarray(num, float)
    den = np.asarray(den, float)
    lo, hi = stats.proportion_ci(num, den, method=method)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = np.where(den > 0, num / den, np.nan)
    return frame(
        keys,
        {
            "indicator": indicator,
            "group": group,
            "numerator": num,
            "denominator": den,
            "estimate": est,
            "lower": lo,
            "upper": hi,
            "method": "Wilson" if method == "wilson" else "Clopper-Pearson",
        },
    )


def observed(table: pd.DataFrame, counts: str = "denominator") -> pd.DataFrame:
    """The rows of a breakdown that exists only where its data does (a setting, a theme, a review
    interval seen at the site): the groups whose ``counts`` column is above 0.

    Computed for many sites at once, such a breakdown would otherwise give every site a row for
    what only other sites have (a 0 of 0 row, or a theme "raised in 0 of 10 interviews"), and a
    site's rows would depend on which other sites are in the run; with this they are the rows the
    site computed alone has.
    """
    return table[table[counts].to_numpy(float) > 0]


def mean_table(groups: Groups, values: np.ndarray, mask: np.ndarray, indicator: str, group: str = "", *,
               levels: bool = False, magnitude: bool = False) -> pd.DataFrame:
    """Rows for a mean indicator (Student's t interval); numerator is the sum, denominator the n.

    Private columns for the disclosure gate (dropped by it, never published): with
    ``levels=True`` (the values are answer codes) ``_min_count``, the fewest people giving any
    one answer level present; with ``magnitude=True`` (costs, hours) ``_abs_total``, ``_top1``,
    ``_top2``, the total and the two largest absolute contributions (dominance rules).
    """
    from scipy import stats as st

    v = np.where(mask, values, 0.0).astype(float)
    n = groups.count(mask).astype(float)
    s = groups.total(v, mask)
    ss = groups.total(v * v, mask)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, s / n, np.nan)
        var = np.where(n > 1, (ss - n * mean**2) / (n - 1), np.nan)
        var = np.maximum(var, 0)
        half = st.t.ppf(0.975, np.maximum(n - 1, 1)) * np.sqrt(var / n)
    half = np.where(n > 1, half, np.nan)
    out = frame(
        groups.keys,
        {
            "indicator": indicator,
            "group": group,
            "numerator": s,
            "denominator": n,
            "estimate": mean,
            "lower": mean - half,
            "upper": mean + half,
            "method": "Student's t",
        },
    )
    if levels or magnitude:
        d = pd.DataFrame({"g": groups.codes[mask], "v": np.asarray(values, float)[mask]})
        d = d[d["g"] < groups.size]
        if levels:
            counts = d.groupby(["g", "v"]).size()
            mins = counts[counts > 0].groupby(level="g").min()
            out["_min_count"] = mins.reindex(np.arange(groups.size)).to_numpy(float)
        if magnitude:
            d["a"] = d["v"].abs()
            srt = d.sort_values(["g", "a"], ascending=[True, False], kind="stable")
            rank = srt.groupby("g").cumcount().to_numpy()
            every = np.arange(groups.size)
            out["_abs_total"] = d.groupby("g")["a"].sum().reindex(every).fillna(0).to_numpy(float)
            out["_top1"] = srt[rank == 0].set_index("g")["a"].reindex(every).fillna(0).to_numpy(float)
            out["_top2"] = srt[rank == 1].set_index("g")["a"].reindex(every).fillna(0).to_numpy(float)
    return out


def codes_of(series: pd.Series) -> np.ndarray:
    """Category codes (-1 for missing) of a categorical column."""
    return series.cat.codes.to_numpy()


def level_mask(series: pd.Series, labels: Sequence[str]) -> np.ndarray:
    """Rows whose (categorical) answer is one of ``labels``."""
    cats = list(series.cat.categories)
    wanted = [cats.index(lv) for lv in labels]
    return np.isin(codes_of(series), wanted)


def answered(series: pd.Series) -> np.ndarray:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return codes_of(series) >= 0
    return series.notna().to_numpy()


def concat(parts: list[pd.DataFrame], by: Sequence[str]) -> pd.DataFrame:
    parts = [p for p in parts if p is not None and len(p)]
    cols = list(by) + INDICATOR_COLUMNS
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)
    return out[cols + [c for c in out.columns if c not in cols]]
