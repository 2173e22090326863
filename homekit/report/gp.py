"""GP survey sections: relationships and trust, the perception gap, motivators."""

from __future__ import annotations

import pandas as pd

from .. import plots
from ..instruments import SERVICE_NAMES
from ._format import Block, direction_text, estimate_text, has_value, pct
from .likert import likert_figure


def gp_relationships(report) -> Block | None:
    if not report.has("gp_survey"):
        return None
    gp = report.tables["gp_survey"]
    items = ["relationship_social_care", "trust_asc", "trust_discharge_team", "value_closer_links"]
    fig, notes = likert_figure(report, gp, "gp_survey", items, "GP relationships and trust with social care")
    ids = ["gp_relationship_poor", "gp_trust_asc", "gp_trust_discharge_team", "gp_value_closer_links",
           "gp_strongly_value_closer_links", "gp_social_care_better_assessor", "gp_gp_better_assessor"]
    table = report.headline_rows(ids)
    m = report.rules.marker
    r = report.ind("gp_relationship_poor")
    t = report.ind("gp_trust_asc")
    reading = f"{estimate_text(r, m)} of GPs rate their relationship with social care poor; {estimate_text(t, m)} trust adult social care."
    return Block("GP relationships and trust", reading, figure=fig, table=table, notes=notes,
                 intro="How GPs rate their relationship with social care, whom they trust, and whether they want closer links.",
                 alt="Diverging bars of GPs' answers on their relationship with social care, trust and closer links. " + reading)


def perception_gap(report) -> Block | None:
    import matplotlib.pyplot as plt

    if not report.has("gp_survey"):
        return None
    ind = report.indicators
    un = ind[ind.indicator == "gp_unaware_service"].set_index("group")
    poor = ind[ind.indicator == "gp_service_rated_poor"].set_index("group")
    services = [s for s in SERVICE_NAMES if s in un.index]
    if not services:
        return None
    m = report.rules.marker
    unaware_head = f"unaware (95% CI), {direction_text('gp_unaware_service')}"
    poor_head = f"aware GPs rating it poor (95% CI), {direction_text('gp_service_rated_poor')}"
    table = pd.DataFrame([{"service": SERVICE_NAMES[s], unaware_head: estimate_text(report.ind("gp_unaware_service", s), m),
                           poor_head: estimate_text(report.ind("gp_service_rated_poor", s), m)}
                          for s in services])
    shown_un = [s for s in services if has_value(report.ind("gp_unaware_service", s))]
    shown_poor = [s for s in services if has_value(report.ind("gp_service_rated_poor", s))]
    fig = None
    # a panel with no published point is no empty frame of markers: it is left out and a note says why
    panels = [(frame, title) for frame, title, shown in (
        (un, f"% of GPs unaware (services the site provides; {direction_text('gp_unaware_service')})", shown_un),
        (poor, f"% of aware GPs rating it poor ({direction_text('gp_service_rated_poor')})", shown_poor)) if shown]
    notes = []
    if not shown_poor and shown_un:
        notes.append(f"No chart of aware GPs rating services poor: every service's figure is withheld ({m}) at this site.")
    if not shown_un and shown_poor:
        notes.append(f"No chart of GPs unaware of services: every service's figure is withheld ({m}) at this site.")
    if panels:
        fig, axes = plt.subplots(1, len(panels), figsize=(10 if len(panels) == 2 else 7, 3.8), sharey=True, squeeze=False)
        for ax, (frame, title) in zip(axes[0], panels):
            d = frame.reindex(services).reset_index().rename(columns={"index": "group"})
            d["label"] = [SERVICE_NAMES[s] for s in services]
            plots.forest_plot(d, y="label", ax=ax, withheld=m)
            plots.percent_axis(ax)
            ax.set_title(title, fontsize=10)
        fig.suptitle("Perception gap: awareness and rated quality of services")
        fig.tight_layout()
    if shown_un:
        most = max(shown_un, key=lambda s: report.ind("gp_unaware_service", s)["estimate"])
        reading = (f"The service GPs most often do not know is {SERVICE_NAMES[most].lower()}: "
                   f"{estimate_text(report.ind('gp_unaware_service', most), m)} of GPs are unaware of it where it is provided.")
    else:
        reading = f"Awareness of every service is withheld ({m}) at this site: too few GPs answered."
    return Block("Perception gap", reading, figure=fig, table=table, notes=notes,
                 intro="A service GPs do not know about, or do not trust, is as good as missing.",
                 alt="Two dot plots with intervals, one row per service: the share of GPs unaware of it and the share of aware GPs "
                     f"rating it poor; withheld rows read {m}. " + reading)


def motivators(report) -> Block | None:
    import matplotlib.pyplot as plt

    ids = ["gp_motivated_fewer_home_visits", "gp_motivated_financial_incentive"]
    rows = [report.ind(i) for i in ids]
    if all(r is None for r in rows):
        return None
    m = report.rules.marker
    fig = None
    if any(has_value(r) for r in rows):
        d = pd.DataFrame([{**r, "label": lab, "national": report.national_estimate(i)}
                          for i, r, lab in zip(ids, rows, ["Fewer home visits", "Financial incentive"]) if r is not None])
        fig, ax = plt.subplots(figsize=(7, 2.2))
        plots.forest_plot(d, y="label", ax=ax, reference="national" if d["national"].notna().any() else None,
                          reference_label="national figure for the row", withheld=m)
        plots.percent_axis(ax)
        ax.set_title("What would motivate GPs' advice on residential care")
        fig.tight_layout()
    reading = (f"{estimate_text(rows[0], m)} of GPs say fewer home visits would motivate their advice on residential care; "
               f"{estimate_text(rows[1], m)} a financial incentive.")
    nat = [report.national_estimate(i) for i in ids]
    alt = reading + (f" National figures: {pct(nat[0])} and {pct(nat[1])}." if report.national is not None else "")
    return Block("Motivators", reading, figure=fig, table=report.headline_rows(ids), alt=alt)
