"""Interface survey of professionals: factors behind poorer outcomes, trust and relationship matrices."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import plots
from ..indicators import factor_tests
from ..indicators.professional import FREQUENCY_LEVELS, TRUST_LEVELS, level_id
from ..instruments import (
    FACTOR_DOMAIN_NAMES,
    FACTOR_NAMES,
    FACTOR_NAMES_BY_DOMAIN,
    PROFESSION_GROUP_NAMES,
    PROFESSION_GROUPS,
    PROFESSION_NAMES,
    PROFESSIONS,
    RATED_PROFESSIONS,
    group_label,
)
from ._format import Block, direction_text, estimate_text, has_value, p_text, pct

FREQUENCY_LEVEL_IDS = [level_id(lv) for lv in FREQUENCY_LEVELS]
TRUST_LEVEL_IDS = [level_id(lv) for lv in TRUST_LEVELS]

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


#: The between-profession tests in plain words (the method names go in a method line after it).
TESTS_WORDS = ("For each factor, a test asks whether the professions' answers differ by more than chance would explain (a test "
               "on the order of the answers, comparing every profession at once); because many factors are tested, each p-value is "
               "adjusted so that the chance of any false alarm over all of them stays at 5%.")


def tests_table(omnibus: pd.DataFrame) -> pd.DataFrame:
    """Reader-facing table of the between-profession tests."""
    return pd.DataFrame([{"factor": factor_label(r["item"]), "professionals": f"{int(r['n']):,}",
                          "test statistic (H)": f"{r['h']:.1f}", "professions compared": int(r["ddof1"]) + 1,
                          "p, adjusted for the factors tested": p_text(r["p_holm"]),
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
            plots.percent_axis(ax)
            ax.set_title(title, fontsize=10)
            ax.set_xlabel("% frequently or very frequently")
        fig.suptitle(f"What drives poorer outcomes at the interface: factors cited frequently ({direction_text(DOMAINS[0][0])})")
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
    notes = ["The next section breaks these factors down by respondent group."]
    if len(omnibus):
        sig = omnibus[omnibus.p_holm < 0.05]
        notes.append(f"Between professions with at least {MIN_PER_PROFESSION} respondents each "
                     f"({', '.join(PROFESSION_NAMES[p] for p in prof['profession'].astype(str).value_counts().index if p not in left_out)}): "
                     f"{len(sig)} of {len(omnibus)} factors differ by more than chance would explain. {TESTS_WORDS} "
                     f"Method: Kruskal-Wallis test per factor, Holm's correction for {len(omnibus)} tests.")
    else:
        notes.append(f"Professions are compared only where at least two professions have {MIN_PER_PROFESSION} or more respondents each; "
                     "at this site none are compared. The national report compares them over all sites.")
    return Block("Interface survey: what drives admissions, delays and wrong pathways", reading, figure=fig, notes=notes,
                 intro="What professionals say drives unnecessary admissions, delayed discharges and discharges through the wrong pathway.",
                 alt="Dot plots with intervals, one per domain, one row per factor: the share of professionals citing it frequently. " + reading)


def _staff(profession: str) -> str:
    """A profession's staff in running text: 'adult social care staff', 'GPs'."""
    name = PROFESSION_NAMES.get(profession, profession)
    if profession == "gp":
        return name
    return (name[0].lower() + name[1:] if name[1:2].islower() else name) + " staff"


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
    if len(vis) > 1:
        reading = f"Lowest relationship: {group_label(vis.iloc[0]['group'])} ({vis.iloc[0]['estimate']:.1f} on a scale of 1 to 5)."
    elif len(vis):  # one published cell is not the lowest of anything
        reading = (f"One relationship score is published ({m} for the rest): {group_label(vis.iloc[0]['group'])}, "
                   f"{vis.iloc[0]['estimate']:.1f} on a scale of 1 to 5.")
    else:
        reading = f"Relationship scores withheld ({m}); trust shown where enough raters answered."
    return Block("Trust and relationship matrices", reading, figure=fig,
                 notes=[f"Rows rate columns; respondents do not rate their own profession; {m} marks too few raters. "
                        "Each cell shows its number, so the colour is never the only cue."],
                 alt="Two heatmaps, professions rating professions: relationship score and % trusting. " + reading)


