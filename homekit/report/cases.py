"""Multi-agency case review sections."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..disclosure import disclose_counts, disclose_indicators
from ..indicators import team_variation, transition_table
from ..instruments import PATHWAY_NAMES, group_label
from ._format import Block, direction_text, estimate_text, label_for, p_text, pct


def case_reviews(report) -> Block | None:
    import matplotlib.pyplot as plt
    import seaborn as sns

    if not report.has("case_reviews"):
        return None
    cases = report.tables["case_reviews"]
    t = transition_table(cases)
    shown = disclose_counts(t.reset_index(), report.rules, columns=list(t.columns)).set_index("actual_pathway")
    # colours drawn from the published (rounded) counts, never the exact ones
    numeric = pd.DataFrame(report.rules.round(t.to_numpy(float)), index=t.index, columns=t.columns).where(shown != report.rules.marker)
    fig, ax = plt.subplots(figsize=(8, 6))
    sns.heatmap(numeric, annot=shown.to_numpy(), fmt="", cmap="Blues", ax=ax, linewidths=0.5, cbar_kws={"label": "cases"})
    for (i, j) in zip(*np.nonzero((shown == report.rules.marker).to_numpy())):
        ax.text(j + 0.5, i + 0.5, report.rules.marker, ha="center", va="center", fontsize=9, color="#444444")
    ax.set_xticklabels([PATHWAY_NAMES.get(c, c) for c in t.columns], rotation=35, ha="right")
    ax.set_yticklabels([PATHWAY_NAMES.get(c, c) for c in t.index], rotation=0)
    ax.set_xlabel("ideal pathway (panel)")
    ax.set_ylabel("actual pathway")
    ax.set_title("Actual and ideal pathways of reviewed cases")
    fig.tight_layout()
    imp = report.ind("case_decision_improvable")
    alt = report.ind("case_alternative_available")
    m = report.rules.marker
    reading = (f"{estimate_text(imp, m)} of pathway decisions could have been improved; the better option was available in "
               f"{estimate_text(alt, m)} of those.")
    ids = ["case_decision_improvable", "case_alternative_available", "case_ideal_less_intensive", "case_weekly_cost_difference",
           "case_care_hours_fell", "case_reablement_suitable"]
    table = report.headline_rows(ids)
    # The breakdown is gated together with the site's own rows: decision points add up to the site.
    by_dp = _gated_breakdown(report, compute_indicators_by(cases, "decision_point", report.site_id), "decision_point")
    rows = [{"indicator": f"{label_for('case_decision_improvable')}: at {group_label(r['group'].split(':', 1)[1])}",
             "this site (95% CI)": estimate_text(r, m),
             "base": m if pd.isna(r["denominator"]) else report.count(r["denominator"], "case_decision_improvable"),
             "which way is better": direction_text("case_decision_improvable")}
            for r in by_dp[by_dp.indicator == "case_decision_improvable"].to_dict("records")]
    notes = []
    if "team" in cases.columns and "reablement_suitable" in cases.columns and cases["reablement_suitable"].notna().any():
        tv = team_variation(cases)
        teams = tv["teams"]
        if len(teams) >= 2:
            rows_t = teams.assign(site_id=report.site_id, indicator="case_team_reablement_suitable", group=teams["team"].astype(str),
                                  method="Wilson")
            gated = _gated_breakdown(report, rows_t[["site_id", "indicator", "group", "numerator", "denominator", "estimate",
                                                     "lower", "upper", "method"]], None).set_index("group")
            parts = []
            for r in teams.to_dict("records"):
                g = gated.loc[str(r["team"])]
                # the funnel verdict is shown only beside a published figure
                parts.append(f"{r['team']}: {m}" if g["suppressed"] else f"{r['team']}: {pct(g['estimate'])} ({str(r['significance']).lower()})")
            notes.append("Reablement suitability by team, against the site's figure: " + "; ".join(parts) +
                         f". Chi-square test across teams: {p_text(tv['chi2']['p_val'])}.")
    return Block("Case reviews", reading, figure=fig, table=pd.concat([table, pd.DataFrame(rows)], ignore_index=True), notes=notes,
                 intro="Multi-agency panels compared the pathway each person took with the one that would have been best.",
                 alt="Heatmap of reviewed cases, actual pathway (rows) against the panel's ideal pathway (columns), each cell with its "
                     f"count ({m} where withheld). " + reading)


def _gated_breakdown(report, rows: pd.DataFrame, column: str | None) -> pd.DataFrame:
    """Breakdown rows through the gate together with the site's own rows (a linked table)."""
    rows = rows.copy()
    if column is not None:
        rows["group"] = column + ":" + rows[column].astype(str)
        rows = rows.drop(columns=column)
    site = report.raw_indicators[report.raw_indicators.indicator.isin(set(rows.indicator) | {"case_reablement_suitable"})
                                 & (report.raw_indicators.group == "")]
    both = pd.concat([site, rows], ignore_index=True)
    gated = disclose_indicators(both, report.rules)
    return gated.iloc[len(site):].reset_index(drop=True)


def compute_indicators_by(cases: pd.DataFrame, column: str, site_id: str) -> pd.DataFrame:
    from ..indicators import case_indicators

    out = case_indicators(cases, by=[column])
    out.insert(0, "site_id", site_id)
    out["suppressed"] = False
    return out
