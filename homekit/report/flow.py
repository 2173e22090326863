"""Monthly flow metric sections."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import disclosure
from ..instruments import METRIC_NAMES
from ._format import Block, direction_text, estimate_text, label_for

__all__ = ["flow", "published_flow", "PUBLISHED_SERIES_NOTE"]

#: What a monthly chart draws, in words (the flow chart's and the SPC charts' notes).
PUBLISHED_SERIES_NOTE = ("Each month is drawn as it may be published, like every figure about people who use services: a count "
                         "rounded to the nearest 5, a month of 1 to 7 left out; a monthly share is its rounded count over its "
                         "rounded total, left out where either gives back 1 to 7 or the total is under 10.")


def published_flow(flow: pd.DataFrame, rules: disclosure.DisclosureRules) -> pd.DataFrame:
    """The monthly flow rows as they may be published: every month's count through the gate.

    A metric without a denominator is a count (of people or their bed-days, discharges): each
    month is published as :func:`homekit.disclosure.disclose_counts` publishes a count about
    people (1 to 7 withheld, the rest rounded to 5). A metric with a ``denominator`` is a monthly
    share: each month goes through :func:`homekit.disclosure.disclose_indicators` as a proportion
    (count, complement and base rules; published count over published total). A withheld month
    has ``value`` (and ``denominator``) missing. Everything a chart draws of a monthly series,
    and everything computed from it (SPC limits and verdicts), comes from this table.

    Examples
    --------
    >>> fm = pd.DataFrame({"site_id": "a", "period": ["2014-01", "2014-02", "2014-03"], "metric": "m",
    ...                    "value": [22.0, 5.0, 0.0], "denominator": np.nan})
    >>> published_flow(fm, disclosure.DisclosureRules())["value"].tolist()
    [20.0, nan, 0.0]
    """
    out = flow.copy()
    out["value"] = pd.to_numeric(out["value"], errors="coerce").astype(float)
    if "denominator" in out.columns:
        out["denominator"] = pd.to_numeric(out["denominator"], errors="coerce").astype(float)
        share = out["denominator"].notna().to_numpy()
    else:
        share = np.zeros(len(out), bool)
    if not rules.apply or out.empty:
        return out
    subjects = disclosure.subjects_of("flow_metrics")
    counts = out.loc[~share, ["value"]]
    if len(counts):
        known = counts["value"].notna().to_numpy()
        gated = disclosure.disclose_counts(counts.loc[known], rules, ["value"], subjects=subjects)
        values = np.full(len(counts), np.nan)
        values[known] = pd.to_numeric(gated["value"], errors="coerce").to_numpy(float)  # the marker: missing
        out.loc[~share, "value"] = values
    if share.any():
        rows = out.loc[share]
        with np.errstate(divide="ignore", invalid="ignore"):
            est = rows["value"].to_numpy(float) / rows["denominator"].to_numpy(float)
        asked = pd.DataFrame({"site_id": rows["site_id"].to_numpy(), "indicator": "flow_monthly_share",
                              "group": rows["metric"].astype(str).to_numpy(), "numerator": rows["value"].to_numpy(float),
                              "denominator": rows["denominator"].to_numpy(float), "estimate": est, "lower": np.nan,
                              "upper": np.nan, "method": "share of the month's total"})
        gated = disclosure.disclose_indicators(asked, rules)
        withheld = gated["suppressed"].to_numpy(bool) | gated["numerator"].isna().to_numpy()
        out.loc[share, "value"] = np.where(withheld, np.nan, gated["numerator"].to_numpy(float))
        out.loc[share, "denominator"] = np.where(withheld, np.nan, gated["denominator"].to_numpy(float))
    return out


def _month(p) -> str:
    return pd.Period(p, freq="M").strftime("%b %Y")


def flow(report) -> Block | None:
    import matplotlib.pyplot as plt

    if not report.has("flow_metrics"):
        return None
    m = report.rules.marker
    fm = published_flow(report.tables["flow_metrics"], report.site_rules)
    metric = "permanent_admissions_care_homes_65plus"
    adm = fm[fm.metric == metric].sort_values("period")
    periods = sorted(fm["period"].unique())
    last12 = periods[-12:]
    span = f"{_month(periods[0])} to {_month(periods[-1])}"
    latest = f"{_month(last12[0])} to {_month(last12[-1])}"
    fig = None
    shown = adm["value"].to_numpy(float)  # as published: rounded, a withheld month missing
    if len(adm) and np.isfinite(shown).any():
        fig, ax = plt.subplots(figsize=(9, 3))
        x = np.arange(len(adm))
        ax.plot(x, shown, marker="o", markersize=3, color="#08519c")
        # headroom above the highest month for the legend, so that no point sits on the frame or under the label
        lo, hi = float(np.nanmin(shown)), float(np.nanmax(shown))
        height = (hi - lo) or max(hi, 1.0)
        ax.set_ylim(max(0.0, lo - 0.1 * height), hi + 0.35 * height)
        recent = adm["period"].isin(last12).to_numpy()
        if recent.any():
            ax.axvspan(x[recent][0] - 0.5, x[recent][-1] + 0.5, color="#deebf7", zorder=0, label="latest twelve months")
            ax.legend(loc="upper right", frameon=False, fontsize=8)
        step = max(1, len(adm) // 8)
        ax.set_xticks(x[::step])
        ax.set_xticklabels([_month(p) for p in adm["period"].iloc[::step]], rotation=30, ha="right", fontsize=8)
        ax.set_ylabel("admissions per month" + ("\n(to the nearest 5)" if report.site_rules.apply else ""), fontsize=8)
        ax.set_title(METRIC_NAMES[metric] + f", {span} ({direction_text('flow_care_home_admissions_rate')})")
        fig.tight_layout()
    r = report.ind("flow_care_home_admissions_rate")
    reading = f"Permanent care home admissions of people 65+, {latest}: {estimate_text(r, m)}."
    rows = []
    for ind, groups in (("flow_care_home_admissions_rate", [""]), ("flow_reablement_at_home_91days", [""]),
                        ("flow_delayed_days_share", ["nhs", "social_care", "joint"]),
                        ("flow_discharge_pathway_share", [f"pathway_{i}" for i in range(4)])):
        for g in groups:
            x = report.ind(ind, g)
            if x is None:
                continue
            rows.append({"indicator": label_for(ind, g), f"{latest} (95% CI where it applies)": estimate_text(x, m),
                         "which way is better": direction_text(ind)})
    notes = [PUBLISHED_SERIES_NOTE] if report.site_rules.apply else []
    notes += ["Delayed days and discharges are shares of events, shown without an interval: one person's delay adds many days "
             "and one person can be discharged more than once, so the events are not independent people and a per-person "
             "interval would be far too narrow. The admissions rate has a Poisson (Byar) interval; the share at home after "
             "reablement is of people (Wilson interval)."]
    if fig is None:
        notes.insert(0, f"No monthly chart: every month's admissions count is withheld ({m}) or missing.")
    return Block("Flow metrics", reading, figure=fig, table=pd.DataFrame(rows), notes=notes,
                 intro=f"Monthly flow through the system, {span}; the rates and shares below are for the latest twelve months.",
                 alt=f"Line chart of monthly permanent care home admissions of people 65+, {span}, latest twelve months shaded. " + reading)
