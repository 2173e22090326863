"""Stage 2 behavioural diagnostic sections: culture surveys, observations, comms review,
hypotheses register, opportunities and the interventions that follow them.

Every number comes from the site's published (disclosure-controlled) indicator rows
(``report.indicators``); opportunity savings come from the benefits model
(:func:`homekit.benefits.opportunity_benefits`) and are money, not counts of people. Free text of
respondents and observers (``comment``, ``note``) is never read here; ``barrier`` and opportunity
names are programme text and are shown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import plots, spc
from ..benefits import NOT_ESTIMATED, BenefitsModel, _money, opportunity_benefits, short_list_total
from ..indicators import hypothesis_register, opportunity_scores, status_counts
from ..indicators.opportunities import SHORT_LIST
from ..instruments import (
    BEHAVIOURS,
    COMMS_AUDIENCES,
    COMMS_CHANNELS,
    OBSERVATION_SETTINGS,
    ORGANISATIONS,
    PROFESSIONS,
    choice_name,
    indicator_label,
)
from ._format import Block, estimate_text, has_value, pct, points, share_text
from .flow import published_flow
from .tracking import metric_name

__all__ = ["culture", "culture_by_group", "observations", "comms", "hypotheses", "opportunities", "interventions", "culture_table",
           "opportunity_table", "national_culture", "national_hypotheses", "national_opportunities", "national_interventions"]

_LEVEL_ORDER = ("senior", "frontline")


def _published(report, indicator: str) -> pd.DataFrame:
    ind = report.indicators
    return ind[ind["indicator"] == indicator].copy()


def culture_table(indicators: pd.DataFrame) -> pd.DataFrame:
    """Agreement by behaviour and staff level, with the gap, from published indicator rows.

    Returns one row per behaviour and level: ``behaviour, staff_level, estimate, lower, upper,
    denominator, suppressed, gap, gap_lower, gap_upper, gap_suppressed``.
    """
    agree = indicators[indicators["indicator"] == "culture_behaviour_agree"]
    gap = indicators[indicators["indicator"] == "culture_level_gap"].set_index("group")
    rows = []
    for r in agree.to_dict("records"):
        behaviour, _, level = str(r["group"]).partition("|")
        if level not in _LEVEL_ORDER:
            continue
        g = gap.loc[behaviour] if behaviour in gap.index else None
        rows.append({"behaviour": behaviour, "staff_level": level, "estimate": r["estimate"], "lower": r["lower"],
                     "upper": r["upper"], "denominator": r["denominator"], "suppressed": bool(r.get("suppressed", False)),
                     "gap": None if g is None else g["estimate"], "gap_lower": None if g is None else g["lower"],
                     "gap_upper": None if g is None else g["upper"],
                     "gap_suppressed": True if g is None else bool(g.get("suppressed", False))})
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    order = {b: i for i, b in enumerate(BEHAVIOURS)}
    out["_o"] = out["behaviour"].map(order) * 2 + out["staff_level"].map({"senior": 0, "frontline": 1})
    return out.sort_values("_o").drop(columns="_o").reset_index(drop=True)


def _gap_text(row) -> str:
    if row is None or row.get("gap_suppressed") or row.get("gap") is None or pd.isna(row.get("gap")):
        return "[c]"
    return f"{points(row['gap'])} points ({points(row['gap_lower'])} to {points(row['gap_upper'])})"


def culture(report) -> Block | None:
    """Culture and behaviour surveys: agreement by staff level, the senior-minus-frontline gap."""
    import matplotlib.pyplot as plt

    if not report.has("culture_survey"):
        return None
    table = culture_table(report.indicators)
    if table.empty:
        return None
    fig, ax = plt.subplots(figsize=(10, 0.55 * len(table) + 1.2))
    plots.agreement_bars(table, y="behaviour", hue="staff_level", labels={b: choice_name(b) for b in BEHAVIOURS},
                         hue_labels={lv: choice_name(lv) for lv in _LEVEL_ORDER}, ax=ax)
    ax.set_title("Staff agreeing that the desired behaviour happens in their organisation (higher is better)", fontsize=10)
    fig.tight_layout()
    wide = []
    for b, g in table.groupby("behaviour", sort=False):
        by_level = {r["staff_level"]: r for r in g.to_dict("records")}
        any_row = next(iter(by_level.values()))
        wide.append({"desired behaviour": choice_name(b),
                     "senior stakeholders (95% CI)": estimate_text(_as_row(by_level.get("senior"))),
                     "frontline staff (95% CI)": estimate_text(_as_row(by_level.get("frontline"))),
                     "gap, senior minus frontline (95% CI)": _gap_text(any_row)})
    clear = table.drop_duplicates("behaviour")
    clear = clear[~clear["gap_suppressed"].astype(bool) & clear["gap_lower"].notna()]
    wider = clear[clear["gap_lower"] > 0]
    if len(clear):
        biggest = clear.loc[clear["gap"].idxmax()]
        reading = (f"Senior stakeholders rate {len(wider)} of {len(clear)} published behaviours better than frontline staff do "
                   f"(the interval of the gap above zero); the widest gap is {choice_name(biggest['behaviour']).lower()} "
                   f"({_gap_text(biggest)}). Leaders seeing a culture their frontline does not is a finding in itself.")
    else:
        reading = "The gap between senior and frontline staff is withheld for this site (too few answers to publish)."
    return Block("Culture and behaviour surveys: senior stakeholders and frontline staff", reading, figure=fig,
                 table=pd.DataFrame(wide),
                 notes=["Agree or strongly agree among staff who answered (Don't know and blank left out); Wilson intervals. "
                        "The gap is senior minus frontline agreement in percentage points with Newcombe's interval; "
                        "a gap above zero means leaders see the behaviour more than the frontline does. [c]: withheld."])


_BREAKDOWNS = (("profession", "Profession", PROFESSIONS), ("organisation", "Organisation", ORGANISATIONS))


def culture_by_group(report) -> Block | None:
    """Culture surveys by profession and by organisation: agreement that each behaviour happens,
    from the published rows (site or national), each group held to the professional rule."""
    pub = getattr(report, "published", report.indicators)
    agree = pub[pub["indicator"] == "culture_behaviour_agree"]
    if agree.empty:
        return None
    split = agree["group"].str.partition("|")
    agree = agree.assign(behaviour=split[0], breakdown=split[2].str.partition(":")[0], value=split[2].str.partition(":")[2])
    agree = agree[agree["breakdown"].isin([b for b, _, _ in _BREAKDOWNS]) | (split[2] == "")]
    if not (agree["breakdown"] != "").any():
        return None
    m = report.rules.marker
    behaviours = [b for b in BEHAVIOURS if b in set(agree["behaviour"])]

    def cell(r) -> str:
        return share_text(r, m)

    index = {(r["behaviour"], r["breakdown"], r["value"]): r for r in agree.to_dict("records")}
    staff = [("", "", "All staff")] + [(by, v, f"{name}: {choice_name(v)}") for by, name, values in _BREAKDOWNS for v in values
                                      if any((b, by, v) in index for b in behaviours)]
    rows = [{"staff": label, **{choice_name(b): cell(index.get((b, by, v))) for b in behaviours}} for by, v, label in staff]
    spreads = []
    for by, name, values in _BREAKDOWNS:
        for b in behaviours:
            shown = [r for (bb, kk, _), r in index.items() if bb == b and kk == by and has_value(r)]
            if len(shown) >= 2:
                hi, lo = max(shown, key=lambda r: r["estimate"]), min(shown, key=lambda r: r["estimate"])
                spreads.append((hi["estimate"] - lo["estimate"], by, b, hi, lo))
    said = []
    for by, name, _ in _BREAKDOWNS:
        mine = [x for x in spreads if x[1] == by]
        if mine:
            _, _, b, hi, lo = max(mine, key=lambda x: x[0])
            said.append(f"by {name.lower()}, staff differ most on \u201c{choice_name(b)}\u201d: {choice_name(hi['value'])} "
                        f"{pct(hi['estimate'])} agree, {choice_name(lo['value'])} {pct(lo['estimate'])}")
    text = "; ".join(said)
    reading = (text[:1].upper() + text[1:] + "." if said else
               f"Every profession and organisation is withheld ({m}) here: too few staff in each answered to publish them.")
    threshold = report.rules.professional.min_group_size
    fig = _culture_by_group_figure(index, behaviours, staff, m) if any(has_value(r) for r in index.values() if r["breakdown"]) else None
    withheld = sum(1 for r in index.values() if r["breakdown"] and bool(r["suppressed"]))
    return Block("Culture and behaviour surveys by profession and organisation", reading, figure=fig, table=pd.DataFrame(rows),
                 alt=("Bar charts, one per desired behaviour, of the share of staff agreeing it happens, one bar per profession and "
                      f"organisation with its 95% interval; withheld groups read {m} and have no bar. " + reading),
                 notes=["Staff agreeing or strongly agreeing that the desired behaviour happens in their organisation, among those "
                        "who answered (Don't know and blank left out); higher is better. The chart draws the 95% Wilson intervals; "
                        "they are in indicators.csv too."
                        + (f" In the chart a group withheld for a behaviour has no bar and reads {m} ({withheld} such "
                           f"cells here)." if withheld else ""),
                        f"{m}: withheld: fewer than {threshold} answers in the group, or a group whose figure would give back a smaller "
                        "group's: with all staff and the other groups (which add up to all staff), or, nationally, minus the sites "
                        "that publish theirs (the rest being a site too small to publish its own)."])


def _culture_by_group_figure(index: dict, behaviours: list, staff: list, marker: str):
    """One panel per behaviour, one bar per staff group (all staff, each profession, each organisation)
    from the published rows in ``index``; a withheld group has no bar and reads ``marker``."""
    import textwrap

    import matplotlib.pyplot as plt

    ncols = min(4, len(behaviours))
    nrows = -(-len(behaviours) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(10.5, nrows * (0.26 * len(staff) + 1.3)), squeeze=False)
    for k, (ax, b) in enumerate(zip(axes.flat, behaviours)):
        d = pd.DataFrame([{"staff": label, **({"estimate": np.nan, "lower": np.nan, "upper": np.nan, "suppressed": False} if r is None else
                                              {c: r[c] for c in ("estimate", "lower", "upper", "suppressed")})}
                          for (by, v, label), r in ((s, index.get((b, s[0], s[1]))) for s in staff)])
        plots.share_bars(d, y="staff", marker=marker, ax=ax)
        ax.set_title(textwrap.fill(choice_name(b), 30), fontsize=8)
        ax.set_xticks([0, 50, 100])
        ax.tick_params(axis="x", labelsize=7)
        ax.set_xlabel("% agreeing (95% interval)" if k // ncols == nrows - 1 else "", fontsize=7)
        if k % ncols:
            ax.tick_params(axis="y", labelleft=False)
    for ax in list(axes.flat)[len(behaviours):]:
        ax.axis("off")
    fig.suptitle("Staff agreeing that the desired behaviour happens in their organisation, by profession and organisation "
                 "(higher is better)", fontsize=10)
    fig.tight_layout()
    return fig


def _as_row(r):
    if r is None:
        return None
    return {"estimate": r["estimate"], "lower": r["lower"], "upper": r["upper"], "suppressed": r["suppressed"], "method": "Wilson"}


def observations(report) -> Block | None:
    """Observations of practice: share seen as desired, by behaviour and by setting."""
    import matplotlib.pyplot as plt

    if not report.has("observations"):
        return None
    rows = _published(report, "obs_behaviour_desired")
    if rows.empty:
        return None
    split = rows["group"].str.partition("|")
    rows = rows.assign(behaviour=split[0], setting=split[2])
    overall = rows[rows["setting"] == ""]
    order = {b: i for i, b in enumerate(BEHAVIOURS)}
    overall = overall.assign(_o=overall["behaviour"].map(order)).sort_values("_o")
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(overall) + 1.2))
    plots.share_bars(overall, y="behaviour", labels={b: choice_name(b) for b in BEHAVIOURS}, ax=ax)
    ax.set_title("Observations where the behaviour was seen as desired (higher is better)", fontsize=10)
    fig.tight_layout()
    settings = [s for s in OBSERVATION_SETTINGS if s in set(rows["setting"])]
    table = []
    for b in overall["behaviour"]:
        entry = {"desired behaviour": choice_name(b), "all settings (95% CI)": estimate_text(report.ind("obs_behaviour_desired", b))}
        for s in settings:
            r = report.ind("obs_behaviour_desired", f"{b}|{s}")
            entry[choice_name(s)] = share_text(r, report.rules.marker)
        table.append(entry)
    shown = overall[~overall["suppressed"].astype(bool)]
    if len(shown):
        low = shown.loc[shown["estimate"].idxmin()]
        high = shown.loc[shown["estimate"].idxmax()]
        reading = (f"Seen as desired most often: {choice_name(high['behaviour']).lower()} ({estimate_text(high)}); "
                   f"least often: {choice_name(low['behaviour']).lower()} ({estimate_text(low)}).")
    else:
        reading = "Too few observations to publish the shares for this site."
    return Block("Observations of practice and of meetings", reading, figure=fig, table=pd.DataFrame(table),
                 notes=["Share of observations of each behaviour where it was seen as desired (mixed counts as not desired). "
                        "Observers' notes are never published. [c]: withheld: fewer than 11 observations in the setting, or a "
                        "setting that would give back a smaller one by subtraction from all settings."])


_COMMS = ("comms_promotes_home_first", "comms_plain_language", "comms_sets_expectations", "comms_risk_averse")


def comms(report) -> Block | None:
    """Review of communications: shares of items, by audience and channel, and risk framing."""
    if not report.has("comms_review"):
        return None
    groups = [("", "all items")]
    groups += [(f"audience:{a}", f"for {choice_name(a).lower()}") for a in COMMS_AUDIENCES]
    groups += [(f"channel:{c}", choice_name(c).lower()) for c in COMMS_CHANNELS]
    table = []
    for g, name in groups:
        if report.ind(_COMMS[0], g) is None:
            continue
        entry = {"items": name}
        for ind in _COMMS:
            r = report.ind(ind, g)
            entry[indicator_label(ind) + (" (lower is better)" if ind == "comms_risk_averse" else "")] = (
                estimate_text(r, report.rules.marker) if g == "" else share_text(r, report.rules.marker))
        table.append(entry)
    if not table:
        return None
    framing = [report.ind("comms_risk_framing", "enabling"), report.ind("comms_risk_framing", "neutral"), report.ind("comms_risk_averse")]
    home = report.ind("comms_promotes_home_first")
    averse = report.ind("comms_risk_averse")
    reading = (f"{estimate_text(home)} of the items reviewed promote home first and {estimate_text(averse)} frame risk in a "
               "risk-averse way.")
    notes = ["Items given to people and families, and what is on display, reviewed against the desired behaviours; blank answers "
             "left out; Wilson intervals. [c]: withheld: fewer than 11 items for the audience or in the channel, or one that would "
             "give back a smaller one by subtraction from all items."]
    if all(f is not None for f in framing):
        notes.insert(0, "Risk framing of all items: " + "; ".join(
            f"{choice_name(f).lower()} {share_text(r, report.rules.marker)}"
            for f, r in zip(("enabling", "neutral", "averse"), framing)) + ".")
    return Block("Review of communications", reading, table=pd.DataFrame(table), notes=notes)


def hypotheses(report) -> Block | None:
    """The hypotheses register: behaviour, barrier, linked evidence, the panel's status and flags."""
    if not report.has("hypotheses"):
        return None
    reg = hypothesis_register(report.tables["hypotheses"], report.indicators)
    rows = []
    for hid, g in reg.groupby("hypothesis_id", sort=False):
        first = g.iloc[0]
        judged = g[g["link"].isin(["behaviour", "overall"])]
        context = g[g["link"] == "context"]
        lines = [f"{_evidence_label(r)}: {estimate_text(r)} ({r['reading']}){' [points the other way]' if r['points_other_way'] else ''}"
                 for r in judged.to_dict("records")]
        for ev, c in context.groupby("evidence_indicator", sort=False):
            lines.append(f"{indicator_label(ev)}: {len(c)} groups, shown in their own section (context, not judged)")
        for r in g[g["link"] == "no rows"].to_dict("records"):
            lines.append(f"{indicator_label(r['evidence_indicator'])}: no published figure for this site")
        rows.append({"hypothesis": hid, "desired behaviour": choice_name(first["behaviour"]), "barrier": first["barrier"],
                     "panel's status": choice_name(first["status"]), "evidence": "; ".join(lines) or "none named",
                     "flag": "evidence points the other way" if first["hypothesis_flag"] else ""})
    table = pd.DataFrame(rows)
    flagged = int((table["flag"] != "").sum())
    status = reg.drop_duplicates("hypothesis_id")["status"].value_counts()
    reading = (f"{len(table)} hypotheses: " + ", ".join(f"{int(status.get(s, 0))} {s}" for s in ("verified", "disproved", "open"))
               + f"; {flagged} flagged where published evidence points the other way from the panel's status.")
    return Block("Hypotheses: desired behaviours and the barriers thought to stop them", reading, table=table,
                 notes=["Evidence is read with the indicator's polarity: a proportion whose whole 95% interval lies on the good side of "
                        "one half contradicts the barrier, on the bad side supports it; otherwise, or when withheld, it is not "
                        "conclusive. A verified hypothesis with contradicting evidence, or a disproved one with supporting "
                        "evidence, is flagged for the panel to look at again."])


