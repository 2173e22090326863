"""Monthly flow metric sections."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._format import Block, estimate_text, label_for


def flow(report) -> Block | None:
    import matplotlib.pyplot as plt

    if not report.has("flow_metrics"):
        return None
    fm = report.tables["flow_metrics"]
    adm = fm[fm.metric == "permanent_admissions_care_homes_65plus"].sort_values("period")
    fig, ax = plt.subplots(figsize=(9, 3))
    if len(adm):
        vals = adm["value"].to_numpy(float)
        shown = np.where(report.rules.apply & report.rules.small(vals), np.nan, vals)
        ax.plot(adm["period"].astype(str), shown, marker="o", markersize=3, color="#08519c")
        step = max(1, len(adm) // 8)
        ax.set_xticks(range(0, len(adm), step))
        ax.set_xticklabels(adm["period"].astype(str).iloc[::step], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("admissions per month")
    ax.set_title("Permanent admissions of people 65+ to care homes")
    fig.tight_layout()
    r = report.ind("flow_care_home_admissions_rate")
    reading = (f"{r['estimate']:.0f} permanent care home admissions per 100,000 people 65+ in the latest 12 months "
               f"(95% CI {r['lower']:.0f} to {r['upper']:.0f})." if r is not None and not r["suppressed"] else "Admissions rate: [c].")
    rows = []
    for ind, groups in (("flow_care_home_admissions_rate", [""]), ("flow_reablement_at_home_91days", [""]),
                        ("flow_delayed_days_share", ["nhs", "social_care", "joint"]),
                        ("flow_discharge_pathway_share", [f"pathway_{i}" for i in range(4)])):
        for g in groups:
            x = report.ind(ind, g)
            if x is None:
                continue
            est = (f"{x['estimate']:.0f} per 100,000 ({x['lower']:.0f} to {x['upper']:.0f})" if ind.endswith("rate") and not x["suppressed"]
                   else estimate_text(x))
            rows.append({"indicator": label_for(ind, g), "latest 12 months (95% CI)": est})
    return Block("Flow metrics", reading, figure=fig, table=pd.DataFrame(rows))
