"""Multi-agency case review sections."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import plots
from ..indicators import swapped_populations, team_variation
from ..instruments import ATTRIBUTION_NAMES, DELAY_REASON_NAMES, DELAY_REASONS, PATHWAY_NAMES, PATHWAYS, PUBLISHED_DELAY_SHARES, group_label
from ._format import Block, direction_text, estimate_text, withheld_cells_note, funnel_text, label_for, p_text, pct


def case_reviews(report) -> Block | None:
    import matplotlib.pyplot as plt

    if not report.has("case_reviews"):
        return None
    cases = report.tables["case_reviews"]
    pub = _published(report)
    m = report.rules.marker
    fig, ax = plt.subplots(figsize=(8, 6))
    plots.transition_heatmap(transition_cells(pub), ax=ax, labels=PATHWAY_NAMES, withheld=m)
    ax.set_title("Actual and ideal pathways of reviewed cases")
    fig.tight_layout()
    imp = report.ind("case_decision_improvable")
    alt = report.ind("case_alternative_available")
    reading = (f"{estimate_text(imp, m)} of pathway decisions could have been improved; the better option was available in "
               f"{estimate_text(alt, m)} of those.")
    ids = ["case_decision_improvable", "case_alternative_available", "case_ideal_less_intensive", "case_weekly_cost_difference",
           "case_care_hours_fell", "case_reablement_suitable"]
    table = report.headline_rows(ids)
    rows = [{"indicator": f"{label_for('case_decision_improvable')}: at {group_label(r['group'].split(':', 1)[1])}",
             "this site (95% CI)": estimate_text(r, m),
             "base": m if pd.isna(r["denominator"]) else report.count(r["denominator"], "case_decision_improvable"),
             "which way is better": direction_text("case_decision_improvable")}
            for r in breakdown_rows(pub, "case_decision_improvable", "decision_point").to_dict("records")]
    notes = [withheld_cells_note(report.rules)] if report.rules.apply else []
    if "team" in cases.columns and "reablement_suitable" in cases.columns and cases["reablement_suitable"].notna().any():
        tv = team_variation(cases)
        teams = tv["teams"]
        if len(teams) >= 2:
            gated = pub[pub.indicator == "case_team_reablement_suitable"].set_index("group")  # the teams as published
            parts = []
            for r in teams.to_dict("records"):
                g = gated.loc[str(r["team"])] if str(r["team"]) in gated.index else None
                # the funnel verdict is shown only beside a published figure
                parts.append(f"{r['team']}: {m}" if g is None or g["suppressed"] else
                             f"{r['team']}: {pct(g['estimate'])} ({funnel_text(r['significance'], 'case_team_reablement_suitable')})")
            notes.append("Reablement suitability by team, against the site's figure: " + "; ".join(parts) +
                         f". Chi-square test across teams: {p_text(tv['chi2']['p_val'])}.")
    return Block("Case reviews", reading, figure=fig, table=pd.concat([table, pd.DataFrame(rows)], ignore_index=True), notes=notes,
                 intro="Multi-agency panels compared the pathway each person took with the one that would have been best.",
                 alt="Heatmap of reviewed cases, actual pathway (rows) against the panel's ideal pathway (columns), each cell with its "
                     f"count ({m} where withheld). " + reading)


def transition_cells(published: pd.DataFrame) -> pd.DataFrame:
    """The actual (rows) by ideal (columns) pathway counts as published (``case_pathway_transition``
    rows after the gate): rounded counts, NaN where withheld; every pathway, least intensive first."""
    cells = pd.DataFrame(np.nan, index=pd.Index(PATHWAYS, name="actual_pathway"), columns=pd.Index(PATHWAYS, name="ideal_pathway"))
    rows = published[(published.indicator == "case_pathway_transition")]
    for r in rows.to_dict("records"):
        actual, ideal = r["group"].split("->", 1)
        if not r["suppressed"] and pd.notna(r["numerator"]):
            cells.loc[actual, ideal] = float(r["numerator"])
    return cells


def breakdown_rows(published: pd.DataFrame, indicator: str, column: str) -> pd.DataFrame:
    """Published rows of ``indicator`` broken down by ``column`` (group ``<column>:<value>``)."""
    return published[(published.indicator == indicator) & published.group.str.startswith(column + ":")]


# -- LGA/Newton 2017: case-review practice findings ---------------------------------------------------


def _published(report) -> pd.DataFrame:
    """The published (disclosed) indicator table of a site or national report."""
    return getattr(report, "published", report.indicators)


def _row(pub: pd.DataFrame, ind: str, group: str = "") -> dict | None:
    m = pub[(pub.indicator == ind) & (pub.group == group)]
    return None if m.empty else m.iloc[0].to_dict()


def _shown(row) -> bool:
    return row is not None and not bool(row.get("suppressed", False)) and pd.notna(row.get("estimate"))


def _case_table(report) -> pd.DataFrame | None:
    tables = getattr(report, "tables", None)
    cases = tables.get("case_reviews") if tables is not None else report.data.get("case_reviews")
    return None if cases is None or cases.empty else cases


def _team_findings(report, pub, cases, site_names) -> tuple[list, list, pd.DataFrame]:
    """Table rows, reading sentences and forest rows for the teams' reablement judgements."""
    rows, sentences, forest = [], [], []
    teams = pub[pub.indicator == "case_team_reablement_suitable"]
    if teams.empty:
        return rows, sentences, pd.DataFrame()
    national = not hasattr(report, "site_id")
    for site_id, site_cases in cases.groupby("site_id", observed=True):
        prefix = f"{site_id}:" if national else ""
        mine = teams[teams.group.str.startswith(prefix)] if prefix else teams
        team_rows = mine[~mine.group.str.contains("|caseload:", regex=False)]
        if len(team_rows) < 2:
            continue
        where = f"{site_names.get(site_id, site_id)}: " if national else ""
        for r in mine.to_dict("records"):
            name = r["group"][len(prefix):]
            label = name.replace("|caseload:", ", cases from ")
            rows.append({"finding": f"{where}{label} judged suitable for reablement", "figure (95% CI)": estimate_text(r),
                         "base": report.count(r["denominator"]) if pd.notna(r["denominator"]) else "[c]",
                         "published (2017)": "70% and 10% in two teams" if "|" not in name else "unchanged when populations were reversed"})
            forest.append({"label": f"{where}{label}", "estimate": r["estimate"], "lower": r["lower"], "upper": r["upper"],
                           "suppressed": r["suppressed"]})
        if not team_rows.apply(_shown, axis=1).all():
            sentences.append(f"{where}[c] some teams' judgements are withheld, so the teams are not compared.")
            continue
        tv = team_variation(site_cases)["test"]
        hi, lo = team_rows.loc[team_rows.estimate.idxmax()], team_rows.loc[team_rows.estimate.idxmin()]
        chance = "more than chance would explain" if tv["p_val"] < 0.05 else "no more than chance would explain"
        sentence = (f"{where}{hi['group'][len(prefix):]} judged {pct(hi['estimate'])} of its cases suitable for reablement, "
                    f"{lo['group'][len(prefix):]} {pct(lo['estimate'])}: a difference {chance} "
                    f"({p_text(tv['p_val'])}, {tv['test']} test)")
        swap = swapped_populations(site_cases)
        caseload_rows = mine[mine.group.str.contains("|caseload:", regex=False)]
        if len(swap) and caseload_rows.apply(_shown, axis=1).all():
            s = swap.iloc[0]
            verdict = {"team": "the difference followed the team, not the population",
                       "population": "the difference followed the population, not the team",
                       "unclear": "too few cases to tell whether it follows the team or the population"}[s["verdict"]]
            sentence += (f"; the same teams also judged each other's populations ({s['caseloads'].replace('|', ', ')}), and "
                         f"{verdict} (the teams compared within each population: {p_text(s['team_p'])}, "
                         "Cochran-Mantel-Haenszel test)")
        sentences.append(sentence + ".")
    return rows, sentences, pd.DataFrame(forest)


