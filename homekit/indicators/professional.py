"""Interface survey indicators: factors by profession, trust and relationship matrices, asymmetry."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin as pg
from scipy import stats as _st

from ..instruments import (
    ADMISSION_FACTORS,
    DELAY_FACTORS,
    PROFESSION_GROUPS,
    PROFESSIONS,
    RATED_PROFESSIONS,
    SCALES,
    WRONG_PATHWAY_FACTORS,
)
from ._core import Groups, answered, check_data, codes_of, concat, level_mask, mean_table, normalise_by, proportion_table

__all__ = ["factor_shares", "factor_tests", "factor_frequent", "factor_levels", "FREQUENCY_LEVELS", "trust_matrix", "trust_levels", "relationship_matrix", "asymmetry",
           "FACTOR_ITEMS", "TRUST_LEVELS", "level_id"]

FREQUENT = ("Frequently", "Very frequently")
#: The five levels of the frequency items, low to high (``prof_factor_level`` groups).
FREQUENCY_LEVELS = SCALES["frequency5"].levels
AGREE = ("Agree", "Strongly agree")

#: The four levels of trust (agree4), low to high, as used in ``prof_trust_level`` groups.
TRUST_LEVELS = SCALES["agree4"].levels


def level_id(label: str) -> str:
    """The id of an answer label in a ``group`` (``"Strongly agree"`` -> ``"strongly_agree"``)."""
    return label.lower().replace(" ", "_").replace("'", "")


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


def factor_frequent(data: pd.DataFrame, *, by=("site_id",)) -> pd.DataFrame:
    """``prof_factor_frequent``: each factor's share answering Frequently or Very frequently, by
    profession and by the seed's three respondent groups (IMPOWER 2019, Findings 1-3).

    ``group`` is ``<domain>:<factor>|<profession>`` for every profession id, and
    ``<domain>:<factor>|group:<name>`` for the groups of
    :data:`homekit.instruments.PROFESSION_GROUPS` (``asc``; ``hospital`` = hospital discharge +
    hospital clinical; ``community_gp_other`` = GPs + community health + other). The base is the
    professionals of that profession (or group) who answered the item; missing answers are out.

    Examples
    --------
    >>> import pandas as pd
    >>> from homekit.instruments import SCALES
    >>> freq = SCALES["frequency5"].dtype()
    >>> d = pd.DataFrame({"profession": ["asc", "asc", "gp"],
    ...                   "admission_factor_risk_aversion": pd.Categorical(["Frequently", "Never", "Very frequently"], dtype=freq)})
    >>> f = factor_frequent(d, by=[]).set_index("group")
    >>> f.loc["admission:risk_aversion|asc", ["numerator", "denominator"]].tolist()
    [1.0, 2.0]
    >>> f.loc["admission:risk_aversion|group:community_gp_other", "estimate"]
    1.0
    """
    by = normalise_by(by)
    check_data(data, by + ["profession"], "factor_frequent")
    g = Groups(data, by)
    prof = data["profession"].astype(str).to_numpy()
    who = [(p, prof == p) for p in PROFESSIONS]
    who += [(f"group:{name}", np.isin(prof, members)) for name, members in PROFESSION_GROUPS.items()]
    parts = []
    for s, key in _factor_answers(data):
        frequent, base = level_mask(s, FREQUENT), answered(s)
        for name, mask in who:
            parts.append(proportion_table(g, frequent, base & mask, "prof_factor_frequent", f"{key}|{name}"))
    return concat(parts, by)


def _factor_answers(data: pd.DataFrame):
    """Each factor item present: its answers and its ``<domain>:<factor>`` key."""
    for items in FACTOR_ITEMS.values():
        for item in items:
            if item in data.columns:
                domain, factor = item.split("_factor_", 1)
                yield data[item], f"{domain}:{factor}"


def factor_levels(data: pd.DataFrame, *, by=("site_id",)) -> pd.DataFrame:
    """``prof_factor_level``: the five-level distribution (Never ... Very frequently) of every
    factor for each of the seed's three respondent groups, as the 2019 summary charts them
    (Findings 1-3). ``group`` is ``<domain>:<factor>|group:<name>|<level>`` with level ``never``,
    ``infrequently``, ``sometimes``, ``frequently`` or ``very_frequently``; the five rows of a
    factor and group share one base (those of the group who answered) and sum to it, and
    ``frequently`` + ``very_frequently`` is the ``prof_factor_frequent`` row of the same group.

    Examples
    --------
    >>> import pandas as pd
    >>> from homekit.instruments import SCALES
    >>> freq = SCALES["frequency5"].dtype()
    >>> d = pd.DataFrame({"profession": ["asc", "asc", "gp"],
    ...                   "delay_factor_family_choice": pd.Categorical(["Never", "Sometimes", None], dtype=freq)})
    >>> f = factor_levels(d, by=[]).set_index("group")
    >>> f.loc["delay:family_choice|group:asc|never", ["numerator", "denominator"]].tolist()
    [1.0, 2.0]
    """
    by = normalise_by(by)
    check_data(data, by + ["profession"], "factor_levels")
    g = Groups(data, by)
    prof = data["profession"].astype(str).to_numpy()
    parts = []
    for s, key in _factor_answers(data):
        for name, members in PROFESSION_GROUPS.items():
            base = answered(s) & np.isin(prof, members)
            parts += [proportion_table(g, level_mask(s, (label,)), base, "prof_factor_level", f"{key}|group:{name}|{level_id(label)}")
                      for label in FREQUENCY_LEVELS]
    return concat(parts, by)


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


def _trust_by_pair(data: pd.DataFrame, by, where: str, rows) -> pd.DataFrame:
    """Rows of ``rows(groups, answers, base, "rater->ratee")`` for every rater -> ratee pair; the
    base is the raters of that profession who answered."""
    by = normalise_by(by)
    check_data(data, by + ["profession"], where)
    g = Groups(data, by)
    prof = data["profession"].astype(str).to_numpy()
    parts = []
    for rater, ratee in _rater_pairs():
        s = data[f"trust_{ratee}"]
        parts += rows(g, s, answered(s) & (prof == rater), f"{rater}->{ratee}")
    return concat(parts, by)


def trust_matrix(data: pd.DataFrame, *, by=("site_id",)) -> pd.DataFrame:
    """``prof_trust``: share of raters agreeing they trust the ratee; group ``rater->ratee``."""
    return _trust_by_pair(data, by, "trust_matrix",
                          lambda g, s, base, pair: [proportion_table(g, level_mask(s, AGREE), base, "prof_trust", pair)])


def trust_levels(data: pd.DataFrame, *, by=("site_id",)) -> pd.DataFrame:
    """``prof_trust_level``: the four-level distribution of the trust each profession gives each
    other one (IMPOWER 2019, Finding 4); ``group`` is ``<rater>-><ratee>|<level>`` with level
    ``strongly_disagree``, ``disagree``, ``agree`` or ``strongly_agree``. The base of the four rows
    of a pair is the raters of that profession who answered (they sum to it).

    Examples
    --------
    >>> import pandas as pd
    >>> from homekit.instruments import SCALES, RATED_PROFESSIONS
    >>> agree = SCALES["agree4"].dtype()
    >>> d = pd.DataFrame({"profession": ["asc", "asc", "asc"]})
    >>> for p in RATED_PROFESSIONS:
    ...     d[f"trust_{p}"] = pd.Categorical([None, None, None], dtype=agree)
    >>> d["trust_gp"] = pd.Categorical(["Agree", "Disagree", "Agree"], dtype=agree)
    >>> t = trust_levels(d, by=[]).set_index("group")
    >>> t.loc["asc->gp|agree", ["numerator", "denominator"]].tolist()
    [2.0, 3.0]
    """
    return _trust_by_pair(data, by, "trust_levels", lambda g, s, base, pair: [
        proportion_table(g, level_mask(s, (label,)), base, "prof_trust_level", f"{pair}|{level_id(label)}") for label in TRUST_LEVELS])


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
