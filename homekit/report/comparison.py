"""A site against the other sites, in words (contract, second release: polarity and benchmarks)."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from .. import plots
from ..indicators import HEADLINES
from ._format import Block, direction_text, estimate_text, has_value, value_text

#: The words a comparison may take (``comparison`` in indicators.csv).
JUDGED = ("better", "similar", "worse", "higher", "lower")


def versus_national(report) -> Block | None:
    """Each headline against the pooled figure of the other sites: better, similar or worse.

    The comparison (``comparison`` in indicators.csv) never includes the site itself; the table
    shows the published national figure for reference, never the other sites' own figure (which,
    beside the national one, would give the site's exact counts away). The reading counts the
    words of the table; a figure withheld or without data is said to be so, never counted as similar.
    """
    import matplotlib.pyplot as plt

    nat_pub = report.national_published
    if nat_pub is None:
        return None
    mk = report.rules.marker
    rows, plot_rows = [], []
    for ind, (_, desc, published, published_text) in HEADLINES.items():
        if ind in ("prof_relationship_score", "prof_trust"):
            continue
        r = report.ind(ind)
        m = nat_pub[(nat_pub.indicator == ind) & (nat_pub.group == "")]
        if r is None or m.empty:
            continue
        nat = m.iloc[0]
        word = r.get("comparison") if has_value(r) else None
        word = word if isinstance(word, str) and word in JUDGED else ("not compared" if has_value(r) else estimate_text(r, mk))
        rows.append({"indicator": desc, "this site (95% CI)": estimate_text(r, mk), "national (all sites)": value_text(ind, nat["estimate"]),
                     "published": published_text or "no published figure", "against the other sites": word, "which way is better": direction_text(ind)})
        if has_value(r):
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
        # this site: one marker per comparison, coloured and shaped by it (a legend key per word, never one row's colour)
        for w in dict.fromkeys(d["comparison"]):
            sel = (d["comparison"] == w).to_numpy()
            ax.scatter(d["estimate"][sel] * 100, y[sel], s=60, zorder=3, edgecolor="#212B32", label=f"this site: {w}",
                       marker=plots.COMPARISON_MARKERS.get(w, "o"), color=plots.COMPARISON_COLOURS.get(w, "#FFFFFF"))
        ax.scatter(d["national"] * 100, y, marker="|", s=200, color="#d94801", label="national (all sites)", zorder=3)
        for yi, w in zip(y, d["comparison"]):  # the word beside each row: colour is never the only cue
            ax.text(106, yi, w, va="center", fontsize=8, color="#212B32")
        ax.set_yticks(y)
        ax.set_yticklabels(d["label"], fontsize=8)
        ax.set_xlim(0, 120)
        ax.set_xticks([0, 20, 40, 60, 80, 100])
        ax.set_xlabel("%")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=4, fontsize=8, frameon=False)
        ax.set_title("This site against the other sites")
        fig.tight_layout()
    words = pd.Series([r["against the other sites"] for r in rows])
    judged = words.isin(JUDGED)
    if judged.any():
        reading = (f"Of the {int(judged.sum())} headline figures published for this site, against the other sites pooled, "
                   f"{int((words == 'better').sum())} {'is' if int((words == 'better').sum()) == 1 else 'are'} better, "
                   f"{int((words == 'similar').sum())} similar and "
                   f"{int((words == 'worse').sum())} worse ({int(words.isin(['higher', 'lower']).sum())} higher or lower where "
                   "neither direction is better)")
        rest = int((~judged).sum())
        reading += (f"; {rest} more {'is' if rest == 1 else 'are'} withheld, {'has' if rest == 1 else 'have'} no data or could not "
                    "be compared." if rest else ".")
    else:
        reading = (f"None of the {len(rows)} headline figures can be compared with the other sites at this site: "
                   f"all are withheld ({mk}), have no data or could not be compared.")
    return Block("This site against the other sites", reading, figure=fig, table=pd.DataFrame(rows),
                 notes=["Compared with every other site pooled (never including this site): the 95% Newcombe interval (method 10) of "
                        "the difference for proportions, Welch's t for means (this site's 95% interval drawn around it). Green up-triangle "
                        "better, amber circle similar, red down-triangle worse; blue right or left triangle higher or lower where "
                        "neither direction is better; the word is written beside each row too. The national figure includes "
                        "this site and is shown for reference."],
                 alt="Dot plot with intervals, one row per headline figure, each point coloured and labelled by its comparison with "
                     "the other sites, with the national figure as a tick. " + reading)
