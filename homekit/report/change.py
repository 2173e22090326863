"""Change over survey rounds and comparisons in words: the director's summary, what changed since
the last survey, and the national view of rounds (contract, second release).

Every number here is a published one: the site's disclosed rows (``report.indicators``), its
disclosed history (``report.history``) and the change computed from that history
(``report.changes``), the published national figures (``report.national_published``), and the
range of the sites' published figures (``report.spread``). The national report reads its own
published history (``report.published_history``) and the sites' published ``history.csv``
(``report.site_history``).
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from .. import plots, stats
from ..indicators import HEADLINES
from ..instruments import INDICATORS, INSTRUMENTS
from ..rounds import period_key
from ._format import Block, direction_text, estimate_text, label_for, pct, points

__all__ = ["summary", "what_changed", "headlines_over_rounds", "gp_trust_two_instruments", "SUMMARY_ROWS"]

#: The rows of the director's summary: every headline (the interface survey's between GPs and
#: adult social care), then the flow figures with an England value.
SUMMARY_ROWS = tuple(
    [(i, "") for i in HEADLINES if not i.startswith("prof_")]
    + [("prof_trust", "gp->asc"), ("prof_trust", "asc->gp"), ("prof_relationship_score", "gp->asc"), ("prof_relationship_score", "asc->gp")]
    + [("flow_care_home_admissions_rate", ""), ("flow_reablement_at_home_91days", ""), ("flow_delayed_days_share", "social_care")]
)

_AGAINST = {"national_excluding_site": "the other sites", "england": "England"}
#: A verdict of change drawn as the comparison it resembles (colour and shape: :data:`homekit.plots.COMPARISON_MARKERS`).
VERDICT_LOOK = {"improved": "better", "worsened": "worse", "no significant change": "similar", "increased": "higher", "decreased": "lower"}
#: What the change column says of a figure that is not measured in survey rounds (flow, case reviews).
NOT_IN_ROUNDS = "not measured in rounds"


def measured_in_rounds(indicator: str) -> bool:
    """Whether an indicator comes from a survey repeated in rounds (its instrument is keyed by
    ``survey_year``): flow metrics and case reviews are not, so 'first survey' never describes them."""
    info = INDICATORS.get(indicator)
    inst = INSTRUMENTS.get(info.instrument) if info is not None else None
    return inst is not None and "survey_year" in inst.key


def _value_text(row) -> str:
    """A published value without its interval (a mean with two decimals, a rate whole)."""
    if row is None or bool(row.get("suppressed", False)) or pd.isna(row.get("estimate")):
        return "[c]"
    kind = INDICATORS[row["indicator"]].kind if row.get("indicator") in INDICATORS else "proportion"
    if kind == "mean":
        return f"{row['estimate']:.2f}"
    if kind == "rate":
        return f"{row['estimate']:,.0f}"
    return pct(row["estimate"])


def _change_text(c) -> str:
    if c is None or pd.isna(c.get("difference")):
        return ""
    kind = INDICATORS[c["indicator"]].kind if c["indicator"] in INDICATORS else "proportion"
    if kind == "mean":
        return f"{c['difference']:+.2f} ({c['lower']:+.2f} to {c['upper']:+.2f})"
    return f"{points(c['difference'])} points ({points(c['lower'])} to {points(c['upper'])})"


def _latest_change(report, indicator: str, group: str) -> dict | None:
    ch = report.changes
    m = ch[(ch.indicator == indicator) & (ch.group == group)]
    if m.empty:
        return None
    return _in_time_order(m, "to_period").iloc[-1].to_dict()


def period_time(period) -> float:
    """A survey round's place in time, in years: ``"2019"`` -> 2019.0, ``"2019-2"`` (a second round) a month later."""
    year, round_ = period_key(period)
    return year + (round_ - 1) / 12


def _in_time_order(df: pd.DataFrame, column: str = "period") -> pd.DataFrame:
    return df.iloc[sorted(range(len(df)), key=lambda i: period_key(df[column].iloc[i]))]


