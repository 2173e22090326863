"""Older people survey sections: influencers, planning ahead, trust in GP advice."""

from __future__ import annotations

import pandas as pd

from .. import plots
from ..instruments import INSTRUMENTS, group_label
from ._format import direction_text, Block, estimate_text, has_value


def older_people(report) -> Block | None:
    import matplotlib.pyplot as plt

    if not report.has("older_people_survey"):
        return None
    m = report.rules.marker
    ind = report.indicators
    infl = ind[ind.indicator == "op_influenced_by"].copy()
    infl["label"] = [group_label(g)[:1].upper() + group_label(g)[1:] for g in infl["group"]]
    fig = None
    if any(has_value(r) for r in infl.to_dict("records")):
        fig, ax = plt.subplots(figsize=(7, 3))
        plots.forest_plot(infl, y="label", ax=ax, withheld=m)
        plots.percent_axis(ax)
        ax.set_title(f"Who influenced older people's decisions about care (% yes; {direction_text('op_influenced_by')})")
        fig.tight_layout()
    p = report.ind("op_planned_ahead")
    g = report.ind("op_influenced_by_gp")
    reading = (f"Older people who planned their move into care before a crisis: {estimate_text(p, m)}; "
               f"whose decisions their GP influenced: {estimate_text(g, m)}.")
    groups = list(INSTRUMENTS["older_people_survey"].column("most_influential").choices.levels)
    table = report.headline_rows(["op_planned_ahead", "op_influenced_by_gp", "op_trust_gp_advice"])
    most = report.headline_rows(["op_most_influential"], groups)
    notes = [] if fig is not None else [f"Who influenced decisions is withheld ({m}) for every group at this site."]
    return Block("Older people", reading, figure=fig, table=pd.concat([table, most], ignore_index=True), notes=notes,
                 intro="Who influences decisions about care, and whether people planned ahead.",
                 alt="Dot plot with intervals: the share of older people each group influenced. " + reading)
