"""Interface survey indicators: factors by profession, trust and relationship matrices, asymmetry."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin as pg
from scipy import stats as _st

from ..instruments import ADMISSION_FACTORS, DELAY_FACTORS, PROFESSIONS, RATED_PROFESSIONS, WRONG_PATHWAY_FACTORS
from ._core import Groups, answered, check_data, codes_of, concat, level_mask, mean_table, normalise_by, proportion_table

__all__ = ["factor_shares", "factor_tests", "trust_matrix", "relationship_matrix", "asymmetry", "FACTOR_ITEMS"]

FREQUENT = ("Frequently", "Very frequently")
AGREE = ("Agree", "Strongly agree")

#: indicator id -> the factor columns it covers
FACTOR_ITEMS = {
    "prof_admission_factor_frequent": [f"admission_factor_{f}" for f in ADMISSION_FACTORS],
    "prof_delay_factor_frequent": [f"delay_factor_{f}" for f in DELAY_FACTORS],
    "prof_wrong_pathway_factor_frequent": [f"wrong_pathway_factor_{f}" for f in WRONG_PATHWAY_FACTORS],
}


def factor_shares(data: pd.DataFrame, *, by=("site_id",)) -> pd.DataFrame:
    """Share answering Frequently or Very frequently for every factor (group = factor id),
    ranked within each indicator and group of ``by`` (``rank`` 1 = most frequent).

    Pass ``by=["site_id", "profession"]`` for the factors per profession.
    """
    by = normalise_by(by)
    check_data(data, by, "factor_shares")
    g = Groups(data, by)
    parts = []
    for indicator, items in FACTOR_ITEMS.items():
        for item in items:
            if item not in data.columns:
                continue
            s = data[item]
            factor = item.split("_factor_", 1)[1]
            parts.append(proportion_table(g, level_mask(s, FREQUENT), answered(s), indicator, factor))
    out = concat(parts, by)
    out["rank"] = out.groupby(by + ["indicator"], dropna=False)["estimate"].rank(ascending=False, method="min")
    return out


def factor_tests(data: pd.DataFrame, *, between: str = "profession") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Kruskal-Wallis of each factor's frequency code across professions, and Holm-corrected
    pairwise Mann-Whitney tests (pingouin).

    Returns
    -------
    (omnibus, pairwise)
        ``omnibus``: item, h, ddof1, p_val, n. ``pairwise``: item, a, b, u_val, p_unc, p_holm, hedges.
    """
    check_data(data, [between], "factor_tests")
    omnibus, pairwise = [], []
    for items in FACTOR_ITEMS.values():
        for item in items:
            if item not in data.columns:
                continue
            d = pd.DataFrame({"y": codes_of(data[item]) + 1.0, "g": data[between].astype(str)})
            d = d[d["y"] > 0]
            d = d[d.groupby("g")["y"].transform("size") >= 2]
            if d["g"].nunique() < 2:
                continue
            kw = pg.kruskal(d, dv="y", between="g")
            omnibus.append({"item": item, "h": float(kw["H"].iloc[0]), "ddof1": int(kw["ddof1"].iloc[0]),
                            "p_val": float(kw["p_unc"].iloc[0]), "n": len(d)})
            # Hedges' g divides by the pooled SD, which is 0 when both groups give one same answer:
            # no effect size then (NaN), rather than a RuntimeWarning printed into a report.
            with np.errstate(divide="ignore", invalid="ignore"):
                pw = pg.pairwise_tests(d, dv="y", between="g", parametric=False, padjust="holm")
            pw["hedges"] = pw["hedges"].where(np.isfinite(pw["hedges"].astype(float)))
            if "p_corr" not in pw.columns:  # a single comparison: pingouin applies no correction
                pw["p_corr"] = pw["p_unc"]
            for r in pw.itertuples(index=False):
                pairwise.append({"item": item, "a": r.A, "b": r.B, "u_val": float(r.U_val), "p_unc": float(r.p_unc),
                                 "p_holm": float(r.p_corr), "hedges": float(r.hedges)})
    return pd.DataFrame(omnibus), pd.DataFrame(pairwise)