def _evidence_label(r) -> str:
    group = str(r.get("group") or "")
    parts = [choice_name(p) for p in group.split("|")[1:]] if "|" in group else []
    text = indicator_label(r["evidence_indicator"])
    return text + (f" ({', '.join(p.lower() for p in parts)})" if parts else "")


def _benefits(report):
    if not getattr(report, "benefits_file", None) or not report.has("opportunities"):
        return None, None
    model = BenefitsModel.from_yaml(report.benefits_file)
    # the money figures of the opportunities are driven by the evidence as published, as the
    # benefits section's are (never the exact counts)
    from ..disclosure import disclose_evidence

    return model, model.site(report.data, report.site_id, publish=lambda ev: disclose_evidence(ev, report.rules, report.indicators))


def _no_saving(note) -> str:
    """What a saving cell reads where there is no figure: 'not estimated' (its evidence withheld) or 'not modelled'."""
    return NOT_ESTIMATED if isinstance(note, str) and note.startswith(NOT_ESTIMATED) else "not modelled"


def opportunity_table(report) -> pd.DataFrame:
    """The site's opportunities scored, with benefits where the model can estimate them."""
    opps = report.tables["opportunities"]
    model, res = _benefits(report)
    if model is None:
        return opportunity_scores(opps).assign(central=np.nan, p10=np.nan, p50=np.nan, p90=np.nan, note="benefits model not run")
    return opportunity_benefits(res, opps)