def practice_findings(report) -> Block | None:
    """The LGA/Newton 2017 practice findings, each beside its published figure: teams' reablement
    judgements (and whether a difference survives swapping populations), moves from short-term
    medical care to residential care the panel agreed with, improvable decisions whose ideal costs
    less a week, care hours that fell by review interval, and where delays lie (case reviews and
    delayed days) against the published 35% social care / 65% health."""
    import matplotlib.pyplot as plt

    cases = _case_table(report)
    if cases is None:
        return None
    pub = _published(report)
    names = report.data.sites.set_index("site_id")["site_name"].to_dict() if hasattr(report.data, "sites") else {}
    rows, sentences, team_forest = _team_findings(report, pub, cases, names)

    def add(ind, group, finding, published):
        r = _row(pub, ind, group)
        if r is None or not (r["denominator"] > 0 or r.get("suppressed")):
            return None
        rows.append({"finding": finding, "figure (95% CI)": estimate_text(r),
                     "base": report.count(r["denominator"]) if pd.notna(r["denominator"]) else "[c]", "published (2017)": published})
        return r

    should = add("case_residential_should_have", "", "Moves from short-term medical care to residential or nursing care that the panel agreed with",
                 "10%")
    if _shown(should):
        sentences.append(f"Of the people who moved from short-term medical care to long-term residential or nursing care, the panel "
                         f"agreed with {pct(should['estimate'])} of the moves (published: only 10% should have).")
    cheaper = add("case_ideal_cheaper", "", "Improvable decisions whose ideal pathway costs less a week", "almost always")
    ladder = _row(pub, "case_ideal_less_intensive")
    if _shown(cheaper):
        text = f"The ideal pathway costs less a week in {pct(cheaper['estimate'])} of improvable decisions (published: almost always)"
        if _shown(ladder):
            text += f"; it is less intensive in {pct(ladder['estimate'])}, since an intermediate care bed costs more a week than residential care"
        sentences.append(text + ".")
    early = add("case_care_hours_fell", "review_within_14_days", "Care hours fell after a review within 14 days of the package starting",
                "a third")
    later = add("case_care_hours_fell", "review_later", "Care hours fell after a later review", "")
    if _shown(early):
        sentences.append(f"Reviewed within two weeks of starting, {pct(early['estimate'])} of care packages needed fewer hours "
                         f"(published: a third)" + (f", against {pct(later['estimate'])} of those reviewed later." if _shown(later) else "."))
    for reason in DELAY_REASONS:
        add("case_delay_reason", reason, f"Delayed discharges: {DELAY_REASON_NAMES[reason].lower()}", "")
    attributed = {}
    for system in ("social_care", "health"):
        attributed[system] = add("case_delay_attribution", system, f"Delays that lie in {ATTRIBUTION_NAMES[system]} (case reviews)",
                                 f"{pct(PUBLISHED_DELAY_SHARES[system])}")
    flow_sc, flow_nhs, flow_joint = (_row(pub, "flow_delayed_days_share", g) for g in ("social_care", "nhs", "joint"))
    flow_health = None
    if _shown(flow_sc):
        rows.append({"finding": "Delayed days attributed to social care (flow metrics)", "figure (95% CI)": pct(flow_sc["estimate"]),
                     "base": "", "published (2017)": pct(PUBLISHED_DELAY_SHARES["social_care"])})
        if _shown(flow_nhs) and _shown(flow_joint):
            flow_health = flow_nhs["estimate"] + flow_joint["estimate"]
            rows.append({"finding": "Delayed days attributed to the NHS or jointly (flow metrics)", "figure (95% CI)": pct(flow_health),
                         "base": "", "published (2017)": pct(PUBLISHED_DELAY_SHARES["health"])})
    if _shown(attributed.get("social_care")) or _shown(flow_sc):
        parts = []
        if _shown(attributed.get("social_care")):
            parts.append(f"{pct(attributed['social_care']['estimate'])} of the reviewed delays with a reason lie in social care")
        if _shown(flow_sc):
            parts.append(f"{pct(flow_sc['estimate'])} of delayed days are attributed to social care")
        sentences.append("; ".join(parts).capitalize() + " (published: social care 35%, health 65%).")
    if not rows:
        return None
    fig = _practice_figure(pub, team_forest, early, later, attributed.get("social_care"), flow_sc)
    reading = " ".join(sentences) if sentences else "[c] every practice finding is withheld at this site."
    notes = ["Weekly costs are the case's own where the review gives both, otherwise the benefits parameters (never the order of "
             "the pathways). Delay reasons attributed as the 2017 study did: social care = awaiting a care package or a care home; "
             "health = awaiting assessment or intermediate care, or clinical; family choice and other reasons neither.",
             "Delayed days are counts of days, not of people: their shares carry no interval."]
    return Block("Case-review practice findings (2017)", reading, figure=fig, table=pd.DataFrame(rows), notes=notes)


