"""A site against the other sites, in words (contract, second release: polarity and benchmarks)."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from .. import plots
from ..indicators import HEADLINES
from ._format import Block, estimate_text, pct


def versus_national(report) -> Block | None:
    """Each headline against the pooled figure of the other sites: better, similar or worse.

    The comparison (``comparison`` in indicators.csv) never includes the site itself; the table
    shows the published national figure for reference, never the other sites' own figure (which,
    beside the national one, would give the site's exact counts away).
    """
    import matplotlib.pyplot as plt

    nat_pub = report.national_published
    if nat_pub is None:
        return None
    rows, plot_rows = [], []
    for ind, (_, desc, published, published_text) in HEADLINES.items():
        if ind in ("prof_relationship_score", "prof_trust"):
            continue
        r = report.ind(ind)
        m = nat_pub[(nat_pub.indicator == ind) & (nat_pub.group == "")]
        if r is None or m.empty:
            continue
        nat = m.iloc[0]
        word = r.get("comparison", "not compared")
        rows.append({"indicator": desc, "this site (95% CI)": estimate_text(r), "national (all sites)": pct(nat["estimate"]),
                     "published": published_text, "against the other sites": word})
        if not r["suppressed"]:
            plot_rows.append({"label": textwrap.fill(desc, 45), "estimate": r["estimate"], "lower": r["lower"], "upper": r["upper"],
                              "national": nat["estimate"], "comparison": word})
    if not rows:
        return None
    fig = None
    if plot_rows:
        d = pd.DataFrame(plot_rows)
        fig, ax = plt.subplots(figsize=(10, 0.6 * len(d) + 1.6))
        y = np.arange(len(d))[::-1]
        ax.errorbar(d["estimate"] * 100, y, xerr=plots.interval_errors(d["estimate"], d["lower"], d["upper"], 100),
                    fmt="none", ecolor="#6baed6", capsize=3)
        ax.scatter(d["estimate"] * 100, y, s=60, zorder=3, edgecolor="#212B32", label="this site (95% CI), coloured by comparison",
                   color=[plots.COMPARISON_COLOURS.get(w, "#FFFFFF") for w in d["comparison"]])
        ax.scatter(d["national"] * 100, y, marker="|", s=200, color="#d94801", label="national (all sites)", zorder=3)
        ax.set_yticks(y)
        ax.set_yticklabels(d["label"], fontsize=8)
        ax.set_xlim(0, 105)
        ax.set_xlabel("%")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8, frameon=False)
        ax.set_title("This site against the other sites")
        fig.tight_layout()
    words = pd.Series([r["against the other sites"] for r in rows])
    reading = (f"Against the other sites pooled, {int((words == 'better').sum())} headline figures are better, "
               f"{int((words == 'similar').sum())} similar and {int((words == 'worse').sum())} worse "
               f"({int(words.isin(['higher', 'lower']).sum())} higher or lower where neither direction is better).")
    return Block("This site against the other sites", reading, figure=fig, table=pd.DataFrame(rows),
                 notes=["Compared with every other site pooled (never including this site): the 95% Newcombe interval (method 10) of "
                        "the difference for proportions, Welch's t for means. Green better, amber similar, red worse; blue higher or "
                        "lower where neither direction is better. The national figure includes this site and is shown for reference."])