def opportunities(report) -> Block | None:
    """Opportunities: prioritisation chart, status counts and the short list with P10/P50/P90 savings."""
    import matplotlib.pyplot as plt

    if not report.has("opportunities"):
        return None
    table = opportunity_table(report)
    fig, ax = plt.subplots(figsize=(9, 5.5))
    plots.prioritisation_chart(table, ax=ax)
    ax.set_title("Opportunities: impact against ease (size: alignment; score = impact x ease x alignment)", fontsize=10)
    fig.tight_layout()
    counts = status_counts(report.tables["opportunities"])
    short = table[table["status"].astype(str).isin(SHORT_LIST)]
    shown = pd.DataFrame({
        "rank": table["rank"], "opportunity": table["name"], "status": table["status"].map(choice_name),
        "lever": table["lever"].map(choice_name), "score": table["score"],
        "benefit stream": table["benefit_stream"].map(lambda v: "" if pd.isna(v) else choice_name(v)),
        "share of stream": table["share_of_stream"].map(lambda v: "" if pd.isna(v) else f"{100 * float(v):.0f}%"),
        **{col: [_money(v) if pd.notna(v) else _no_saving(n) for v, n in zip(table[key], table["note"])]
           for col, key in (("central saving a year", "central"), ("P10", "p10"), ("P50", "p50"), ("P90", "p90"))},
        "note": table["note"].fillna("")})
    words = {"long_list": "still on the long list", "short_list": "short-listed", "approved": "approved",
             "implementing": "being implemented", "rejected": "rejected"}
    reading = (f"{len(table)} opportunities: " + ", ".join(
        f"{int(n)} {words.get(s, s)}" for s, n in zip(counts["status"].astype(str), counts["opportunities"]) if n) + ".")
    notes = ["Short list: short-listed, approved and implementing opportunities. Savings: the opportunity's share of a stream of "
             "the benefits model, from the model's Monte Carlo (P10 to P90 is an 80% range); where short-listed shares of one "
             "stream add to more than 1 they are scaled down so that the short list never counts a saving twice."]
    model, res = _benefits(report)
    if res is not None and short["central"].notna().any():
        tot = short_list_total(res, table)
        reading += (f" The short list acts on {_money(tot['central'])} a year (P10 {_money(tot['p10'])}, P50 {_money(tot['p50'])}, "
                    f"P90 {_money(tot['p90'])}) of the site's {_money(tot['site_central'])} (P50 {_money(tot['site_p50'])}).")
    if table["central"].isna().all():  # no saving to show: no empty money columns, the reason said once
        reasons = [str(n).removeprefix("not modelled: ") for n in dict.fromkeys(shown["note"]) if isinstance(n, str) and n]
        shown = shown.drop(columns=["central saving a year", "P10", "P50", "P90", "note"])
        notes.append("No savings are shown" + (": " + "; ".join(reasons) if reasons else "") + ".")
    elif (shown["note"] == "").all():  # no column of empty cells
        shown = shown.drop(columns="note")
    return Block("Opportunities: long list, short list and benefits", reading, figure=fig, table=shown, notes=notes)


