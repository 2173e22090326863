"""A site against the national figures."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from .. import plots, stats
from ..indicators import HEADLINES
from ._format import Block, estimate_text, pct


def versus_national(report) -> Block | None:
    import matplotlib.pyplot as plt

    if report.national is None:
        return None
    rows, plot_rows = [], []
    for ind, (_, desc, published, published_text) in HEADLINES.items():
        if ind in ("prof_relationship_score", "prof_trust"):
            continue
        r = report.ind(ind)
        m = report.national[(report.national.indicator == ind) & (report.national.group == "")]
        if r is None or m.empty:
            continue
        nat = m.iloc[0]
        raw = report.raw_indicators[(report.raw_indicators.indicator == ind) & (report.raw_indicators.group == "")].iloc[0]
        flag = ""
        if not r["suppressed"] and raw["denominator"] > 0:
            sig = stats.funnel_significance(numerator=[raw["numerator"]], denominator=[raw["denominator"]], baseline=float(nat["estimate"]))
            flag = sig["significance"].iloc[0]
        rows.append({"indicator": desc, "this site (95% CI)": estimate_text(r), "national": pct(nat["estimate"]),
                     "published": published_text, "against national": flag or "[c]"})
        if not r["suppressed"]:
            plot_rows.append({"label": textwrap.fill(desc, 45), "estimate": r["estimate"], "lower": r["lower"], "upper": r["upper"],
                              "national": nat["estimate"], "outside": flag not in ("Not significant", "")})
    if not rows:
        return None
    fig = None
    if plot_rows:
        d = pd.DataFrame(plot_rows)
        fig, ax = plt.subplots(figsize=(10, 0.6 * len(d) + 1.6))
        y = np.arange(len(d))[::-1]
        ax.errorbar(d["estimate"] * 100, y, xerr=plots.interval_errors(d["estimate"], d["lower"], d["upper"], 100),
                    fmt="o", color="#08519c", ecolor="#6baed6", capsize=3, label="this site (95% CI)")
        ax.scatter(d["national"] * 100, y, marker="|", s=200, color="#d94801", label="national", zorder=3)
        for yi, out in zip(y, d["outside"]):
            if out:
                ax.text(101, yi, "outside funnel", va="center", fontsize=7, color="#d7301f")
        ax.set_yticks(y)
        ax.set_yticklabels(d["label"], fontsize=8)
        ax.set_xlim(0, 115)
        ax.set_xlabel("%")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8, frameon=False)
        ax.set_title("This site against the national figure")
        fig.tight_layout()
    n_out = sum(1 for r in rows if r["against national"] not in ("Not significant", "[c]"))
    reading = f"{n_out} of {len(rows)} headline indicators lie outside the funnel limits around the national figure."
    return Block("This site against the national figures", reading, figure=fig, table=pd.DataFrame(rows),
                 notes=["Funnel limits: Wilson score inversion around the national proportion at this site's base (95% and 99.8%)."])
