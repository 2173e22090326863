"""Change between consecutive survey rounds (``change.csv``), read with each indicator's polarity.

For each (site, indicator, group) and each pair of consecutive rounds in which it was measured:

* proportions: the difference (later minus earlier) with Newcombe's hybrid score interval
  (method 10) and the p-value that inverts that interval (so the two always agree at 95%);
* means: Welch's unequal-variance t interval and test (the standard deviation of each round is
  recovered from its published Student's t interval and base);
* other kinds (net scores, rates): ``not compared``.

``verdict`` reads ``improved``, ``worsened`` or ``no significant change`` using the indicator's
polarity; an indicator with no judgement of direction that changed reads ``increased`` or
``decreased``; a pair where either round is withheld by disclosure control, or has no base, reads
``not compared``. Give it the *published* history (rounded counts) so that the change adds
nothing to what the published rounds already say.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import stats
from ..instruments import INDICATORS, polarities
from ..rounds import add_period, period_key, rounds_of, SURVEY_INSTRUMENTS
from ..loaders import Dataset
from .compare import _sd_from_interval

__all__ = ["change_table", "national_change", "CHANGE_COLUMNS", "CHANGE_WORDS"]

CHANGE_COLUMNS = ["site_id", "indicator", "group", "from_period", "to_period", "from_estimate", "to_estimate", "difference",
                  "lower", "upper", "p_value", "method", "verdict", "suppressed"]
#: (better, worse, no difference, higher, lower) for change over time.
CHANGE_WORDS = ("improved", "worsened", "no significant change", "increased", "decreased")
NOT_COMPARED = "not compared"


def _pairs(history: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Consecutive rounds of each (by, indicator, group) side by side: columns suffixed _1 and _2."""
    h = history.copy()
    h["_key"] = h["period"].map(period_key)
    keys = by + ["indicator", "group"]
    h = h.sort_values(keys + ["_key"], kind="stable")
    nxt = h.groupby(keys, sort=False).shift(-1)
    first = h.loc[nxt["period"].notna()]
    second = nxt.loc[nxt["period"].notna()]
    out = first[keys].reset_index(drop=True)
    for c in ("period", "numerator", "denominator", "estimate", "lower", "upper", "suppressed"):
        out[f"{c}_1"] = first[c].to_numpy()
        out[f"{c}_2"] = second[c].to_numpy()
    return out


def change_table(history: pd.DataFrame, *, by=("site_id",), confidence: float = 0.95) -> pd.DataFrame:
    """Change between consecutive rounds of a history table (the ``change.csv`` shape).

    Parameters
    ----------
    history : DataFrame
        Rows in the ``history.csv`` shape (``indicator, group, numerator, denominator,
        estimate, lower, upper, period``; ``suppressed`` optional), e.g. from
        :func:`homekit.indicators.indicator_history` after disclosure control.
    by : list of str
        Columns naming the unit whose rounds are compared (default ``site_id``).

    Returns
    -------
    DataFrame
        ``site_id, indicator, group, from_period, to_period, from_estimate, to_estimate,
        difference, lower, upper, p_value, method, verdict, suppressed``.

    Examples
    --------
    Newcombe (1998), Table II (a): 48/80 then 56/70.

    >>> h = pd.DataFrame({"site_id": ["a", "a"], "indicator": ["gp_trust_asc"] * 2, "group": ["", ""],
    ...                   "numerator": [48.0, 56.0], "denominator": [80.0, 70.0], "estimate": [0.6, 0.8],
    ...                   "lower": [np.nan, np.nan], "upper": [np.nan, np.nan], "period": ["2013", "2019"]})
    >>> c = change_table(h)
    >>> c[["difference", "lower", "upper"]].round(4).values.tolist(), c.loc[0, "verdict"]
    ([[0.2, 0.0524, 0.3339]], 'improved')
    """
    by = [by] if isinstance(by, str) else list(by)
    h = history.copy()
    if "suppressed" not in h.columns:
        h["suppressed"] = False
    h["group"] = h["group"].fillna("").astype(str)
    p = _pairs(h, by)
    if p.empty:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    kind = p["indicator"].map(lambda i: INDICATORS[i].kind if i in INDICATORS else "")
    pol = pd.Series(polarities(p["indicator"], p["group"]), index=p.index, dtype=object)
    x1, n1 = p["numerator_1"].astype(float), p["denominator_1"].astype(float)
    x2, n2 = p["numerator_2"].astype(float), p["denominator_2"].astype(float)
    withheld = p["suppressed_1"].astype(bool) | p["suppressed_2"].astype(bool)
    out = p[by + ["indicator", "group"]].copy()
    if "site_id" not in out.columns:
        out["site_id"] = "national"
    out["from_period"] = p["period_1"]
    out["to_period"] = p["period_2"]
    for c in ("from_estimate", "to_estimate", "difference", "lower", "upper", "p_value"):
        out[c] = np.nan
    out["method"] = ""
    out["verdict"] = NOT_COMPARED
    prop = (kind == "proportion") & ~withheld & (n1 > 0) & (n2 > 0) & x1.notna() & x2.notna()
    if prop.any():
        d = stats.newcombe_difference(x1[prop], n1[prop], x2[prop], n2[prop], confidence=confidence)
        d.index = out.index[prop]
        out.loc[prop, ["from_estimate", "to_estimate", "difference", "lower", "upper", "p_value"]] = d[
            ["estimate_1", "estimate_2", "difference", "lower", "upper", "p_value"]].to_numpy()
        out.loc[prop, "method"] = d["method"].to_numpy()
    mean = (kind == "mean") & ~withheld & (n1 > 1) & (n2 > 1) & p["estimate_1"].notna() & p["estimate_2"].notna()
    if mean.any():
        s1 = _sd_from_interval(n1[mean], p.loc[mean, "lower_1"], p.loc[mean, "upper_1"])
        s2 = _sd_from_interval(n2[mean], p.loc[mean, "lower_2"], p.loc[mean, "upper_2"])
        d = stats.welch_difference(p.loc[mean, "estimate_1"], s1, n1[mean], p.loc[mean, "estimate_2"], s2, n2[mean], confidence=confidence)
        d.index = out.index[mean]
        out.loc[mean, ["from_estimate", "to_estimate", "difference", "lower", "upper", "p_value"]] = d[
            ["estimate_1", "estimate_2", "difference", "lower", "upper", "p_value"]].to_numpy()
        out.loc[mean, "method"] = d["method"].to_numpy()
    judged = out["lower"].notna() & out["upper"].notna()
    if judged.any():
        words = stats.interval_verdict(out.loc[judged, "lower"], out.loc[judged, "upper"], pol[judged].to_numpy(), words=CHANGE_WORDS)
        out.loc[judged, "verdict"] = words.fillna(NOT_COMPARED).to_numpy()
    # A withheld round withholds the change; the other round's estimate stays as published.
    out["suppressed"] = withheld.to_numpy()
    out.loc[withheld & ~p["suppressed_1"].astype(bool), "from_estimate"] = p.loc[withheld & ~p["suppressed_1"].astype(bool), "estimate_1"]
    out.loc[withheld & ~p["suppressed_2"].astype(bool), "to_estimate"] = p.loc[withheld & ~p["suppressed_2"].astype(bool), "estimate_2"]
    other = ~prop & ~mean & ~withheld
    out.loc[other, "from_estimate"] = p.loc[other, "estimate_1"].astype(float)
    out.loc[other, "to_estimate"] = p.loc[other, "estimate_2"].astype(float)
    out.loc[other, "method"] = "no interval for a change in this kind of figure"
    for c in ("from_estimate", "to_estimate", "difference", "lower", "upper", "p_value"):
        out[c] = out[c].astype(float)
    return out[CHANGE_COLUMNS].reset_index(drop=True)