def interventions(report) -> Block | None:
    """Each intervention with its opportunity, action type, lever, expected saving and SPC verdict."""
    if not report.has("interventions"):
        return None
    ivs = report.tables["interventions"]
    if "opportunity_id" not in ivs.columns or ivs["opportunity_id"].isna().all():
        return None
    flow = report.tables.get("flow_metrics")
    if flow is not None and len(flow):
        table, _ = spc.track_interventions(published_flow(flow, report.site_rules), ivs)
    else:
        table = ivs.assign(verdict_text="no flow metrics to judge it")
    opp = opportunity_table(report).set_index("opportunity_id") if report.has("opportunities") else pd.DataFrame()
    rows = []
    for r in table.to_dict("records"):
        oid = r.get("opportunity_id")
        o = opp.loc[oid] if oid is not None and not pd.isna(oid) and oid in opp.index else None
        saving = ("not modelled" if o is None else _no_saving(o["note"]) if pd.isna(o["central"]) else
                  f"{_money(o['central'])} (P10 {_money(o['p10'])} to P90 {_money(o['p90'])})")
        action = r.get("action_type") if r.get("action_type") is not None else (None if o is None else o["action_type"])
        lever = r.get("lever") if r.get("lever") is not None else (None if o is None else o["lever"])
        rows.append({"intervention": r["name"], "opportunity": "" if o is None else o["name"],
                     "action type": "" if action is None or pd.isna(action) else choice_name(action),
                     "lever": "" if lever is None or pd.isna(lever) else choice_name(lever),
                     "measured on": metric_name(r.get("metric", "")) + (" (proportion)" if r.get("measure") == "proportion" else ""),
                     "expected saving a year": saving, "SPC verdict": r.get("verdict_text", "")})
    shown = pd.DataFrame(rows)
    improved = int((table.get("verdict", pd.Series(dtype=str)) == "special_cause_improvement").sum())
    reading = (f"{len(shown)} intervention{'s' if len(shown) != 1 else ''} linked to opportunities; {improved} "
               f"show{'s' if improved == 1 else ''} special cause improvement on {'its' if improved == 1 else 'their'} metric.")
    return Block("Interventions: from opportunity to measured change", reading, table=shown,
                 notes=["Expected saving: the linked opportunity's share of the benefits model (central, with the 80% range). "
                        "Verdict: XmR chart of the metric (of the monthly proportion where the metric has a denominator), limits "
                        "from the months before the start extended over the months after."])