def _practice_figure(pub, team_forest, early, later, case_sc, flow_sc):
    """Teams' judgements; care hours by review interval against a third; social care's share of
    delays against 35%. Withheld figures are not drawn."""
    import matplotlib.pyplot as plt

    panels = []
    if len(team_forest):
        panels.append(("team", max(2.0, 0.38 * len(team_forest) + 1.0)))
    hours = [r for r in ((early, "Reviewed within 14 days"), (later, "Reviewed later")) if r[0] is not None]
    if hours:
        panels.append(("hours", 1.8))
    delays = [(case_sc, "Case reviews: delays with a reason"), (flow_sc, "Flow metrics: delayed days")]
    delays = [d for d in delays if d[0] is not None]
    if delays:
        panels.append(("delays", 1.8))
    if not panels:
        return None
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, sum(h for _, h in panels) + 0.6),
                             gridspec_kw={"height_ratios": [h for _, h in panels]}, squeeze=False)
    for ax, (kind, _) in zip(axes[:, 0], panels):
        if kind == "team":
            plots.forest_plot(team_forest, y="label", ax=ax)
            ax.set_title("Judged suitable for reablement, by team", fontsize=10, loc="left")
        elif kind == "hours":
            d = pd.DataFrame([{"label": lab, **{k: r[k] for k in ("estimate", "lower", "upper", "suppressed")}} for r, lab in hours])
            plots.forest_plot(d, y="label", ax=ax, reference=1 / 3, reference_label="published: a third")
            ax.set_title("Care packages whose hours fell after review", fontsize=10, loc="left")
        else:
            d = pd.DataFrame([{"label": lab, "estimate": r["estimate"], "suppressed": r["suppressed"],
                               "lower": r["lower"] if "Case" in lab else np.nan, "upper": r["upper"] if "Case" in lab else np.nan}
                              for r, lab in delays])
            plots.forest_plot(d, y="label", ax=ax, reference=PUBLISHED_DELAY_SHARES["social_care"], reference_label="published: 35%")
            ax.set_title("Share of delays that lie in social care", fontsize=10, loc="left")
        if kind != "team":
            ax.set_ylim(-0.7, 1.7)
        plots.percent_axis(ax)
    fig.tight_layout()
    return fig