# -- IMPOWER 2019 summary, Findings 1-4: by the seed's three respondent groups and by profession ---------


def _published(report) -> pd.DataFrame:
    """The published (disclosed) indicator table of a site or national report."""
    return getattr(report, "published", report.indicators)


def _split_factor_groups(d: pd.DataFrame) -> pd.DataFrame:
    """Columns domain, factor, who (and level, when the group has one) from ``<domain>:<factor>|<who>[|<level>]``."""
    parts = d["group"].str.split("|", expand=True)
    out = d.assign(key=parts[0], who=parts[1].str.replace("group:", "", regex=False))
    out[["domain", "factor"]] = out["key"].str.split(":", expand=True)
    if parts.shape[1] > 2:
        out["level"] = parts[2]
    return out


def _factor_label(domain: str, factor: str) -> str:
    return FACTOR_NAMES_BY_DOMAIN[domain].get(factor, factor)


def bar_segments(rows: pd.DataFrame, keys: list[str], levels: list[str], top: dict | None = None) -> pd.DataFrame:
    """The bars of a diverging chart of answer levels, from published rows only.

    ``rows`` holds one published row per bar (``keys``) and ``level`` (``numerator``,
    ``denominator``, ``estimate``, ``suppressed``). A bar whose levels are all published is drawn
    as it is. Where disclosure control withheld some levels of a group it publishes (its base is
    shown), each run of neighbouring withheld levels is drawn as one segment (``merged``) whose
    share is worked out from published figures only: the base minus the published levels, and,
    with two runs, the published top-two row (``top``: bar key -> its published numerator, e.g.
    Frequently + Very frequently, or Agree + Strongly agree) for the run on the positive side.
    Anything else (no base, a run across the middle or of a single answer, runs that cannot be
    told apart) leaves the whole bar withheld (``suppressed``).

    Returns the rows with ``estimate`` (a merged run's share on its level nearest the middle, 0 on
    the others), ``merged`` and ``suppressed``, plus ``base`` (the published base or NaN).
    """
    k = len(levels)
    half, mid = k // 2, k % 2 == 1

    def side(i: int) -> int:
        return -1 if i < half else (0 if mid and i == half else 1)

    out = []
    for key, bar in rows.groupby(keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        bar = bar.set_index("level").reindex(levels)
        num = bar["numerator"].to_numpy(float)
        shown = ~bar["suppressed"].fillna(True).astype(bool).to_numpy() & bar["estimate"].notna().to_numpy() & ~np.isnan(num)
        dens = bar["denominator"].to_numpy(float)
        den = np.nanmax(dens) if np.isfinite(dens).any() else np.nan
        est = np.where(shown, num / den if den > 0 else np.nan, np.nan)
        merged = np.zeros(k, bool)
        ok = bool(shown.all()) and den > 0
        if not shown.all() and den > 0:
            runs = []  # neighbouring withheld levels on one side of the middle
            for i in range(k):
                if not shown[i]:
                    if runs and runs[-1][-1] == i - 1 and side(runs[-1][-1]) == side(i):
                        runs[-1].append(i)
                    else:
                        runs.append([i])
            sides = [{side(i) for i in r} for r in runs]
            rest = den - np.nansum(np.where(shown, num, 0.0))
            values = None
            if len(runs) == 1 and len(sides[0]) == 1:
                values = [rest]
            elif len(runs) == 2 and all(len(s) == 1 for s in sides) and sum(s == {1} for s in sides) == 1 and top is not None:
                t = top.get(key, np.nan)
                if np.isfinite(t):
                    right = 0 if sides[0] == {1} else 1
                    r_val = t - np.nansum([num[i] for i in range(k) if side(i) == 1 and shown[i]])
                    values = [rest - r_val, r_val] if right == 1 else [r_val, rest - r_val]
            # a run of one level would draw a withheld answer on its own: never (the gate keeps
            # every withheld answer in a run that cannot be split, so this only guards against misuse)
            if values is not None and all(v >= 0 for v in values) and all(len(r) >= 2 for r in runs):
                for r, v in zip(runs, values):
                    near = min(r, key=lambda i: abs(i - (k - 1) / 2))
                    est[r] = 0.0
                    est[near] = v / den
                    merged[r] = True
                ok = True
        out.append(pd.DataFrame({**dict(zip(keys, key)), "level": levels, "estimate": est if ok else np.nan,
                                 "merged": merged & ok, "suppressed": not ok, "base": den}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=[*keys, "level", "estimate", "merged", "suppressed", "base"])


def _all_withheld_note(rules, who: str) -> str:
    """Why a section shows no chart and no table: every group's answers are withheld."""
    return (f"{rules.marker}: nothing is drawn or tabulated: every {who}'s answers are withheld at this site (fewer than "
            f"{rules.professional.min_group_size} answers in the group, or they would give back a smaller group's).")


def _withheld_note(seg: pd.DataFrame, keys: list[str], what: str, rules) -> list[str]:
    """Why bars are drawn with answers together, or withheld: the group's own size (under the
    professional rule's threshold), or the protection of smaller groups elsewhere."""
    m, threshold = rules.marker, rules.professional.min_group_size
    bars = seg.groupby(keys, sort=False).agg(merged=("merged", "any"), withheld=("suppressed", "all"), base=("base", "first"))
    small = bars.withheld & ~(bars.base >= threshold)
    protect = (bars.withheld | bars.merged) & (bars.base >= threshold)
    notes = []
    if small.any():
        notes.append(f"{m}: {int(small.sum())} {what} withheld: fewer than {threshold} answers in the group.")
    if protect.any():
        together = int((bars.merged & ~bars.withheld).sum())
        gone = int((bars.withheld & (bars.base >= threshold)).sum())
        said = (f"{together} {what} draw two or more neighbouring answers together (hatched, {m}: their combined share is "
                "shown, each answer's own is withheld)" if together else "")
        said += ("; " if said and gone else "") + (f"{gone} {what} are withheld" if gone else "")
        notes.append(f"{said[0].upper()}{said[1:]}, although the group has {threshold} or more answers: an answer is withheld "
                     "where publishing it would give back what a smaller group said elsewhere, for example where none of "
                     "the respondents at the sites too small to publish their own figures gave it (the national figure "
                     "minus the published sites would show that each of those groups said none), and an answer next "
                     "to it is withheld with it so that it cannot be worked out by subtraction.")
    return notes


def factors_by_group(report) -> Block | None:
    """The 2019 summary's charts of Findings 1-3: for each factor, how often each of the three
    respondent groups says it drives the outcome (five levels, diverging), from the published
    ``prof_factor_level`` rows; the table gives ``prof_factor_frequent`` by group."""
    import matplotlib.pyplot as plt

    pub = _published(report)
    m = report.rules.marker
    lv = pub[pub.indicator == "prof_factor_level"]
    if lv.empty:
        return None
    lv = _split_factor_groups(lv)
    level_names = dict(zip(FREQUENCY_LEVEL_IDS, FREQUENCY_LEVELS))
    lv = lv.assign(level=lv["level"].map(level_names))
    domains = [d for d in FACTOR_NAMES_BY_DOMAIN if d in set(lv["domain"])]
    ff = _split_factor_groups(pub[(pub.indicator == "prof_factor_frequent") & pub.group.str.contains("|group:", regex=False)])
    # the published "frequently or very frequently" row of each bar: the positive side of the chart
    top = {(r["domain"], r["factor"], r["who"]): r["numerator"] for r in ff.to_dict("records")
           if not r["suppressed"] and pd.notna(r["numerator"])}
    keys = ["domain", "factor", "who"]
    lv = bar_segments(lv, keys, list(FREQUENCY_LEVELS), top)
    fig = None
    if not lv.suppressed.all():  # at least one bar to draw
        n_factors = [len(FACTOR_NAMES_BY_DOMAIN[d]) for d in domains]
        fig, axes = plt.subplots(len(domains), 1, figsize=(10, sum(1.15 * n for n in n_factors) + 1.2 * len(domains)),
                                 gridspec_kw={"height_ratios": n_factors}, squeeze=False)
        for ax, domain in zip(axes[:, 0], domains):
            labels = {f: _factor_label(domain, f) for f in FACTOR_NAMES_BY_DOMAIN[domain]}
            plots.diverging_bars(lv[lv.domain == domain], y="factor", hue="who", level="level", order=list(FACTOR_NAMES_BY_DOMAIN[domain]),
                                 hue_order=list(PROFESSION_GROUPS), level_order=list(FREQUENCY_LEVELS), labels=labels,
                                 hue_labels=PROFESSION_GROUP_NAMES, merged="merged", merged_label=f"answers together ({m})",
                                 marker=m, ax=ax)
            ax.set_title(FACTOR_DOMAIN_NAMES[domain], fontsize=10, loc="left")
        fig.tight_layout()
    rows, top = [], []
    for domain in domains:
        for factor in FACTOR_NAMES_BY_DOMAIN[domain]:
            row = {"outcome": FACTOR_DOMAIN_NAMES[domain], "factor": _factor_label(domain, factor)}
            for g in PROFESSION_GROUPS:
                m = ff[(ff.domain == domain) & (ff.factor == factor) & (ff.who == g)]
                row[PROFESSION_GROUP_NAMES[g]] = estimate_text(m.iloc[0].to_dict()) if len(m) else "no data"
            rows.append(row)
    shown = ff[~ff.suppressed.astype(bool) & ff.estimate.notna()]
    for g in PROFESSION_GROUPS:
        for domain in domains[:1]:  # Finding 1: what drives unnecessary admissions, group by group
            m = shown[(shown.who == g) & (shown.domain == domain)].sort_values("estimate", ascending=False)
            if len(m):
                top.append(f"{PROFESSION_GROUP_NAMES[g]}: {_factor_label(domain, m.iloc[0]['factor']).lower()} ({pct(m.iloc[0]['estimate'])})")
    reading = ("Unnecessary admissions, the factor each group most often cites as frequent: " + "; ".join(top) + "."
               if top else f"Withheld ({report.rules.marker}): too few professionals in each respondent group at this site to publish their answers.")
    notes = ["Groups as in the 2019 summary: adult social care professionals; hospital staff (discharge and clinical); "
             "community nurses, GPs and others. Shares are of those in the group who answered; table: % frequently or very "
             f"frequently (95% CI), the blue side of each bar; {direction_text(DOMAINS[0][0])} (a factor that often gets in the way "
             "is a problem)."]
    table = pd.DataFrame(rows)
    if fig is None and not len(shown):  # every cell withheld: a table of nothing but the marker tells the reader nothing
        table = None
        notes.append(_all_withheld_note(report.rules, "respondent group"))
    else:
        notes += _withheld_note(lv, keys, "bars", report.rules)
    if hasattr(report, "site_id"):
        notes.append("The national report shows every group and each profession separately.")
    return Block("What drives poorer outcomes at the interface, by respondent group", reading, figure=fig,
                 table=table, notes=notes)


def factors_by_profession(report) -> Block | None:
    """``prof_factor_frequent`` for each of the six professions (published rows), factor by factor."""
    pub = _published(report)
    ff = pub[(pub.indicator == "prof_factor_frequent") & ~pub.group.str.contains("|group:", regex=False)]
    if ff.empty:
        return None
    ff = _split_factor_groups(ff)
    rows = []
    for domain in FACTOR_NAMES_BY_DOMAIN:
        for factor in FACTOR_NAMES_BY_DOMAIN[domain]:
            row = {"outcome": FACTOR_DOMAIN_NAMES[domain], "factor": _factor_label(domain, factor)}
            for p in PROFESSIONS:
                m = ff[(ff.domain == domain) & (ff.factor == factor) & (ff.who == p)]
                row[PROFESSION_NAMES[p]] = estimate_text(m.iloc[0].to_dict()) if len(m) else "no data"
            rows.append(row)
    groups = _split_factor_groups(pub[(pub.indicator == "prof_factor_frequent") & pub.group.str.startswith("delay:stabilise_in_hospital|group:")])
    stab = groups[~groups.suppressed.astype(bool) & groups.estimate.notna()]
    reading = ""
    if len(stab) >= 2:
        hi, lo = stab.loc[stab.estimate.idxmax()], stab.loc[stab.estimate.idxmin()]
        reading = (f"A desire to stabilise in hospital delays discharges frequently or very frequently for {pct(hi['estimate'])} of "
                   f"{PROFESSION_GROUP_NAMES[hi['who']]} but {pct(lo['estimate'])} of {PROFESSION_GROUP_NAMES[lo['who']]} "
                   "(Finding 2: a big discrepancy between settings).")
    return Block("Factors cited frequently or very frequently, by profession", reading, table=pd.DataFrame(rows),
                 notes=[f"% of those in the profession who answered (95% CI), {direction_text(DOMAINS[0][0])}; [c] withheld by disclosure control; "
                        "no data where nobody of the profession answered."])


def trust_levels(report) -> Block | None:
    """Finding 4: the four levels of trust each profession gives each other one (``prof_trust_level``)."""
    import matplotlib.pyplot as plt

    pub = _published(report)
    tl = pub[pub.indicator == "prof_trust_level"]
    if tl.empty:
        return None
    parts = tl["group"].str.split("|", expand=True)
    pair = parts[0].str.split("->", expand=True)
    level_names = dict(zip(TRUST_LEVEL_IDS, TRUST_LEVELS))
    tl = tl.assign(rater=pair[0], ratee=pair[1], level=parts[1].map(level_names))
    ratees = [p for p in RATED_PROFESSIONS if p in set(tl.ratee)]
    trust = pub[pub.indicator == "prof_trust"]
    # the published "% trusting" row of each pair (Agree + Strongly agree): the positive side
    top = {tuple(r["group"].split("->")): r["numerator"] for r in trust.to_dict("records")
           if not r["suppressed"] and pd.notna(r["numerator"])}
    tl = bar_segments(tl, ["rater", "ratee"], list(TRUST_LEVELS), top)
    fig = None
    if not tl.suppressed.all():
        fig, ax = plt.subplots(figsize=(10, 1.0 * len(ratees) * len(PROFESSIONS) * 0.42 + 1.6))
        plots.diverging_bars(tl, y="ratee", hue="rater", level="level", order=ratees, hue_order=list(PROFESSIONS),
                             level_order=list(TRUST_LEVELS), labels={p: f"Trust in {PROFESSION_NAMES[p]} (rows: who answered)" for p in ratees},
                             hue_labels=PROFESSION_NAMES, merged="merged", merged_label=f"answers together ({report.rules.marker})",
                             marker=report.rules.marker, ax=ax)
        ax.set_title("Do you trust the following professions to make decisions in the best interests of your patients?", fontsize=10)
        fig.tight_layout()

    def agree(g):
        m = trust[trust.group == g]
        return None if m.empty else m.iloc[0].to_dict()

    gaps = []
    for hosp in ("hospital_discharge", "hospital_clinical"):
        a, b = agree(f"{hosp}->asc"), agree(f"asc->{hosp}")
        if a is not None and b is not None and not a["suppressed"] and not b["suppressed"] and pd.notna(a["estimate"]) and pd.notna(b["estimate"]):
            gaps.append(f"{pct(a['estimate'])} of {PROFESSION_NAMES[hosp].lower()} staff trust adult social care, "
                        f"while {pct(b['estimate'])} of adult social care staff trust {PROFESSION_NAMES[hosp].lower()} staff")
    shown = [r for r in trust.to_dict("records") if not r["suppressed"] and pd.notna(r["estimate"])]
    if gaps:
        reading = "Trust gap between hospital and adult social care staff (Finding 4): " + "; ".join(gaps) + "."
    elif shown:  # say what the chart does show, never that nothing is
        reading = (f"The trust gap between hospital and adult social care staff cannot be shown here: one side of each pair is withheld "
                   f"({report.rules.marker}, fewer than 11 raters). Shown: "
                   + "; ".join(f"{pct(r['estimate'])} of {_staff(a)} trust {_staff(b)}" for r in shown
                               for a, b in [r["group"].split("->")]) + ".")
    else:
        reading = f"Withheld ({report.rules.marker}): too few raters in each profession at this site to show the trust gap."
    notes = ["Respondents do not rate their own profession. Shares are of those who answered; Don't know and blank are left out."]
    notes += ([_all_withheld_note(report.rules, "profession rating another")] if fig is None else
              _withheld_note(tl, ["rater", "ratee"], "rater-ratee bars", report.rules))
    return Block("Trust between professions, all four answers", reading, figure=fig, notes=notes)