# ----------------------------------------------------------------------------------------------
# National cross-site view
# ----------------------------------------------------------------------------------------------


def national_culture(report) -> Block | None:
    """Culture across sites: pooled agreement by staff level with the gap, and each site's gaps."""
    import matplotlib.pyplot as plt

    table = culture_table(report.published)
    if table.empty:
        return None
    fig, ax = plt.subplots(figsize=(10, 0.55 * len(table) + 1.2))
    plots.agreement_bars(table, y="behaviour", hue="staff_level", labels={b: choice_name(b) for b in BEHAVIOURS},
                         hue_labels={lv: choice_name(lv) for lv in _LEVEL_ORDER}, ax=ax)
    ax.set_title("All sites pooled: staff agreeing the desired behaviour happens (higher is better)", fontsize=10)
    fig.tight_layout()
    site_ind = report.site_indicators
    names = report.data.sites.set_index("site_id")["site_name"]
    rows = []
    if len(site_ind):
        gaps = site_ind[site_ind["indicator"] == "culture_level_gap"]
        for site, g in gaps.groupby("site_id", sort=True):
            entry = {"site": names.get(site, site)}
            for r in g.to_dict("records"):
                entry[choice_name(r["group"])] = "[c]" if bool(r.get("suppressed")) or pd.isna(r["estimate"]) else points(r["estimate"])
            rows.append(entry)
    pooled = table.drop_duplicates("behaviour")
    above = int((pooled["gap_lower"] > 0).sum())
    reading = (f"Pooled over the sites with culture surveys, senior stakeholders rate {above} of {len(pooled)} behaviours better than "
               "frontline staff (gap interval above zero).")
    return Block("Culture across sites: senior stakeholders and frontline staff", reading, figure=fig,
                 table=pd.DataFrame(rows) if rows else None,
                 notes=["Table: each site's gap, senior minus frontline agreement in percentage points, as the site published it "
                        "([c]: withheld at site level). A gap is neither better nor worse in itself: the smaller it is, the more the two "
                        "levels agree."])


