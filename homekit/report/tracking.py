"""Tracking interventions with statistical process control (XmR charts)."""

from __future__ import annotations

import numpy as np

from .. import plots, spc
from ._format import Block


def tracking(report) -> Block | None:
    import matplotlib.pyplot as plt

    if not (report.has("interventions") and report.has("flow_metrics")):
        return None
    table, tracked = spc.track_interventions(report.tables["flow_metrics"], report.tables["interventions"])
    if not tracked:
        return Block("Tracking interventions", "Not enough monthly data to judge the interventions.", table=table)
    fig, axes = plt.subplots(len(tracked), 1, figsize=(10, 3.2 * len(tracked)), squeeze=False)
    for ax, t in zip(axes[:, 0], tracked):
        chart = t.rebased.assign(point_type=t.chart["point_type"].to_numpy())
        if report.rules.apply:
            chart = chart.assign(y=np.where(report.rules.small(chart["y"]), np.nan, chart["y"]))
        plots.spc_chart(chart, start=t.intervention["start_period"], verdict=t.verdict,
                      title=f"{t.intervention['name']}: {t.intervention['metric'].replace('_', ' ')} (improvement is {t.intervention['desired_direction']})",
                      ax=ax)
    fig.tight_layout()
    reading = "; ".join(f"{r['name']}: {r['verdict_text']}" for r in table.to_dict("records")) + "."
    shown = table.assign(assurance=table["assurance"].fillna("no target set"))[
        ["name", "metric", "start_period", "n_before", "n_after", "verdict_text", "assurance", "note"]].rename(
        columns={"verdict_text": "verdict", "n_before": "months before", "n_after": "months after"})
    return Block("Tracking interventions (statistical process control)", reading, figure=fig, table=shown,
                 notes=["XmR charts (Making Data Count): limits from the months before the start are extended to judge the months after; "
                        "the chart shows limits rebased at the start. Blue points: special cause improvement; orange: concern; grey: common cause."])