def _benchmark_value(report, row) -> float:
    """The centre of the spine: the England value for flow figures, else the published national figure."""
    if row.get("benchmark") == "england":
        b = report.benchmarks
        m = b[(b.indicator == row["indicator"]) & (b.group == row["group"])]
        return float(m["value"].iloc[0]) if len(m) else np.nan
    nat = report.national_published
    if nat is None:
        return np.nan
    m = nat[(nat.indicator == row["indicator"]) & (nat.group == row["group"])]
    return float(m["estimate"].iloc[0]) if len(m) and pd.notna(m["estimate"].iloc[0]) else np.nan


def verdict_counts(verdicts) -> str:
    """Every verdict of change counted in words, so that the counts add up to the figures compared:
    ``0 improved, 9 showed no significant change and 0 worsened; where neither direction is better,
    0 increased and 1 decreased`` (and how many could not be compared).

    >>> verdict_counts(pd.Series(["improved", "decreased", "not compared"]))
    '1 improved, 0 showed no significant change and 0 worsened; where neither direction is better, 0 increased and 1 decreased; 1 could not be compared (withheld in a round)'
    """
    v = pd.Series(verdicts, dtype=object)
    n = {w: int((v == w).sum()) for w in ("improved", "no significant change", "worsened", "increased", "decreased", "not compared")}
    text = f"{n['improved']} improved, {n['no significant change']} showed no significant change and {n['worsened']} worsened"
    if n["increased"] + n["decreased"]:
        text += f"; where neither direction is better, {n['increased']} increased and {n['decreased']} decreased"
    if n["not compared"]:
        text += f"; {n['not compared']} could not be compared (withheld in a round)"
    return text


def summary(report) -> Block | None:
    """One page for a director: every headline this round, last round, the change and the comparison, in words."""
    import matplotlib.pyplot as plt

    rows, spine = [], []
    for ind, group in SUMMARY_ROWS:
        r = report.ind(ind, group)
        if r is None:
            continue
        c = _latest_change(report, ind, group)
        compared = r.get("comparison", "not compared")
        against = _AGAINST.get(r.get("benchmark", ""), "")
        rows.append({
            "indicator": label_for(ind, group),
            "which way is better": direction_text(ind, group),
            "this round": f"{_value_text(r)} ({r['period']})" if r.get("period") else _value_text(r),
            "previous round": "" if c is None else f"{_value_text({**r, 'estimate': c['from_estimate'], 'suppressed': pd.isna(c['from_estimate'])})} ({c['from_period']})",
            "change (95% CI)": _change_text(c),
            "since last survey": c["verdict"] if c is not None else "first survey" if measured_in_rounds(ind) else NOT_IN_ROUNDS,
            "against": f"{compared} ({'than ' if compared in ('better', 'worse', 'higher', 'lower') else 'to ' if compared == 'similar' else ''}{against})" if against and compared != "not compared" else "not compared",
        })
        spread = report.spread
        sp = None if spread is None else spread[(spread.indicator == ind) & (spread.group == group)]
        spine.append({"label": textwrap.fill(label_for(ind, group), 48),
                      "value": r["estimate"], "suppressed": bool(r["suppressed"]), "benchmark": _benchmark_value(report, r),
                      "lowest": np.nan if sp is None or sp.empty else sp["lowest"].iloc[0],
                      "q1": np.nan if sp is None or sp.empty else sp["q1"].iloc[0],
                      "q3": np.nan if sp is None or sp.empty else sp["q3"].iloc[0],
                      "highest": np.nan if sp is None or sp.empty else sp["highest"].iloc[0],
                      "polarity": INDICATORS[ind].polarity, "comparison": compared})
    if not rows:
        return None
    table = pd.DataFrame(rows)
    for col in ("previous round", "change (95% CI)"):  # a site surveyed once: no columns of empty cells
        if (table[col] == "").all():
            table = table.drop(columns=col)
    words = table["against"].str.split(" ").str[0]
    counts = {w: int((words == w).sum()) for w in ("better", "similar", "worse")}
    changed = table["since last survey"]
    n_changed = {w: int((changed == w).sum()) for w in ("improved", "no significant change", "worsened", "increased", "decreased", "not compared")}
    are = "figure is" if counts["better"] == 1 else "figures are"
    reading = (f"Against the benchmark, {counts['better']} {are} better, {counts['similar']} similar and {counts['worse']} worse. ")
    if sum(n_changed.values()):
        reading += f"Since the last survey, {verdict_counts(changed)}."
    else:
        reading += "This is the site's first survey round: change will show after the next one."
    fig = None
    d = pd.DataFrame(spine)
    drawn = d[~d.suppressed & d.value.notna() & d.benchmark.notna()]
    if len(drawn):
        fig, ax = plt.subplots(figsize=(10, 0.5 * len(drawn) + 1.4))
        plots.spine_chart(drawn, ax=ax)
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], marker=plots.COMPARISON_MARKERS[w], linestyle="", markerfacecolor=plots.COMPARISON_COLOURS[w],
                          markeredgecolor="#212B32", label=w) for w in ("better", "similar", "worse", "higher", "lower", "not compared")]
        handles.append(Line2D([], [], color="#C00000", label="benchmark"))
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=7, fontsize=7, frameon=False)
        ax.set_title("This site against the range of sites (grey: lowest to highest site, dark: middle half)", fontsize=9)
        fig.tight_layout()
    notes = [
        "Against the other sites: this site against all other sites pooled (never including itself), judged by the 95% Newcombe "
        "interval (method 10) of the difference for proportions and Welch's t for means. Against England: the site's own 95% "
        "interval against the published England value (ASCOF, NHS Digital; the year and source of each "
        "are published beside the figure in indicators.csv).",
        "Change since the last survey: Newcombe's interval for the difference between this round and the previous one "
        "(Welch's t for means), read with each indicator's direction; 'increased'/'decreased' where neither direction is better.",
        "Spine chart: the centre line is the national figure (the England value for flow figures); each bar runs from the worst "
        "to the best site's published figure, with the best on the right (lowest and highest where neither is better).",
    ]
    return Block("Summary for the board", reading, figure=fig, table=table, notes=notes,
                 intro="Every headline this round and last round, the change, and how the site compares, in words.")


