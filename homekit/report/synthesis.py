"""National synthesis sections: the sites pooled, compared and ranked."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from .. import plots, spc, stats
from ..benefits import BenefitsModel
from ..disclosure import publish_count
from ..indicators import BREAKDOWN_COLUMNS, HEADLINES
from ..instruments import PATHWAY_NAMES, PROFESSION_NAMES, group_label
from ._format import Block, direction_text, estimate_text, withheld_cells_note, funnel_text, p_text, pct, points
from .benefits import national_block
from .cases import breakdown_rows, transition_cells
from .flow import published_flow
from .interface import MIN_PER_PROFESSION, factor_label, matrix_figure, profession_tests, tests_table, TESTS_WORDS
from .tracking import intervention_table


def title(report) -> Block:
    # The disclosure rules once: in the note (the national rules, and the sites' only where they differ).
    return Block(report.params.get("title", "Home Truths: national synthesis"),
                 f"Pooled over every respondent of the {len(report.data.site_ids)} sites included.",
                 notes=[f"Disclosure control: {report.rules_text()}"], level=1)


def coverage(report) -> Block:
    s = report.data.sites
    rows = []
    for w, grp in s.groupby("wave"):
        ids = set(grp.site_id)
        row = {"wave": int(w), "sites": len(grp), "population": f"{int(grp.population.sum()):,}",
               "population 65+": f"{int(grp.population_65plus.sum()):,}", "GPs": f"{int(grp.gp_count.sum()):,}"}
        for inst, lab in _COVERAGE:
            df = report.data.get(inst)
            row[lab] = publish_count(0 if df is None else int(df["site_id"].isin(ids).sum()), report.rules, inst)
        rows.append(row)
    t = pd.DataFrame(rows)
    tot = {"wave": "all", "sites": len(s), "population": f"{int(s.population.sum()):,}",
           "population 65+": f"{int(s.population_65plus.sum()):,}", "GPs": f"{int(s.gp_count.sum()):,}"}
    for inst, lab in _COVERAGE:
        df = report.data.get(inst)
        tot[lab] = publish_count(0 if df is None else len(df), report.rules, inst)
    t = pd.concat([t, pd.DataFrame([tot])], ignore_index=True)
    every = getattr(report, "all_data", report.data).get("gp_survey")
    reading = (f"{len(s)} sites in {s.wave.nunique()} waves, {int(s.population.sum()):,} people and {int(s.gp_count.sum()):,} GPs; "
               f"{tot[_COVERAGE[0][1]]} GP survey responses in each site's latest survey round")
    latest = report.data.get("gp_survey")
    if every is not None and latest is not None and len(every) > len(latest):
        reading += f" ({publish_count(len(every), report.rules, 'gp_survey')} over every round, earlier rounds included)"
    return Block("Coverage", reading + ".", table=t, notes=[_COVERAGE_NOTE, *_gp_response_notes(report)])


_COVERAGE_NOTE = ("Survey responses in the table are those of each site's latest survey round (the GP survey notes below give "
                  "every round); case reviews are every review.")
_COVERAGE = (("gp_survey", "GP responses, latest round"), ("older_people_survey", "older people, latest round"),
             ("professional_survey", "professionals, latest round"), ("case_reviews", "case reviews"))


def _gp_response_notes(report) -> list[str]:
    """The GP survey response rate of every round as the 2013 update put it ("154 surveys
    completed (9% of the GP population across the pilot sites)"), from the national history rows
    as the gate publishes them (the run's national rules)."""
    from .. import disclosure
    from ..indicators import indicator_history
    from ..rounds import period_key

    hist = indicator_history(getattr(report, "all_data", report.data), level="national")
    hist = hist[hist.indicator == "gp_response_rate"]
    pub = disclosure.disclose_indicators(hist, report.rules)
    pub = pub[~pub.suppressed.astype(bool) & pub.estimate.notna()]
    out = []
    for period in sorted(set(pub["period"]), key=period_key):
        rows = pub[pub.period == period]
        waves = rows[rows.group.str.startswith("wave:")]
        for r in (waves if len(waves) else rows).to_dict("records"):
            where = f"wave {r['group'].split(':', 1)[1]}" if r["group"].startswith("wave:") else "all sites"
            out.append(f"GP survey response, {period}, {where}: {int(r['numerator']):,} GPs, {pct(r['estimate'])} of the "
                       f"{int(r['denominator']):,} GPs of the sites that ran the survey.")
    if out:
        out.append("Published (2013 update, wave 1): 154 GPs, 9% of the GP population across the pilot sites. "
                   "Counts here are as published by disclosure control.")
    return out


def _sites_with_data(report, ind, group="") -> int:
    """How many sites have a figure for ``ind`` in their published files, withheld or not (a base above 0)."""
    s = report.site_indicators
    if s is None or s.empty:
        return 0
    m = s[(s.indicator == ind) & (s.group == group)]
    return int((m.suppressed.astype(bool) | (m.denominator.fillna(0) > 0)).sum())


#: Plain words for the methods of the headline table (the method names stay in the method note).
POOLING_WORDS = ("Pooled: every respondent of every site together, the national figure as published. Random effects: an "
                 "average of the sites' own figures that allows each site to differ (a site with more respondents counts "
                 "for more, but no site dominates); it can only use sites whose own figure is published, so where a site's "
                 "figure is withheld the two columns cover different sites. Variation between sites: how much of the spread "
                 "between the sites' figures is more than chance would give (0% none, over 50% large).")


def headlines(report) -> Block | None:
    rows, partial = [], []
    for ind, (inst, desc, published, published_text) in HEADLINES.items():
        if ind in ("prof_relationship_score", "prof_trust"):
            continue
        r = report.nat(ind)
        if r is None:
            continue
        site = report.site_counts(ind)
        n_all = max(_sites_with_data(report, ind), len(site))
        re_ = stats.pool_proportions(site["numerator"], site["denominator"]).iloc[0] if len(site) >= 2 else None
        if re_ is not None and len(site) < n_all:
            partial.append(f"{_lower_first(desc)} (random effects over {len(site)} of the {n_all} sites)")
        rows.append({"indicator": desc, "which way is better": direction_text(ind), "pooled, all sites (95% CI)": estimate_text(r),
                     "base": "[c]" if pd.isna(r["denominator"]) else f"{int(r['denominator']):,}",
                     "sites with data": n_all,
                     "random effects, published sites (95% CI)": "" if re_ is None else f"{pct(re_['estimate'])} ({pct(re_['lower'])} to {pct(re_['upper'])})",
                     "sites published": len(site),
                     "variation between sites beyond chance": "" if re_ is None else f"{100 * re_['i2']:.0f}%",
                     "published": published_text})
    if not rows:  # no headline instrument (e.g. a Stage 2 diagnostic only)
        return None
    t = pd.DataFrame(rows)
    r = report.nat("gp_relationship_poor")
    reading = (f"Pooled over respondents, {estimate_text(r)} of GPs rate the relationship with social care poor "
               f"(published: {HEADLINES['gp_relationship_poor'][3]}).")
    if partial:
        reading += (" Where some sites' figures are withheld, the random-effects figure covers only the published sites and can "
                    "differ from the pooled one: " + "; ".join(partial) + ".")
    return Block("Headline indicators", reading, table=t,
                 intro="Pooled over every respondent, beside the random-effects estimate, the variation between sites and the "
                       "published figure.",
                 notes=[POOLING_WORDS,
                        "Methods: pooled with a Wilson interval; random effects by the DerSimonian-Laird method on the logit scale; "
                        "variation between sites is I\u00b2."])


def forest_plots(report) -> Block | None:
    import matplotlib.pyplot as plt

    ids = report.params.get("forest_indicators") or ["gp_relationship_poor", "gp_trust_asc", "gp_trust_discharge_team",
                                                   "gp_value_closer_links", "gp_unaware_telecare", "case_decision_improvable"]
    ids = [i for i in ids if report.nat(i) is not None]
    if not ids:
        return None
    ncol = 2
    nrow = int(np.ceil(len(ids) / ncol))
    per_row = max(4.2, 0.16 * len(report.data.site_ids) + 1.5)  # room for every site's label
    fig, axes = plt.subplots(nrow, ncol, figsize=(12, per_row * nrow), squeeze=False)
    names = report.data.sites.set_index("site_id")["site_name"].to_dict()
    for ax, ind in zip(axes.flat, ids):
        d = report.site_indicators[(report.site_indicators.indicator == ind) & (report.site_indicators.group == "")].copy()
        d["label"] = d["site_id"].map(names)
        counts = report.site_counts(ind)
        re_ = stats.pool_proportions(counts["numerator"], counts["denominator"]).iloc[0]
        published = HEADLINES[ind][2]
        plots.forest_plot(d, y="label", ax=ax, reference=published, reference_label="published seed figure" if published else "",
                          pooled={"estimate": re_["estimate"], "lower": re_["lower"], "upper": re_["upper"], "label": "random effects"})
        plots.percent_axis(ax)
        ax.set_title(_panel_title(ind), fontsize=9)
    for ax in list(axes.flat)[len(ids):]:
        ax.axis("off")
    fig.tight_layout()
    return Block("Sites compared: forest plots", "Each site's estimate with its 95% interval; the diamond is the random-effects estimate over the "
                 "sites drawn and the dashed line the published seed figure. Sites whose figure is withheld are not drawn.", figure=fig)


def funnel_plots(report) -> Block | None:
    import matplotlib.pyplot as plt

    names = report.data.sites.set_index("site_id")["site_name"].to_dict()
    panels, hidden = [], []
    for ind in [i for i in (report.params.get("forest_indicators") or ["gp_relationship_poor"]) if report.nat(i) is not None]:
        d = report.site_counts(ind).copy()
        pub = report.site_indicators[(report.site_indicators.indicator == ind) & (report.site_indicators.group == "")]
        d = d[d.site_id.isin(set(pub.loc[~pub.suppressed, "site_id"]))]
        if len(d) >= 3:
            panels.append((ind, d.assign(site_id=d["site_id"].map(names))))
        else:
            hidden.append(HEADLINES[ind][1])
        if len(panels) == 4:
            break
    if not panels and not hidden:
        return None
    ncol = 2
    nrow = max(1, int(np.ceil(len(panels) / ncol)))
    fig, axes = plt.subplots(nrow, ncol, figsize=(12, 5.4 * nrow), squeeze=False)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    # Lay the figure out first (titles and axis labels known), so the site labels placed by
    # funnel_plot keep their spacing in the final figure.
    for ax, (ind, d) in zip(axes.flat, panels):
        ax.set_title(_panel_title(ind), fontsize=9)
        ax.set_xlabel("denominator (respondents)")
        ax.set_ylabel("%")
        ax.set_ylim(0, 100)
        ax.set_xlim(0, 1000)
    fig.tight_layout()
    outside = []
    for ax, (ind, d) in zip(axes.flat, panels):
        baseline = report.nat(ind)["estimate"]
        plots.funnel_plot(d, ax=ax, baseline=baseline, label_outside=True)
        sig = stats.funnel_significance(d, numerator="numerator", denominator="denominator", baseline=baseline)
        for site, flag in zip(d["site_id"], sig["significance"]):
            if str(flag).endswith("(0.001)"):
                outside.append(f"{site} ({funnel_text(flag, ind).split(':')[0]} on {_lower_first(HEADLINES[ind][1])})")
    n_points = sum(len(d) for _, d in panels)
    notes = ["Limits are drawn around the national pooled figure; sites whose figure is withheld at site level are not drawn. "
             "Only sites outside the 95% limits are named on the chart; the forest plots above name every site."]
    if hidden:
        notes.append(f"Not drawn (fewer than three sites published after disclosure control): {'; '.join(hidden)}.")
    if not panels:
        return Block("Funnel plots", "No funnel plot can be drawn: fewer than three sites are published for every indicator.", notes=notes)
    one = len(outside) == 1
    reading = (f"{len(outside)} of the {n_points} site figures drawn {'lies' if one else 'lie'} outside the dotted 99.8% limits, that is, "
               f"{'differs' if one else 'differ'} from the national figure by more than chance would explain"
               + (f": {'; '.join(outside)}." if outside else "."))
    return Block("Funnel plots", reading, figure=fig, notes=notes,
                 alt="Funnel plots, one per headline indicator: each site's figure against its number of respondents, with 95% and "
                     "99.8% limits around the national figure. " + reading)


def waves(report) -> Block | None:
    pub = report.published
    h = pub[pub.indicator.str.startswith("gp_") & pub.group.str.startswith("wave:")]  # published rows (group wave:<n>)
    if h.empty:
        return None
    rows = []
    for ind in [i for i in HEADLINES if i.startswith("gp_")]:
        row = {"indicator": HEADLINES[ind][1], "which way is better": direction_text(ind)}
        for r in h[h.indicator == ind].to_dict("records"):
            row[f"wave {r['group'].split(':', 1)[1]}"] = estimate_text(r)
        rows.append(row)
    return Block("Waves compared", "Headline shares by programme wave, pooled over each wave's respondents.", table=pd.DataFrame(rows))


def change(report) -> Block | None:
    # the change computed from the pooled rounds as published (gated with their sites behind them)
    ch = report.changes
    ch = ch[ch.indicator.isin([i for i in HEADLINES if i not in ("prof_relationship_score", "prof_trust")]) & (ch.group == "")]
    if ch.empty:
        return Block("Change between survey rounds", "Every site was surveyed once: no change can be estimated yet.")
    rows = []
    for r in ch.to_dict("records"):
        ci = "" if pd.isna(r["lower"]) else f"{points(r['difference'])} points ({points(r['lower'])} to {points(r['upper'])})"
        rows.append({"indicator": HEADLINES[r["indicator"]][1], "which way is better": direction_text(r["indicator"]),
                     "from": f"{pct(r['from_estimate'])} ({r['from_period']})",
                     "to": f"{pct(r['to_estimate'])} ({r['to_period']})", "change (95% CI)": ci,
                     "test of no change": "" if pd.isna(r["p_value"]) else p_text(r["p_value"]),
                     "verdict": str(r["verdict"]).replace("_", " ")})
    return Block("Change between survey rounds", "Each site's survey round against its next one, pooled over the sites surveyed in both "
                 "(the same sites at both times).", table=pd.DataFrame(rows),
                 notes=["Newcombe hybrid score interval (method 10) for the difference of proportions; the p-value inverts that interval. "
                        "Verdicts use each indicator's polarity; 'increased'/'decreased' where no direction is better."])


def matrices(report) -> Block | None:
    ind = report.published
    rel = ind[ind.indicator == "prof_relationship_score"]
    if rel.empty or rel.estimate.isna().all():
        return None
    fig = matrix_figure(ind)
    low = rel.dropna(subset=["estimate"]).sort_values("estimate").head(3)
    reading = "Lowest relationships: " + "; ".join(f"{group_label(g)} {e:.1f}" for g, e in zip(low.group, low.estimate)) + " (scale 1 to 5)."
    from ..indicators import asymmetry

    asy = asymmetry(report.data["professional_survey"])
    # Groups of professionals held to the reporting threshold on both sides.
    q = report.rules.professional.min_group_size if report.rules.apply else 0
    asy = asy[(asy.measure == "relationship") & (asy.n_a >= q) & (asy.n_b >= q)]
    # only pairs whose two scores are published: a score the gate withheld (the matrix's [c]) is
    # not shown here either, nor its difference with the other (which would give it back)
    shown = set(rel.dropna(subset=["estimate"])["group"].astype(str))
    both = [f"{a}->{b}" in shown and f"{b}->{a}" in shown for a, b in zip(asy["a"], asy["b"])]
    left_out = len(asy) - sum(both)
    asy = asy[both]
    table = pd.DataFrame([{"professions (A and B)": f"{PROFESSION_NAMES[r['a']]} and {PROFESSION_NAMES[r['b']]}",
                           "score A gives B": f"{r['a_rates_b']:.2f}", "score B gives A": f"{r['b_rates_a']:.2f}",
                           "difference (95% CI)": f"{r['difference']:+.2f} ({r['lower']:+.2f} to {r['upper']:+.2f})",
                           "test of no difference": p_text(r["p_val"]), "raters (A, B)": f"{int(r['n_a'])}, {int(r['n_b'])}"}
                          for r in asy.to_dict("records")])
    return Block("Trust and relationship matrices", reading, figure=fig, table=table,
                 notes=["Asymmetry: mean score A gives B minus B gives A, Welch 95% interval; one test per pair of professions, "
                        f"{len(table)} tests, not corrected for multiplicity (read the intervals). Each cell shows its number, so the "
                        "colour is never the only cue."]
                 + ([f"{left_out} pair(s) of professions with a score withheld ([c] in the matrix) are not in the table."] if left_out else []),
                 alt="Two heatmaps, professions rating professions: relationship score and % trusting. " + reading)


def factors(report) -> Block | None:
    prof = report.data.get("professional_survey")
    if prof is None or prof.empty:
        return None
    omnibus, left_out = profession_tests(prof)
    domains = ["prof_admission_factor_frequent", "prof_delay_factor_frequent", "prof_wrong_pathway_factor_frequent"]
    fs = report.published[report.published.indicator.isin(domains) & ~report.published.suppressed]  # published figures only
    top = fs.sort_values("estimate", ascending=False).head(5)
    reading = "Most frequently cited overall: " + "; ".join(
        f"{factor_label(i.removeprefix('prof_').removesuffix('_frequent') + '_' + g)} ({pct(e)})"
        for i, g, e in zip(top.indicator, top.group, top.estimate)) + "."
    notes = [f"Professions are compared where each has at least {MIN_PER_PROFESSION} respondents"
             + (f" (left out: {', '.join(PROFESSION_NAMES[p] for p in left_out)})" if left_out else "")
             + f". {TESTS_WORDS} Method: Kruskal-Wallis test per factor; p-values adjusted with Holm's method for the "
             f"{len(omnibus)} factors tested."]
    if omnibus.empty:
        return Block("Interface survey factors", reading, notes=notes)
    sig = omnibus[omnibus.p_holm < 0.05]
    reading += (f" {len(sig)} of {len(omnibus)} factors differ between professions by more than chance would explain, allowing for "
                f"the {len(omnibus)} factors tested.")
    return Block("Interface survey factors", reading, table=tests_table(omnibus), notes=notes)


def case_reviews(report) -> Block | None:
    import matplotlib.pyplot as plt

    cases = report.data.get("case_reviews")
    if cases is None or cases.empty:
        return None
    pub = report.published
    fig, ax = plt.subplots(figsize=(8, 6))
    # drawn from the published rows (case_pathway_transition): rounded counts, withheld cells blank
    plots.transition_heatmap(transition_cells(pub), ax=ax, labels=PATHWAY_NAMES, withheld=report.rules.marker if report.rules.apply else None)
    ax.set_title("Actual and ideal pathways, all reviewed cases")
    fig.tight_layout()
    imp, alt = report.nat("case_decision_improvable"), report.nat("case_alternative_available")
    reading = (f"{estimate_text(imp)} of decisions could be improved (published 45%); the alternative was available in "
               f"{estimate_text(alt)} (published: over 90%).")
    by = pd.concat([breakdown_rows(pub, ind, column) for column in BREAKDOWN_COLUMNS
                    for ind in ("case_decision_improvable", "case_alternative_available")])
    table = pd.DataFrame([{"breakdown": group_label(r["group"].split(":", 1)[1]).capitalize(), "indicator": HEADLINES[r["indicator"]][1],
                           "which way is better": direction_text(r["indicator"]), "estimate (95% CI)": estimate_text(r),
                           "base": report.rules.marker if pd.isna(r["denominator"]) else f"{int(r['denominator']):,}"}
                          for r in by.to_dict("records")])
    return Block("Case reviews, pooled", reading, figure=fig, table=table,
                 notes=[withheld_cells_note(report.rules)] if report.rules.apply else [],
                 alt="Heatmap of all reviewed cases, actual pathway against the panel's ideal pathway, each cell with its count. " + reading)


def ranking(report) -> Block | None:
    import matplotlib.pyplot as plt

    ind = report.params.get("rank_indicator", "gp_relationship_poor")
    d = report.site_indicators[(report.site_indicators.indicator == ind) & (report.site_indicators.group == "") & ~report.site_indicators.suppressed]
    if d.empty:
        return None
    d = d.sort_values("estimate", ascending=False).copy()
    d["label"] = d["site_id"].map(report.data.sites.set_index("site_id")["site_name"])
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(d) + 1.5))
    nat = report.nat(ind)
    plots.forest_plot(d, y="label", ax=ax, reference=nat["estimate"] if nat else None, reference_label="national")
    plots.percent_axis(ax)
    ax.set_title(textwrap.fill(f"Sites ranked: {HEADLINES.get(ind, (None, ind))[1]} ({direction_text(ind)})", 70))
    fig.tight_layout()
    reading = "Rank positions alone should not be read as a league table."
    if nat is not None and pd.notna(nat["estimate"]):
        k = int(((d["lower"] <= nat["estimate"]) & (d["upper"] >= nat["estimate"])).sum())
        reading = (f"{k} of the {len(d)} sites' 95% intervals include the national figure ({pct(nat['estimate'])}): those sites cannot be "
                   "told apart from the national figure, so their rank could change with another sample. " + reading)
    return Block("Sites ranked, with their intervals", intro="Ranks carry uncertainty: read them with their intervals.", reading=reading,
                 figure=fig)


def interventions(report) -> Block | None:
    fm, iv = report.data.get("flow_metrics"), report.data.get("interventions")
    if fm is None or iv is None or iv.empty:
        return None
    table, _ = spc.track_interventions(published_flow(fm, report.site_rules), iv)
    names = report.data.sites.set_index("site_id")["site_name"]
    shown = intervention_table(table, names)
    n_imp = int((table.verdict == "special_cause_improvement").sum())
    return Block("Interventions tracked", f"{n_imp} of {len(table)} interventions show special cause improvement in their target metric.",
                 table=shown)


def benefits(report) -> Block | None:
    if not report.benefits_file:
        return None
    model = BenefitsModel.from_yaml(report.benefits_file)
    return national_block(model, report.data, report.site_rules, published_sites=report.site_indicators)


def _panel_title(ind: str) -> str:
    """A chart panel's title: the indicator and which way is better, wrapped to fit a half-width panel."""
    return textwrap.fill(f"{HEADLINES[ind][1]} ({direction_text(ind)})", 60)


def _lower_first(label: str) -> str:
    """A label inside a sentence: "Older people ..." -> "older people ...", but "GPs ..." stays."""
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]
