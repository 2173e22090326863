"""Monthly flow metric sections."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..instruments import METRIC_NAMES
from ._format import Block, direction_text, estimate_text, label_for


def _month(p) -> str:
    return pd.Period(p, freq="M").strftime("%b %Y")


def flow(report) -> Block | None:
    import matplotlib.pyplot as plt

    if not report.has("flow_metrics"):
        return None
    m = report.rules.marker
    fm = report.tables["flow_metrics"]
    metric = "permanent_admissions_care_homes_65plus"
    adm = fm[fm.metric == metric].sort_values("period")
    periods = sorted(fm["period"].unique())
    last12 = periods[-12:]
    span = f"{_month(periods[0])} to {_month(periods[-1])}"
    latest = f"{_month(last12[0])} to {_month(last12[-1])}"
    fig = None
    vals = adm["value"].to_numpy(float)
    shown = np.where(report.rules.apply & report.rules.small(vals), np.nan, vals)
    if len(adm) and np.isfinite(shown).any():
        fig, ax = plt.subplots(figsize=(9, 3))
        x = np.arange(len(adm))
        ax.plot(x, shown, marker="o", markersize=3, color="#08519c")
        recent = adm["period"].isin(last12).to_numpy()
        if recent.any():
            ax.axvspan(x[recent][0] - 0.5, x[recent][-1] + 0.5, color="#deebf7", zorder=0, label="latest twelve months")
            ax.legend(loc="upper right", frameon=False, fontsize=8)
        step = max(1, len(adm) // 8)
        ax.set_xticks(x[::step])
        ax.set_xticklabels([_month(p) for p in adm["period"].iloc[::step]], rotation=30, ha="right", fontsize=8)
        ax.set_ylabel("admissions per month")
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
    notes = ["Delayed days and discharges are shares of events, shown without an interval: one person's delay adds many days "
             "and one person can be discharged more than once, so the events are not independent people and a per-person "
             "interval would be far too narrow. The admissions rate has a Poisson (Byar) interval; the share at home after "
             "reablement is of people (Wilson interval)."]
    if fig is None:
        notes.insert(0, f"No monthly chart: every month's admissions count is withheld ({m}) or missing.")
    return Block("Flow metrics", reading, figure=fig, table=pd.DataFrame(rows), notes=notes,
                 intro=f"Monthly flow through the system, {span}; the rates and shares below are for the latest twelve months.",
                 alt=f"Line chart of monthly permanent care home admissions of people 65+, {span}, latest twelve months shaded. " + reading)
