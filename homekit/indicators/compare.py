"""Comparisons a board can read: each site figure against a benchmark, in words.

Contract, second release ("Polarity and benchmarks"):

* survey and case-review figures are compared with ``national_excluding_site``: the pooled figure
  of the *other* sites, so a site is never compared with itself. The other sites' counts are the
  national pooled counts minus the site's own (exact for pooled proportions and means), and the
  two are judged by a two-sample 95% interval of the difference (site minus other sites):
  Newcombe's hybrid score interval (method 10) for proportions, Welch's t for means;
* flow figures are compared with ``england``: a published England value kept in
  ``parameters/benchmarks.yaml`` (value, year, source), judged by whether the site's own 95%
  interval (Byar for rates, Wilson for proportions) excludes it, as Fingertips does;
* the verdict reads ``better``, ``similar`` or ``worse`` (``higher``/``lower`` for indicators
  with no judgement of direction), or ``not compared``.

The other sites' pooled figure is never returned: with exact national counts published beside a
site's rounded counts it would reveal the site's exact counts. Only the verdict and the name of
the benchmark leave this module.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy import stats as st

from .. import stats
from ..exceptions import ParameterError
from ..instruments import INDICATORS, polarities

__all__ = ["compare_with_benchmarks", "load_benchmarks", "rest_of_sites", "spread_of_sites", "BENCHMARK_FILE", "NOT_COMPARED"]

NOT_COMPARED = "not compared"
#: Instruments compared with the other sites (survey and case-review figures).
_POOLED_INSTRUMENTS = ("gp_survey", "older_people_survey", "professional_survey", "case_reviews", "culture_survey")
#: Indicators whose national row is not the sum of the sites' rows.
_NOT_POOLED = {"gp_response_rate"}

BENCHMARK_FILE = Path(os.environ.get("HOMEKIT_PARAMETERS", Path(__file__).resolve().parents[2] / "parameters")) / "benchmarks.yaml"


def load_benchmarks(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """England benchmark values from ``parameters/benchmarks.yaml``.

    Returns
    -------
    DataFrame
        ``indicator, group, value, year, source`` (empty when the file does not exist).

    Raises
    ------
    ParameterError
        When an entry lacks its value, year or source, or names an unknown indicator.
    """
    path = Path(path) if path else BENCHMARK_FILE
    cols = ["indicator", "group", "value", "year", "source", "name"]
    if not path.exists():
        return pd.DataFrame(columns=cols)
    try:
        cfg = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ParameterError("benchmarks", f"cannot read the benchmarks: {exc}", str(path)) from exc
    rows = []
    for key, entry in (cfg.get("england") or {}).items():
        indicator, _, group = str(key).partition("|")
        if indicator not in INDICATORS:
            raise ParameterError(f"england.{key}", "an indicator id of the data dictionary", str(path))
        if not isinstance(entry, dict):
            raise ParameterError(f"england.{key}", "a mapping with value, year and source", str(path))
        for field in ("value", "year", "source"):
            if entry.get(field) in (None, ""):
                raise ParameterError(f"england.{key}.{field}", "a value (every benchmark has its value, year and source)", str(path))
        value = entry["value"]
        if not isinstance(value, (int, float)) or value < 0:
            raise ParameterError(f"england.{key}.value", f"a number >= 0, got {value!r}", str(path))
        rows.append({"indicator": indicator, "group": group, "value": float(value), "year": str(entry["year"]),
                     "source": str(entry["source"]), "name": str(entry.get("name", ""))})
    return pd.DataFrame(rows, columns=cols)


def _sd_from_interval(n, lower, upper, confidence=0.95):
    """The standard deviation behind a Student's t interval of a mean (n, lower, upper)."""
    n = np.asarray(n, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = st.t.ppf(0.5 + confidence / 2, np.maximum(n - 1, 1))
        return np.where(n > 1, (np.asarray(upper, float) - np.asarray(lower, float)) / 2 / t * np.sqrt(n), np.nan)


def rest_of_sites(site: pd.DataFrame, national: pd.DataFrame) -> pd.DataFrame:
    """For each site row, the pooled counts of the other sites (national minus this site).

    Private: used to judge the comparison, never published. Returns ``site`` rows' index with
    ``rest_numerator, rest_denominator, rest_mean, rest_sd, kind`` (NaN where the indicator is not
    pooled over sites or the national row is missing).
    """
    nat = national[["indicator", "group", "numerator", "denominator", "estimate", "lower", "upper"]].drop_duplicates(["indicator", "group"])
    m = site[["indicator", "group"]].reset_index().merge(nat, on=["indicator", "group"], how="left").set_index("index").reindex(site.index)
    kind = site["indicator"].map(lambda i: INDICATORS[i].kind if i in INDICATORS else "")
    instrument = site["indicator"].map(lambda i: INDICATORS[i].instrument if i in INDICATORS else "")
    pooled = instrument.isin(_POOLED_INSTRUMENTS) & ~site["indicator"].isin(_NOT_POOLED) & kind.isin(["proportion", "mean"])
    out = pd.DataFrame(index=site.index)
    out["kind"] = kind
    num = m["numerator"].to_numpy(float) - site["numerator"].to_numpy(float)
    den = m["denominator"].to_numpy(float) - site["denominator"].to_numpy(float)
    ok = pooled.to_numpy() & (den > 0)
    out["rest_numerator"] = np.where(ok, num, np.nan)
    out["rest_denominator"] = np.where(ok, den, np.nan)
    # Means: numerator is the sum, denominator the n; the national and site standard deviations
    # follow from their Student's t intervals, and sums of squares subtract like sums.
    is_mean = (kind == "mean").to_numpy()
    n_nat, n_site = m["denominator"].to_numpy(float), site["denominator"].to_numpy(float)
    sd_nat = _sd_from_interval(n_nat, m["lower"], m["upper"])
    sd_site = _sd_from_interval(n_site, site["lower"], site["upper"])
    with np.errstate(divide="ignore", invalid="ignore"):
        ss_nat = (n_nat - 1) * sd_nat**2 + n_nat * m["estimate"].to_numpy(float) ** 2
        ss_site = (n_site - 1) * np.nan_to_num(sd_site) ** 2 + n_site * site["estimate"].to_numpy(float) ** 2
        rest_mean = num / den
        rest_var = (ss_nat - ss_site - den * rest_mean**2) / (den - 1)
    out["rest_mean"] = np.where(ok & is_mean, rest_mean, np.nan)
    out["rest_sd"] = np.where(ok & is_mean & (den > 1), np.sqrt(np.maximum(rest_var, 0)), np.nan)
    out["site_sd"] = np.where(is_mean, sd_site, np.nan)
    return out


def compare_with_benchmarks(site: pd.DataFrame, national: pd.DataFrame | None = None, benchmarks: pd.DataFrame | None = None,
                            *, confidence: float = 0.95) -> pd.DataFrame:
    """Add ``polarity, comparison, benchmark, comparison_method`` to site indicator rows.

    Parameters
    ----------
    site : DataFrame
        Indicator rows (the ``indicators.csv`` shape, exact counts) of one or more sites.
    national : DataFrame, optional
        National pooled rows of the same round(s), *including* the site: the other sites' figure
        is national minus site. Without it, survey and case-review rows are ``not compared``.
    benchmarks : DataFrame, optional
        From :func:`load_benchmarks` (England values for flow indicators).

    Returns
    -------
    DataFrame
        ``site`` with the four columns added (a copy).

    Examples
    --------
    >>> site = pd.DataFrame({"site_id": ["a"], "indicator": ["gp_trust_asc"], "group": [""], "numerator": [30.0],
    ...                      "denominator": [40.0], "estimate": [0.75], "lower": [0.6], "upper": [0.86], "method": ["Wilson"]})
    >>> national = site.assign(numerator=[130.0], denominator=[400.0], estimate=[0.325])
    >>> compare_with_benchmarks(site, national)[["comparison", "benchmark"]].values.tolist()
    [['better', 'national_excluding_site']]
    """
    out = site.copy()
    pol = pd.Series(polarities(out["indicator"], out["group"].fillna("").astype(str)), index=out.index, dtype=object)
    out["polarity"] = pol
    comparison = pd.Series(NOT_COMPARED, index=out.index, dtype=object)
    benchmark = pd.Series("", index=out.index, dtype=object)
    method = pd.Series("", index=out.index, dtype=object)
    if national is not None and len(national) and len(out):
        rest = rest_of_sites(out, national)
        prop = (rest["kind"] == "proportion") & rest["rest_denominator"].notna() & (out["denominator"] > 0)
        if prop.any():
            d = stats.newcombe_difference(rest.loc[prop, "rest_numerator"], rest.loc[prop, "rest_denominator"],
                                          out.loc[prop, "numerator"], out.loc[prop, "denominator"], confidence=confidence)
            words = stats.interval_verdict(d["lower"], d["upper"], pol[prop].to_numpy())
            comparison[prop] = words.fillna(NOT_COMPARED).to_numpy()
            benchmark[prop] = "national_excluding_site"
            method[prop] = "other sites pooled; 95% Newcombe (method 10) interval of the difference"
        mean = (rest["kind"] == "mean") & rest["rest_sd"].notna() & (out["denominator"] > 1)
        if mean.any():
            d = stats.welch_difference(rest.loc[mean, "rest_mean"], rest.loc[mean, "rest_sd"], rest.loc[mean, "rest_denominator"],
                                       out.loc[mean, "estimate"], rest.loc[mean, "site_sd"], out.loc[mean, "denominator"],
                                       confidence=confidence)
            words = stats.interval_verdict(d["lower"], d["upper"], pol[mean].to_numpy())
            comparison[mean] = words.fillna(NOT_COMPARED).to_numpy()
            benchmark[mean] = "national_excluding_site"
            method[mean] = "other sites pooled; 95% Welch t interval of the difference"
    if benchmarks is not None and len(benchmarks) and len(out):
        b = out[["indicator", "group"]].reset_index().merge(benchmarks.drop_duplicates(["indicator", "group"]), on=["indicator", "group"], how="inner").set_index("index")
        has = b.index[out.loc[b.index, "lower"].notna() & out.loc[b.index, "upper"].notna()]
        if len(has):
            value = b.loc[has, "value"].to_numpy(float)
            # Values are on the indicator's own scale: proportions 0-1, rates per 100,000.
            words = stats.interval_verdict(out.loc[has, "lower"].to_numpy(float) - value,
                                           out.loc[has, "upper"].to_numpy(float) - value, pol[has].to_numpy())
            comparison[has] = words.fillna(NOT_COMPARED).to_numpy()
            benchmark[has] = "england"
            method[has] = [f"95% interval against the England value ({y}; {s})" for y, s in zip(b.loc[has, "year"], b.loc[has, "source"])]
    out["comparison"] = comparison
    out["benchmark"] = benchmark
    out["comparison_method"] = method
    return out


def spread_of_sites(published: pd.DataFrame) -> pd.DataFrame:
    """The range of the sites' *published* figures per (indicator, group), for spine charts.

    Parameters
    ----------
    published : DataFrame
        Site rows after disclosure control (withheld rows are left out).

    Returns
    -------
    DataFrame
        ``indicator, group, lowest, q1, q3, highest, sites`` (quartiles by linear interpolation).

    Examples
    --------
    >>> df = pd.DataFrame({"indicator": "x", "group": "", "estimate": [0.1, 0.2, 0.3, 0.5], "suppressed": False})
    >>> spread_of_sites(df)[["lowest", "q1", "q3", "highest", "sites"]].round(4).values.tolist()
    [[0.1, 0.175, 0.35, 0.5, 4.0]]
    """
    d = published.loc[~published["suppressed"].astype(bool) & published["estimate"].notna()]
    cols = ["indicator", "group", "lowest", "q1", "q3", "highest", "sites"]
    if d.empty:
        return pd.DataFrame(columns=cols)
    g = d.groupby(["indicator", "group"], sort=False)["estimate"]
    out = pd.DataFrame({"lowest": g.min(), "q1": g.quantile(0.25), "q3": g.quantile(0.75), "highest": g.max(),
                        "sites": g.size().astype(float)}).reset_index()
    return out[cols]
