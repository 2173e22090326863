"""Benefits sections: what a site's own evidence implies for spending, and the extrapolation to England.

The model is :mod:`homekit.benefits` (no presentation there); these functions only present it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import plots
from ..benefits import STREAM_NAMES, STREAMS, BenefitsModel, SiteBenefits, _money, national_estimate
from ..disclosure import disclose_evidence
from ._format import Block

__all__ = ["benefits", "benefits_block", "national_block"]


def benefits(report) -> Block | None:
    if not report.benefits_file or not report.has("case_reviews"):
        return None
    model = BenefitsModel.from_yaml(report.benefits_file)
    # the money figures are driven by the evidence as published (rounded counts), never the exact one
    res = model.site(report.data, report.site_id, publish=lambda ev: disclose_evidence(ev, report.rules, report.indicators))
    if res is None:
        return None
    block = benefits_block(model, res, report.name, count_format=report.count, pair_format=_pair_format(report))
    block.intro = "What the site's own evidence implies for spending, with its uncertainty."
    return block


def _pair_format(report):
    """``x of n`` people as the site publishes them. The improvable discharges with the alternative
    available are the site's published row (``case_alternative_available``, decision point
    discharge, and its base of discharges), never a count rounded beside it: a red-team review read
    a withheld cell off this line. Other pairs are withheld where ``x`` or ``n - x`` is 1 to 7."""
    from ..disclosure import publish_count

    def pair(x, n, what=""):
        if what == "discharge":  # (the evidence already holds the published row, see disclose_evidence)
            imp = report.ind("case_decision_improvable", "decision_point:discharge")
            base = report.rules.marker if imp is None or pd.isna(imp["denominator"]) else f"{int(imp['denominator']):,}"
            return (report.rules.marker, base) if n == 0 else (f"{int(x):,}", f"{int(n):,}")
        small_rest = x is not None and n is not None and publish_count(n - x, report.rules) == report.rules.marker
        return (report.rules.marker if small_rest else report.count(x)), report.count(n)

    return pair


def benefits_block(model: BenefitsModel, result: SiteBenefits, name: str, count_format=None, pair_format=None):
    """The benefits section of a report; ``count_format`` publishes counts and ``pair_format``
    ``(x, n, what)`` pairs of counts (site disclosure)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 3.8))
    plots.tornado_plot(result, ax=ax)
    ax.set_title(f"What the estimate for {name} depends on (one-way sensitivity)")
    fig.tight_layout()
    mc = result.monte_carlo.set_index("stream")
    ev = result.evidence
    rows = []
    for k in (*STREAMS, "total"):
        if k in ev.withheld:
            rows.append({"stream": STREAM_NAMES.get(k, k), **{c: "not estimated" for c in ("central estimate", "P10", "P50", "P90")}})
            continue
        rows.append({"stream": STREAM_NAMES.get(k, "Total"), "central estimate": _money(result.streams[k] if k in result.streams else result.total),
                     "P10": _money(mc.loc[k, "p10"]), "P50": _money(mc.loc[k, "p50"]), "P90": _money(mc.loc[k, "p90"])})
    reading = (f"A potential {_money(result.total)} a year at {model.price_year} prices (80% range {_money(mc.loc['total', 'p10'])} to "
               f"{_money(mc.loc['total', 'p90'])}). {result.drivers}")
    c = count_format or (lambda v: f"{v:,.0f}")
    pair = pair_format or (lambda x, n, what="": (c(x), c(n)))
    (ch, ch_n), (adm, adm_n), (dis, dis_n) = (pair(ev.care_home_avoidable, ev.care_home_cases), pair(ev.admission_avoidable, ev.admission_cases),
                                              pair(ev.discharge_improvable, ev.discharge_cases, "discharge"))
    notes = [f"Evidence: {ch} of {ch_n} reviewed care home placements avoidable; "
             f"{adm} of {adm_n} reviewed admissions; {dis} of "
             f"{dis_n} discharges improvable with the alternative available. Flow (latest 12 months): "
             f"{c(ev.care_home_admissions or 0)} care home admissions, {c(ev.non_elective_admissions or 0)} non-elective admissions, "
             f"{c(ev.delayed_days or 0)} delayed days.",
             f"Parameters from {Path(model.source_file).name}; Monte Carlo of {model.draws:,} draws (seed {model.seed})."]
    if ev.withheld:
        notes.insert(1, "Not estimated here: " + ", ".join(STREAM_NAMES.get(k, k) for k in ev.withheld)
                     + " (its evidence, the improvable discharges with the alternative available, is withheld by disclosure control, "
                       "and a money figure would give it back); the total leaves it out.")
    return Block("Benefits", reading, figure=fig, table=pd.DataFrame(rows), notes=notes)