def _rater_pairs():
    for ratee in RATED_PROFESSIONS:
        for rater in PROFESSIONS:
            if rater != ratee:
                yield rater, ratee


def trust_matrix(data: pd.DataFrame, *, by=("site_id",)) -> pd.DataFrame:
    """``prof_trust``: share of raters agreeing they trust the ratee; group ``rater->ratee``."""
    by = normalise_by(by)
    check_data(data, by + ["profession"], "trust_matrix")
    g = Groups(data, by)
    prof = data["profession"].astype(str).to_numpy()
    parts = []
    for rater, ratee in _rater_pairs():
        s = data[f"trust_{ratee}"]
        parts.append(proportion_table(g, level_mask(s, AGREE), answered(s) & (prof == rater), "prof_trust", f"{rater}->{ratee}"))
    return concat(parts, by)


def relationship_matrix(data: pd.DataFrame, *, by=("site_id",)) -> pd.DataFrame:
    """``prof_relationship_score``: mean 1-5 score the rater gives the ratee; group ``rater->ratee``."""
    by = normalise_by(by)
    check_data(data, by + ["profession"], "relationship_matrix")
    g = Groups(data, by)
    prof = data["profession"].astype(str).to_numpy()
    parts = []
    for rater, ratee in _rater_pairs():
        s = data[f"relationship_{ratee}"]
        v = s.to_numpy(dtype=float, na_value=np.nan)
        parts.append(mean_table(g, np.nan_to_num(v), ~np.isnan(v) & (prof == rater), "prof_relationship_score", f"{rater}->{ratee}"))
    return concat(parts, by)


def asymmetry(data: pd.DataFrame) -> pd.DataFrame:
    """For each pair of rated professions A, B: mean score A gives B minus mean score B gives A,
    with a Welch t interval and test, for relationship scores and trust (agree = 1).

    Returns
    -------
    DataFrame
        ``measure, a, b, a_rates_b, b_rates_a, difference, lower, upper, p_val, n_a, n_b``.
    """
    check_data(data, ["profession"], "asymmetry")
    prof = data["profession"].astype(str).to_numpy()
    rows = []
    for measure in ("relationship", "trust"):
        for i, a in enumerate(RATED_PROFESSIONS):
            for b in RATED_PROFESSIONS[i + 1:]:
                if measure == "relationship":
                    x = data.loc[prof == a, f"relationship_{b}"].to_numpy(dtype=float, na_value=np.nan)
                    y = data.loc[prof == b, f"relationship_{a}"].to_numpy(dtype=float, na_value=np.nan)
                else:
                    x = _agree(data.loc[prof == a, f"trust_{b}"])
                    y = _agree(data.loc[prof == b, f"trust_{a}"])
                x, y = x[~np.isnan(x)], y[~np.isnan(y)]
                if len(x) < 2 or len(y) < 2:
                    continue
                # scipy rather than pingouin here: pingouin rounds its CI95 to two decimals.
                t = _st.ttest_ind(x, y, equal_var=False)
                ci = t.confidence_interval(0.95)
                rows.append({"measure": measure, "a": a, "b": b, "a_rates_b": x.mean(), "b_rates_a": y.mean(),
                             "difference": x.mean() - y.mean(), "lower": float(ci.low), "upper": float(ci.high),
                             "p_val": float(t.pvalue), "n_a": len(x), "n_b": len(y)})
    return pd.DataFrame(rows)


def _agree(s: pd.Series) -> np.ndarray:
    """1 for Agree or Strongly agree, 0 for the other answers, NaN when missing."""
    return np.where(answered(s), level_mask(s, AGREE).astype(float), np.nan)
