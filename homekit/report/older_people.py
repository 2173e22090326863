"""Older people survey sections: influencers, planning ahead, trust in GP advice."""

from __future__ import annotations

import pandas as pd

from .. import plots
from ..instruments import INSTRUMENTS
from ._format import Block, estimate_text


def older_people(report) -> Block | None:
    import matplotlib.pyplot as plt

    if not report.has("older_people_survey"):
        return None
    ind = report.indicators
    infl = ind[ind.indicator == "op_influenced_by"].copy()
    infl["label"] = infl["group"].map({"gp": "GP", "family": "Family", "social_worker": "Social worker",
                                       "hospital_staff": "Hospital staff", "friends": "Friends", "self": "Themselves"})
    fig, ax = plt.subplots(figsize=(7, 3))
    plots.forest_plot(infl, y="label", ax=ax)
    ax.set_xlim(0, 100)
    ax.set_title("Who influenced older people's decisions about care (% yes)")
    fig.tight_layout()
    p = report.ind("op_planned_ahead")
    g = report.ind("op_influenced_by_gp")
    reading = f"Only {estimate_text(p)} planned their move into care before a crisis; GPs influenced {estimate_text(g)}."
    groups = list(INSTRUMENTS["older_people_survey"].column("most_influential").choices.levels)
    table = report.headline_rows(["op_planned_ahead", "op_influenced_by_gp", "op_trust_gp_advice"])
    most = report.headline_rows(["op_most_influential"], groups)
    return Block("Older people", reading, figure=fig, table=pd.concat([table, most], ignore_index=True))
