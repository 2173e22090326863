"""Likert summaries for every scaled item: distribution, top-two share, net score, mean code."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..instruments import INSTRUMENTS, MISSING_REASONS, SCALES
from ..validate import MISSING_SUFFIX
from ._core import INDICATOR_COLUMNS, Groups, check_data, codes_of, frame, mean_table, normalise_by, proportion_from_counts

__all__ = ["likert_distribution", "likert_summary", "scaled_items"]


def scaled_items(instrument: str, data: pd.DataFrame | None = None) -> list[str]:
    """Answer columns of ``instrument`` on an ordinal scale of the contract (not yes/no)."""
    inst = INSTRUMENTS[instrument]
    items = [
        c.name
        for c in inst.columns
        if c.answer and c.choices is not None and c.choices.name in SCALES and c.choices.name != "yesno"
    ]
    return [i for i in items if data is None or i in data.columns]


def likert_distribution(data: pd.DataFrame, items, *, by=("site_id",)) -> pd.DataFrame:
    """Counts and shares of every level of every item, with missing answers counted apart.

    Returns
    -------
    DataFrame
        ``by`` columns, ``item, level, code, count, share`` where share is among the answered;
        the missing reasons appear as levels ``blank``, ``dont_know``, ``not_applicable`` with
        ``code`` missing and ``share`` missing. Every level is present even with a zero count.
    """
    by = normalise_by(by)
    items = [items] if isinstance(items, str) else list(items)
    check_data(data, by + items, "likert_distribution")
    groups = Groups(data, by)
    parts = []
    for item in items:
        s = data[item]
        levels = list(s.cat.categories)
        k = len(levels)
        codes = codes_of(s)
        ok = codes >= 0
        counts = np.bincount(groups.codes[ok] * k + codes[ok], minlength=(groups.size + 1) * k)[: groups.size * k]
        counts = counts.reshape(groups.size, k)
        answered_n = counts.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            shares = np.where(answered_n > 0, counts / answered_n, np.nan)
        keys = groups.keys.loc[np.repeat(np.arange(groups.size), k)].reset_index(drop=True)
        part = frame(keys, {"item": item, "level": np.tile(levels, groups.size),
                            "code": np.tile(np.arange(1, k + 1), groups.size),
                            "count": counts.reshape(-1), "share": shares.reshape(-1)})
        parts.append(part)
        reason_col = item + MISSING_SUFFIX
        if reason_col in data.columns:
            r = codes_of(data[reason_col])
            for j, reason in enumerate(MISSING_REASONS):
                keys = groups.keys.reset_index(drop=True)
                parts.append(frame(keys, {"item": item, "level": reason, "code": np.nan,
                                          "count": groups.count(r == j), "share": np.nan}))
    out = pd.concat(parts, ignore_index=True)
    out["code"] = out["code"].astype("Float64").astype("Int64")
    return out


def likert_summary(data: pd.DataFrame, items, *, by=("site_id",), prefix: str = "") -> pd.DataFrame:
    """Per item: top-two share, bottom-two share, net score, mean code and the missing share.

    Indicators (group = item): ``<prefix>likert_top2`` (two highest levels / answered, Wilson),
    ``<prefix>likert_bottom2``, ``<prefix>likert_net`` (top-two minus bottom-two share; no
    interval), ``<prefix>likert_mean`` (mean code, Student's t), ``<prefix>likert_missing``
    (missing / all respondents).
    """
    by = normalise_by(by)
    items = [items] if isinstance(items, str) else list(items)
    check_data(data, by + items, "likert_summary")
    groups = Groups(data, by)
    parts = []
    for item in items:
        s = data[item]
        k = len(s.cat.categories)
        codes = codes_of(s)
        ok = codes >= 0
        n = groups.count(ok).astype(float)
        top = groups.count(codes >= k - 2).astype(float)
        bottom = groups.count(ok & (codes <= 1)).astype(float)
        parts.append(proportion_from_counts(groups.keys, top, n, f"{prefix}likert_top2", item))
        parts.append(proportion_from_counts(groups.keys, bottom, n, f"{prefix}likert_bottom2", item))
        with np.errstate(divide="ignore", invalid="ignore"):
            net = np.where(n > 0, (top - bottom) / n, np.nan)
        parts.append(frame(groups.keys, {"indicator": f"{prefix}likert_net", "group": item, "numerator": top - bottom,
                                         "denominator": n, "estimate": net, "lower": np.nan, "upper": np.nan,
                                         "method": "top-two minus bottom-two share"}))
        parts.append(mean_table(groups, (codes + 1).astype(float), ok, f"{prefix}likert_mean", item, levels=True))
        total = groups.count(np.ones(len(data), bool)).astype(float)
        parts.append(proportion_from_counts(groups.keys, total - n, total, f"{prefix}likert_missing", item))
    out = pd.concat(parts, ignore_index=True)
    return out[by + INDICATOR_COLUMNS + [c for c in out.columns if c.startswith("_")]]
