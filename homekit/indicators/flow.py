"""Flow metric indicators over the latest twelve months of each site."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import stats
from ._core import check_data, concat, proportion_from_counts

__all__ = ["flow_indicators", "latest_year"]


def latest_year(flow: pd.DataFrame, months: int = 12) -> pd.DataFrame:
    """The rows of each site's latest ``months`` months (by the site's own last period)."""
    check_data(flow, ["site_id", "period", "metric", "value"], "latest_year")
    ordinal = flow["period"].map(lambda p: p.ordinal).astype(int)
    last = ordinal.groupby(flow["site_id"]).transform("max")
    return flow.loc[ordinal > last - months]


def flow_indicators(flow: pd.DataFrame, sites: pd.DataFrame, *, months: int = 12) -> pd.DataFrame:
    """Flow indicators per site over its latest ``months`` months.

    * ``flow_care_home_admissions_rate``: permanent care home admissions 65+ per 100,000
      population 65+ (Byar interval, exact below 10), annualised when ``months`` is not 12;
    * ``flow_reablement_at_home_91days``: at home 91 days after reablement / reablement
      discharges (Wilson);
    * ``flow_delayed_days_share`` (group nhs, social_care, joint): share of delayed days by
      attribution;
    * ``flow_discharge_pathway_share`` (group pathway_0..3): share of discharges by pathway.

    The two shares are shares of events (bed-days, discharges), not of people: one person's
    delay contributes many days and one person may be discharged more than once, so the events
    are not independent trials and a binomial (per-person) interval would be far too narrow.
    They carry no interval (``lower``/``upper`` blank, ``method`` says why).
    """
    check_data(sites, ["site_id", "population_65plus"], "flow_indicators")
    recent = latest_year(flow, months)
    totals = recent.groupby(["site_id", "metric"], observed=True)["value"].sum().unstack("metric")
    n_months = recent.groupby("site_id")["period"].nunique()
    keys = pd.DataFrame({"site_id": totals.index.to_numpy(dtype=object)})
    parts = []

    def col(name):
        return totals[name].to_numpy(float) if name in totals.columns else np.full(len(totals), np.nan)

    adm = col("permanent_admissions_care_homes_65plus")
    if not np.isnan(adm).all():
        pop = sites.set_index("site_id").loc[totals.index, "population_65plus"].to_numpy(float)
        scale = 12 / n_months.reindex(totals.index).to_numpy(float)
        r = stats.rates(count=np.nan_to_num(adm), population=pop, multiplier=100_000)
        part = keys.copy()
        part["indicator"] = "flow_care_home_admissions_rate"
        part["group"] = ""
        part["numerator"] = adm
        part["denominator"] = pop
        for c in ("estimate", "lower", "upper"):
            part[c] = r[c].to_numpy() * scale
        part["method"] = r["method"].to_numpy()
        part.loc[np.isnan(adm), ["estimate", "lower", "upper"]] = np.nan
        parts.append(part)
    home, reab = col("reablement_at_home_91days_65plus"), col("reablement_discharges_65plus")
    ok = ~np.isnan(home) & ~np.isnan(reab)
    if ok.any():
        parts.append(proportion_from_counts(keys[ok], np.minimum(home, reab)[ok], reab[ok], "flow_reablement_at_home_91days"))
    delays = {"nhs": col("delayed_days_nhs"), "social_care": col("delayed_days_social_care"), "joint": col("delayed_days_joint")}
    total = np.nansum(np.vstack(list(delays.values())), axis=0)
    for name, v in delays.items():
        ok = ~np.isnan(v)
        if ok.any():
            parts.append(_event_share(keys[ok], v[ok], total[ok], "flow_delayed_days_share", name))
    pathways = {f"pathway_{i}": col(f"discharges_pathway_{i}") for i in range(4)}
    total = np.nansum(np.vstack(list(pathways.values())), axis=0)
    for name, v in pathways.items():
        ok = ~np.isnan(v)
        if ok.any():
            parts.append(_event_share(keys[ok], v[ok], total[ok], "flow_discharge_pathway_share", name))
    return concat(parts, ["site_id"])


#: ``method`` of a share of events: no interval, and why.
EVENT_SHARE_METHOD = "share of events (no interval: events are not independent people)"


def _event_share(keys, num, den, indicator, group) -> pd.DataFrame:
    """A share of events (days, discharges) without a per-person interval."""
    out = proportion_from_counts(keys, num, den, indicator, group)
    out["lower"] = np.nan
    out["upper"] = np.nan
    out["method"] = EVENT_SHARE_METHOD
    return out