def national_block(model: BenefitsModel, data, rules=None, published_sites=None):
    """The national benefits: each site's figures from its evidence as that site publishes it
    (``published_sites``: the sites' published rows), so a site's row here is the one its own
    report shows (a withheld stream left out here too, or national minus the sites gives it back)."""
    import matplotlib.pyplot as plt

    def publish(ev):
        mine = None if published_sites is None else published_sites[published_sites["site_id"].astype(str) == str(ev.site_id)]
        return disclose_evidence(ev, rules, mine)

    est = national_estimate(model, data, publish=None if rules is None else publish)
    if not est["results"]:
        return None
    names = data.sites.set_index("site_id")["site_name"]
    rows = [{"site": names[r.site_id], "social care": _money(r.streams["social_care"]),
             "NHS": _money(r.streams["nhs_admissions"] + r.streams["nhs_bed_days"]), "total": _money(r.total),
             "per 1,000 people 65+": _money(r.total / r.evidence.population_65plus * 1000)} for r in est["results"]]
    fig, ax = plt.subplots(figsize=(7, 3.2))
    labels = ["Social care", "NHS"]
    ours = [est["social_care"] / 1e6, est["nhs"] / 1e6]
    seed = [est["published_social"] / 1e6, est["published_nhs"] / 1e6]
    x = np.arange(2)
    bars = ax.bar(x - 0.2, ours, 0.4, label=f"homekit extrapolation ({model.price_year} prices)", color="#08519c")
    ax.bar_label(bars, labels=[_money(v * 1e6) for v in ours], fontsize=8, padding=2)
    bars = ax.bar(x + 0.2, seed, 0.4, label=f"published (2013), at {model.price_year} prices", color="#bdbdbd")
    ax.bar_label(bars, labels=[_money(v * 1e6) for v in seed], fontsize=8, padding=2)
    ax.set_ylim(0, max(ours + seed) * 1.25)
    ax.set_xticks(x)
    ax.set_xticklabels(labels)
    ax.set_ylabel("£ million a year, England")
    ax.legend(fontsize=8, frameon=False)
    ax.set_title("Potential annual savings extrapolated to England")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    # The words read the bars: both pairs at the model's price year, the published figures also as published.
    params = model.parameters
    as_published = {k: (params[k].value, params[k].price_year) for k in ("published_social_care_saving", "published_nhs_saving")}
    reading = (f"Extrapolated by population 65+ from {len(est['results'])} sites with case reviews: {_money(est['social_care'])} a year to social care "
               f"and {_money(est['nhs'])} to the NHS at {model.price_year} prices (blue bars), against the published "
               f"{_money(est['published_social'])} and {_money(est['published_nhs'])} at {model.price_year} prices (grey bars; "
               f"published as {_money(as_published['published_social_care_saving'][0])} and "
               f"{_money(as_published['published_nhs_saving'][0])} at {as_published['published_nhs_saving'][1]} prices).")
    notes = ["Why the figures differ from the published ones: the published figures were modelled in 2013 from the first sites' "
             "workshops, in 2013 prices; these are driven by each site's own case reviews and flow, at today's prices; "
             "only sites with case reviews contribute, and their populations may not represent England; the realisation "
             "rate (how much of the improvable practice a site can change) is an assumption tested in the sensitivity analysis.",
             f"Summed site P10 to P90, scaled: {_money(est['p10'])} to {_money(est['p90'])} (a conservative band)."]
    return Block("Benefits, extrapolated to England", reading, figure=fig, table=pd.DataFrame(rows), notes=notes)