def what_changed(report) -> Block | None:
    """What changed since the last survey: every headline's change, and any other figure that moved."""
    import matplotlib.pyplot as plt

    ch = report.changes
    if ch is None or ch.empty:
        return None
    order = ch["to_period"].map(lambda p: period_key(p)[0] * 100 + period_key(p)[1])
    latest = ch.loc[order == order.groupby([ch["indicator"], ch["group"]], sort=False).transform("max")]
    head_keys = {(i, g) for i, g in SUMMARY_ROWS}
    is_head = [(i, g) in head_keys for i, g in zip(latest.indicator, latest.group)]
    moved = latest[~np.array(is_head, bool) & latest.verdict.isin(["improved", "worsened", "increased", "decreased"])]
    rank = {k: i for i, k in enumerate(SUMMARY_ROWS)}
    heads = latest[np.array(is_head, bool)]
    heads = heads.iloc[sorted(range(len(heads)), key=lambda i: rank[(heads.indicator.iloc[i], heads.group.iloc[i])])]
    shown = pd.concat([heads, moved])
    rows = []
    for c in shown.to_dict("records"):
        rows.append({"indicator": label_for(c["indicator"], c["group"]), "which way is better": direction_text(c["indicator"], c["group"]),
                     "from": f"{_value_text({**c, 'estimate': c['from_estimate'], 'suppressed': pd.isna(c['from_estimate'])})} ({c['from_period']})",
                     "to": f"{_value_text({**c, 'estimate': c['to_estimate'], 'suppressed': pd.isna(c['to_estimate'])})} ({c['to_period']})",
                     "change (95% CI)": _change_text(c), "p": "" if pd.isna(c["p_value"]) else f"{c['p_value']:.3f}", "verdict": c["verdict"]})
    table = pd.DataFrame(rows)
    reading = f"Of {len(heads)} headline figures measured in both rounds, {verdict_counts(heads.verdict)}; {len(moved)} other figures changed significantly."
    fig = None
    d = heads[heads.difference.notna() & heads.indicator.map(lambda i: INDICATORS[i].kind == "proportion")]
    if len(d):
        fig, ax = plt.subplots(figsize=(10, 0.45 * len(d) + 1.4))
        y = np.arange(len(d))[::-1]
        ax.hlines(y, d.from_estimate * 100, d.to_estimate * 100, color="#8C8C8C", linewidth=2, zorder=1)
        ax.scatter(d.from_estimate * 100, y, color="white", edgecolor="#425563", s=50, zorder=2, label="previous round")
        # this round: coloured and shaped by the verdict, so that colour is never the only cue
        looks = d.verdict.map(VERDICT_LOOK).fillna("similar").to_numpy()
        for verdict, look in (("improved", "better"), ("worsened", "worse"), ("no significant change", "similar"),
                              ("increased", "higher"), ("decreased", "lower")):
            sel = looks == look
            if sel.any():
                ax.scatter(d.to_estimate.to_numpy()[sel] * 100, y[sel], color=plots.COMPARISON_COLOURS[look],
                           marker=plots.COMPARISON_MARKERS[look], edgecolor="#212B32", s=70, zorder=3, label=f"this round: {verdict}")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, fontsize=7, frameon=False)
        ax.set_yticks(y)
        ax.set_yticklabels([textwrap.fill(label_for(i, g), 48) for i, g in zip(d.indicator, d.group)],
                           fontsize=8)
        plots.percent_axis(ax)
        ax.set_xlabel("% (increased or decreased: a change where neither direction is better)", fontsize=8)
        ax.set_title("Headline figures: previous round to this round")
        fig.tight_layout()
    return Block("What changed since the last survey", reading, figure=fig, table=table,
                 intro="What changed since the last survey, figure by figure.",
                 notes=["Differences between the two rounds' published figures: Newcombe hybrid score interval (method 10) for "
                        "proportions with the p-value that inverts it, Welch's t for means. A figure withheld in either round is not compared."])