def national_hypotheses(report) -> Block | None:
    """How the sites' panels decided their hypotheses, by behaviour."""
    hyp = report.data.get("hypotheses")
    if hyp is None or hyp.empty:
        return None
    t = pd.crosstab(hyp["behaviour"].astype(str), hyp["status"].astype(str))
    t = t.reindex(index=[b for b in BEHAVIOURS if b in t.index], columns=["verified", "disproved", "open"], fill_value=0)
    shown = t.rename(index=choice_name, columns=choice_name).reset_index().rename(columns={"behaviour": "desired behaviour"})
    shown.columns.name = None
    reading = f"{len(hyp)} hypotheses in {hyp['site_id'].nunique()} sites"
    if t["verified"].max() > 0:
        top = [choice_name(b).lower() for b in t.index[t["verified"] == t["verified"].max()]]
        reading += f"; the barriers most often verified concern {' and '.join(top)} ({int(t['verified'].max())} sites each)"
    return Block("Hypotheses across sites", reading + ".", table=shown,
                 notes=["Number of sites' hypotheses about each behaviour, by the panel's status."])


def _by_lever_and_action(table: pd.DataFrame, across: str, first: str, columns=None) -> pd.DataFrame:
    """Counts by lever, then by action type, against ``across`` (with totals): one table."""
    parts = []
    for col, name in (("lever", "lever"), ("action_type", "action type")):
        t = pd.crosstab(table[col], table[across], margins=True, margins_name="all")
        if columns is not None:
            t = t.reindex(columns=[*columns, "all"], fill_value=0)
        parts.append(t.reset_index().rename(columns={col: first}).assign(by=name))
    shown = pd.concat(parts, ignore_index=True)
    shown = shown[["by", first] + [c for c in shown.columns if c not in ("by", first)]]
    shown.columns.name = None
    return shown


