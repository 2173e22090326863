"""Interface survey of professionals: factors behind poorer outcomes, trust and relationship matrices."""

from __future__ import annotations

import pandas as pd

from .. import plots
from ..indicators import factor_tests
from ..instruments import PROFESSION_NAMES
from ._format import Block, pct


def matrix_figure(indicators: pd.DataFrame):
    """Relationship and trust heatmaps (rater x ratee) side by side."""
    import matplotlib.pyplot as plt

    rel = indicators[indicators.indicator == "prof_relationship_score"]
    tr = indicators[indicators.indicator == "prof_trust"].assign(estimate=lambda d: d["estimate"] * 100)
    fig, axes = plt.subplots(1, 2, figsize=(13, 5))
    plots.matrix_heatmap(rel, ax=axes[0], vmin=1, vmax=5, labels=PROFESSION_NAMES)
    axes[0].set_title("Relationship score (1 poor - 5 strong)")
    plots.matrix_heatmap(tr, ax=axes[1], vmin=0, vmax=100, fmt=".0f", labels=PROFESSION_NAMES)
    axes[1].set_title("% trusting the other profession")
    fig.tight_layout()
    return fig


def interface_factors(report) -> Block | None:
    import matplotlib.pyplot as plt

    if not report.has("professional_survey"):
        return None
    prof = report.tables["professional_survey"]
    domains = [("prof_admission_factor_frequent", "Unnecessary admissions"), ("prof_delay_factor_frequent", "Delayed discharges"),
               ("prof_wrong_pathway_factor_frequent", "Wrong-pathway discharges")]
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.6))
    for ax, (ind, title) in zip(axes, domains):
        d = report.indicators[report.indicators.indicator == ind].copy()
        d["label"] = d["group"].str.replace("_", " ")
        d = d.sort_values("estimate", ascending=True, na_position="first")
        plots.forest_plot(d, y="label", ax=ax)
        hidden = d.loc[d.suppressed | d.estimate.isna(), "label"].tolist()
        ax.set_xlim(0, 100)
        ax.set_title(title + (f" ([c]: {len(hidden)} hidden)" if hidden else ""), fontsize=10)
        ax.set_xlabel("% frequently or very frequently")
    fig.suptitle("What drives poorer outcomes at the interface: factors cited frequently")
    fig.tight_layout()
    site_f = report.indicators[report.indicators.indicator.str.endswith("_factor_frequent") & ~report.indicators.suppressed]
    top = site_f.sort_values("estimate", ascending=False).head(1)
    reading = ("Most often cited: " + top["group"].iloc[0].replace("_", " ") + f" ({pct(top['estimate'].iloc[0])} frequently or very frequently)."
               if len(top) else "[c] too few answers to rank the factors.")
    # Tests only across professions with enough respondents to be reported (the group threshold).
    q = report.rules.professional.min_group_size if report.rules.apply else 0
    sizes = prof["profession"].astype(str).value_counts()
    prof = prof[prof["profession"].astype(str).isin(sizes[sizes >= q].index)]
    omnibus, _ = factor_tests(prof) if prof["profession"].nunique() >= 2 else (pd.DataFrame(), None)
    notes = ["Breakdowns by profession are in the national report, where enough professionals answered."]
    if len(omnibus):
        sig = omnibus[omnibus.p_val < 0.05]
        notes.append(f"Kruskal-Wallis across professions at this site: {len(sig)} of {len(omnibus)} factors differ at p < 0.05.")
    return Block("Interface survey: what drives admissions, delays and wrong pathways", reading, figure=fig, notes=notes)


def matrices(report) -> Block | None:
    if not report.has("professional_survey"):
        return None
    ind = report.indicators
    rel = ind[ind.indicator == "prof_relationship_score"]
    tr = ind[ind.indicator == "prof_trust"].assign(estimate=lambda d: d["estimate"] * 100)
    if (rel.suppressed | rel.estimate.isna()).all() and (tr.suppressed | tr.estimate.isna()).all():
        return Block("Trust and relationship matrices", "[c]: too few raters in each profession at this site to show any cell; "
                     "see the national report for the matrices.")
    fig = matrix_figure(ind)
    vis = rel[~rel.suppressed & rel.estimate.notna()]
    reading = ("Lowest relationship: " + vis.sort_values("estimate").iloc[0]["group"].replace("->", " rating ") +
               f" ({vis.sort_values('estimate').iloc[0]['estimate']:.1f})." if len(vis) else "[c] too few ratings to show.")
    return Block("Trust and relationship matrices", reading, figure=fig,
                 notes=["Rows rate columns; respondents do not rate their own profession; [c] marks too few raters."])