# ------------------------------------------------------------------------------------------------
# National
# ------------------------------------------------------------------------------------------------

_TREND_HEADLINES = tuple(i for i in HEADLINES if i.startswith(("gp_", "op_")))


def headlines_over_rounds(report) -> Block | None:
    """Each headline over the survey rounds: pooled, the spread of sites, and the recent trend."""
    import matplotlib.pyplot as plt

    hist = report.published_history
    if hist is None or hist.empty or hist["period"].nunique() < 2:
        return None
    site_hist = report.site_history
    periods = sorted(hist["period"].unique(), key=period_key)
    rows, trends = [], {}
    for ind in _TREND_HEADLINES:
        h = hist[(hist.indicator == ind) & (hist.group == "")]
        if h.empty:
            continue
        row = {"indicator": HEADLINES[ind][1], "which way is better": direction_text(ind)}
        for p in periods:
            r = h[h.period == p]
            if r.empty:
                row[p] = "not surveyed"
                continue
            text = _value_text(r.iloc[0].to_dict())
            if site_hist is not None and len(site_hist):
                s = site_hist[(site_hist.indicator == ind) & (site_hist.group == "") & (site_hist.period == p) & ~site_hist.suppressed.astype(bool)]
                if len(s) >= 2:
                    text += f" (sites {pct(s.estimate.min())} to {pct(s.estimate.max())}, n={len(s)})"
            row[p] = text
        ok = h[~h.suppressed.astype(bool) & h.denominator.notna() & h.numerator.notna()]
        ok = _in_time_order(ok)
        scores = [period_time(p) for p in ok.period]
        t = stats.trend_test(ok.numerator, ok.denominator, scores)
        trends[ind] = t
        row["recent trend"] = _trend_words(t, ind)
        rows.append(row)
    if not rows:
        return None
    fig = None
    draw = [i for i in ("gp_trust_asc", "gp_relationship_poor", "gp_trust_discharge_team", "gp_unaware_telecare") if i in trends]
    if draw:
        fig, axes = plt.subplots(1, len(draw), figsize=(3.2 * len(draw), 3.2), sharey=True)
        axes = np.atleast_1d(axes)
        x = np.array([period_time(p) for p in periods])  # real time: 2013, 2014 and 2019 are not evenly spaced
        for ax, ind in zip(axes, draw):
            h = hist[(hist.indicator == ind) & (hist.group == "")].set_index("period").reindex(periods)
            if site_hist is not None and len(site_hist):
                s = site_hist[(site_hist.indicator == ind) & (site_hist.group == "") & ~site_hist.suppressed.astype(bool)]
                lo = s.groupby("period").estimate.min().reindex(periods)
                hi = s.groupby("period").estimate.max().reindex(periods)
                ax.vlines(x, lo * 100, hi * 100, color="#D9D9D9", linewidth=8, label="range of sites")
            ax.errorbar(x, h.estimate * 100, yerr=plots.interval_errors(h.estimate, h.lower, h.upper, 100), fmt="o-", color="#005EB8",
                        capsize=3, label="pooled (95% CI)")
            ax.set_xticks(x)
            ax.set_xticklabels(periods, fontsize=8)
            ax.set_title(textwrap.fill(f"{HEADLINES[ind][1]} ({direction_text(ind)})", 32), fontsize=8)
            plots.percent_axis(ax, "y")
        axes[0].set_ylabel("%")
        axes[0].legend(fontsize=7, frameon=False, loc="lower left")
        fig.tight_layout()
    return Block("Headlines over survey rounds", intro="Each headline over the survey rounds: pooled, the spread of sites, and the "
                 "recent trend.", reading="Each headline pooled over the sites surveyed in each round, with the range of the "
                 "sites' published figures; the recent trend where there are three or more rounds.", figure=fig, table=pd.DataFrame(rows),
                 notes=["Pooled: every respondent of the sites surveyed in that round (a round may hold different sites). Recent trend: "
                        "chi-square test for linear trend in proportions (Armitage, 1 df) over the rounds, scored by date, as Fingertips "
                        "uses; 'not tested' with fewer than three rounds. For change at the same sites see 'Change between survey rounds'."])