def national_interventions(report) -> Block | None:
    """Interventions by action type and lever, with their SPC verdicts (the seed: most are process led)."""
    iv = report.data.get("interventions")
    if iv is None or iv.empty:
        return None
    fm = report.data.get("flow_metrics")
    if fm is not None and len(fm):
        table, _ = spc.track_interventions(published_flow(fm, report.site_rules), iv)
    else:
        table = iv.assign(verdict_text="not assessed (no flow metrics)")
    opps = report.data.get("opportunities")
    if opps is not None and len(opps):
        link = opps.set_index(["site_id", "opportunity_id"])[["action_type", "lever"]].astype(str)
        for col in ("action_type", "lever"):
            own = table[col] if col in table.columns else pd.Series(None, index=table.index)
            from_opp = [link[col].get((s, o)) if o is not None and not pd.isna(o) else None
                        for s, o in zip(table["site_id"], table.get("opportunity_id", pd.Series(None, index=table.index)))]
            table[col] = [a if a is not None and not pd.isna(a) else b for a, b in zip(own, from_opp)]
    for col in ("action_type", "lever"):
        if col not in table.columns:
            table[col] = None
    table["lever"] = table["lever"].map(lambda v: "not recorded" if v is None or pd.isna(v) else choice_name(v))
    table["action_type"] = table["action_type"].map(lambda v: "not recorded" if v is None or pd.isna(v) else choice_name(v))
    shown = _by_lever_and_action(table, "verdict_text", "interventions by")
    recorded = table[table["lever"] != "not recorded"]
    process = int((recorded["lever"] == choice_name("process")).sum())
    culture_led = int((recorded["lever"] == choice_name("behaviour_culture")).sum())
    reading = (f"{process} of {len(recorded)} interventions with a recorded lever are process or system led and {culture_led} "
               "behaviour or culture led")
    reading += (" (most interventions are process/system led, as the 2019 research found)." if len(recorded) and process > len(recorded) / 2
                else ".")
    return Block("Interventions across sites: action type, lever and verdict", reading, table=shown,
                 notes=["Verdicts from XmR charts of each intervention's metric (statistical process control); the lever and action "
                        "type are the intervention's own, else those of the opportunity it takes forward."])


def national_opportunities(report) -> Block | None:
    """Opportunities across sites by lever and action type, long list against short list."""
    opps = report.data.get("opportunities")
    if opps is None or opps.empty:
        return None
    scored = opportunity_scores(opps)
    named = scored.assign(lever=scored["lever"].astype(str).map(choice_name), action_type=scored["action_type"].astype(str).map(choice_name))
    shown = _by_lever_and_action(named, "list", "opportunities by", columns=["short list", "long list", "rejected"])
    short = scored[scored["list"] == "short list"]
    process = int((short["lever"].astype(str) == "process").sum())
    reading = (f"{len(scored)} opportunities in {scored['site_id'].nunique()} sites; {process} of the {len(short)} on the short list "
               "pull a process or system lever.")
    return Block("Opportunities across sites: lever and action type", reading, table=shown,
                 notes=["Short list: short-listed, approved and implementing opportunities."])