def national_change(data, *, publish=None, confidence: float = 0.95) -> pd.DataFrame:
    """National change: each site's round k against its round k+1, pooled over the sites with both.

    The same sites are compared with themselves (a site surveyed once is left out), so the change
    is not confounded by which sites were surveyed when. ``from_period``/``to_period`` list the
    periods pooled (e.g. ``2013`` and ``2019``; ``2013; 2014`` when sites surveyed in different years).

    A column ``sites`` (after the contract's columns) names the sites pooled: the national
    ``history.csv`` row of a period may pool more sites than the change does.

    ``publish(pooled, sites)`` (e.g. the disclosure gate with the national rules) is applied to
    each pooled round, with the rows of the sites pooled in it, before the change is computed, so
    that the change is derived from published counts only.
    """
    from . import _survey_parts  # the indicator set is the package's

    parts = []
    for name in SURVEY_INSTRUMENTS:
        df = data.get(name)
        if df is None or df.empty:
            continue
        order = rounds_of(df, by=["site_id"])
        if order["order"].max() < 2:
            continue
        with_order = df.merge(order[["site_id", "survey_year", "survey_round", "order"]], on=["site_id", "survey_year", "survey_round"])
        for k in range(1, int(order["order"].max())):
            both = set(order.loc[order["order"] == k + 1, "site_id"])
            sub = with_order[with_order["site_id"].isin(both) & with_order["order"].isin([k, k + 1])].reset_index(drop=True)
            labels = {o: "; ".join(sorted(set(add_period(sub[sub["order"] == o])["period"]), key=period_key)) for o in (k, k + 1)}
            tables = {n: t for n, t in data.tables.items() if n not in SURVEY_INSTRUMENTS}
            tables[name] = sub

            pair = Dataset(data.data_dir, tables, list(data.sources))
            rows = _survey_parts(pair, ["order"], "national")
            if not rows:
                continue
            h = pd.concat(rows, ignore_index=True)
            h["period"] = h["order"].map(labels)
            h["group"] = h["group"].fillna("").astype(str)
            h["site_id"] = "national"
            if publish is not None:
                # Each pooled round through the gate with the sites' own rows behind it (pooled
                # minus the published sites must not give back a withheld site).
                sites = pd.concat(_survey_parts(pair, ["site_id", "order"], "national"), ignore_index=True)
                sites["group"] = sites["group"].fillna("").astype(str)
                h = pd.concat([publish(h[h["order"] == o].drop(columns="order"), sites[sites["order"] == o].drop(columns="order")).assign(order=o)
                               for o in (k, k + 1)], ignore_index=True)
            h["_pair"] = k
            # which sites the two rounds pool (fewer than the period's history row may hold)
            parts.append(change_table(h, by=["_pair"], confidence=confidence).assign(sites="; ".join(sorted(both))))
    if not parts:
        return pd.DataFrame(columns=CHANGE_COLUMNS + ["sites"])
    out = pd.concat(parts, ignore_index=True)
    out["site_id"] = "national"
    return out[CHANGE_COLUMNS + ["sites"]]