def _trend_words(t: dict, indicator: str) -> str:
    if t["direction"] in ("not tested", "no significant change"):
        return t["direction"]
    pol = INDICATORS[indicator].polarity
    better = (t["direction"] == "increasing") == (pol == "higher_is_better")
    judged = "" if pol == "no_judgement" else (" and getting better" if better else " and getting worse")
    return f"{t['direction']}{judged} (p={t['p_value']:.3f})"


def gp_trust_two_instruments(report) -> Block | None:
    """GP trust in adult social care from the GP survey beside GPs' trust in ASC from the interface survey."""
    nat = report.published
    gp = nat[(nat.indicator == "gp_trust_asc") & (nat.group == "")]
    prof = nat[(nat.indicator == "prof_trust") & (nat.group == "gp->asc")]
    if gp.empty or prof.empty:
        return None
    rows = []
    for r, inst in ((gp.iloc[0], "gp_survey"), (prof.iloc[0], "professional_survey")):
        who = " (GP respondents)" if inst == "professional_survey" else ""
        question = INSTRUMENTS[inst].column("trust_asc").question + ": agree or strongly agree"
        rows.append({"instrument": INSTRUMENTS[inst].title + who, "question": question, "survey round(s)": r.get("period", ""), "GPs trusting adult social care (95% CI)":
                     estimate_text(r.to_dict()), "base": "" if pd.isna(r["denominator"]) else f"{int(r['denominator']):,}"})
    return Block("GP trust in adult social care: two different instruments", intro="GP trust in adult social care, asked in two "
                 "different instruments.", reading="The GP survey and the interface survey ask GPs a similar "
                 "question in different surveys, samples and years: read them side by side, not as a change from one to the other.",
                 table=pd.DataFrame(rows),
                 notes=["The two figures come from different instruments; a difference between them is not a change over time."])
