"""Interface survey of professionals: factors behind poorer outcomes, trust and relationship matrices."""

from __future__ import annotations

import pandas as pd

from .. import plots
from ..indicators import factor_tests
from ..instruments import FACTOR_NAMES, PROFESSION_NAMES, group_label
from ._format import Block, has_value, p_text, pct

#: Professions are compared with each other only where each has at least this many respondents
#: (nationally, or at a large site); smaller groups give tests too weak to read and are left out.
MIN_PER_PROFESSION = 20


def profession_tests(prof: pd.DataFrame, minimum: int = MIN_PER_PROFESSION) -> tuple[pd.DataFrame, list[str]]:
    """Kruskal-Wallis of each factor across the professions with at least ``minimum`` respondents,
    with Holm's correction across the factors tested (``p_holm``); and the professions left out."""
    from statsmodels.stats.multitest import multipletests

    sizes = prof["profession"].astype(str).value_counts()
    kept = [p for p in sizes.index if sizes[p] >= minimum]
    left_out = [p for p in sizes.index if sizes[p] < minimum and sizes[p] > 0]
    if len(kept) < 2:
        return pd.DataFrame(columns=["item", "h", "ddof1", "p_val", "n", "p_holm"]), left_out
    omnibus, _ = factor_tests(prof[prof["profession"].astype(str).isin(kept)])
    if len(omnibus):
        omnibus["p_holm"] = multipletests(omnibus["p_val"], method="holm")[1]
    return omnibus, left_out


def factor_label(item: str) -> str:
    """A factor column (``admission_factor_risk_aversion``) as its domain and reader-facing name."""
    domain, factor = item.split("_factor_", 1)
    what = {"admission": "admissions", "delay": "delays", "wrong_pathway": "wrong pathways"}[domain]
    return f"{FACTOR_NAMES.get(factor, factor)} ({what})"


def tests_table(omnibus: pd.DataFrame) -> pd.DataFrame:
    """Reader-facing table of the between-profession tests."""
    return pd.DataFrame([{"factor": factor_label(r["item"]), "professionals": f"{int(r['n']):,}",
                          "Kruskal-Wallis H": f"{r['h']:.1f}", "professions compared": int(r["ddof1"]) + 1,
                          "p (Holm-adjusted)": p_text(r["p_holm"]),
                          "differs between professions": "yes" if r["p_holm"] < 0.05 else "no"}
                         for r in omnibus.sort_values("p_holm").to_dict("records")])


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


DOMAINS = [("prof_admission_factor_frequent", "Unnecessary admissions"), ("prof_delay_factor_frequent", "Delayed discharges"),
           ("prof_wrong_pathway_factor_frequent", "Wrong-pathway discharges")]


def interface_factors(report) -> Block | None:
    import matplotlib.pyplot as plt

    if not report.has("professional_survey"):
        return None
    m = report.rules.marker
    prof = report.tables["professional_survey"]
    ind = report.indicators
    panels = []
    for i, title in DOMAINS:
        d = ind[ind.indicator == i].copy()
        if any(has_value(r) for r in d.to_dict("records")):
            d["label"] = [FACTOR_NAMES.get(g, group_label(g)) for g in d["group"]]
            panels.append((d.sort_values("estimate", ascending=True, na_position="first"), title))
    fig = None
    if panels:
        fig, axes = plt.subplots(1, len(panels), figsize=(4.8 * len(panels), 3.8), squeeze=False)
        for ax, (d, title) in zip(axes[0], panels):
            plots.forest_plot(d, y="label", ax=ax, withheld=m)
            ax.set_xlim(0, 100)
            ax.set_title(title, fontsize=10)
            ax.set_xlabel("% frequently or very frequently")
        fig.suptitle("What drives poorer outcomes at the interface: factors cited frequently")
        fig.tight_layout()
    site_f = ind[ind.indicator.isin([i for i, _ in DOMAINS]) & ~ind.suppressed & ind.estimate.notna()]
    top = site_f.sort_values("estimate", ascending=False).head(1)
    if len(top):
        domain = dict(DOMAINS)[top["indicator"].iloc[0]].lower()
        reading = (f"Most often cited: {FACTOR_NAMES.get(top['group'].iloc[0], top['group'].iloc[0]).lower()} behind {domain} "
                   f"({pct(top['estimate'].iloc[0])} of professionals say frequently or very frequently).")
    else:
        reading = f"Every factor is withheld ({m}) at this site: too few professionals answered to rank them."
    omnibus, left_out = profession_tests(prof)
    notes = []
    if len(omnibus):
        sig = omnibus[omnibus.p_holm < 0.05]
        notes.append(f"Between professions with at least {MIN_PER_PROFESSION} respondents each "
                     f"({', '.join(PROFESSION_NAMES[p] for p in prof['profession'].astype(str).value_counts().index if p not in left_out)}): "
                     f"{len(sig)} of {len(omnibus)} factors differ (Kruskal-Wallis, p < 0.05 after Holm's correction for "
                     f"{len(omnibus)} tests).")
    else:
        notes.append(f"Professions are compared only where at least two professions have {MIN_PER_PROFESSION} or more respondents each; "
                     "at this site none are compared. The national report compares them over all sites.")
    return Block("Interface survey: what drives admissions, delays and wrong pathways", reading, figure=fig, notes=notes,
                 intro="What professionals say drives unnecessary admissions, delayed discharges and discharges through the wrong pathway.",
                 alt="Dot plots with intervals, one per domain, one row per factor: the share of professionals citing it frequently. " + reading)


def matrices(report) -> Block | None:
    if not report.has("professional_survey"):
        return None
    m = report.rules.marker
    ind = report.indicators
    rel = ind[ind.indicator == "prof_relationship_score"]
    tr = ind[ind.indicator == "prof_trust"]
    if (rel.suppressed | rel.estimate.isna()).all() and (tr.suppressed | tr.estimate.isna()).all():
        return Block("Trust and relationship matrices", f"Withheld ({m}): too few raters in each profession at this site to show any "
                     "cell; see the national report for the matrices.")
    fig = matrix_figure(ind)
    vis = rel[~rel.suppressed & rel.estimate.notna()].sort_values("estimate")
    reading = (f"Lowest relationship: {group_label(vis.iloc[0]['group'])} ({vis.iloc[0]['estimate']:.1f} on a scale of 1 to 5)."
               if len(vis) else f"Relationship scores withheld ({m}); trust shown where enough raters answered.")
    return Block("Trust and relationship matrices", reading, figure=fig,
                 notes=[f"Rows rate columns; respondents do not rate their own profession; {m} marks too few raters. "
                        "Each cell shows its number, so the colour is never the only cue."],
                 alt="Two heatmaps, professions rating professions: relationship score and % trusting. " + reading)
