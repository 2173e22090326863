"""Tracking interventions with statistical process control (XmR charts)."""

from __future__ import annotations

import pandas as pd

from .. import plots, spc
from ..instruments import METRIC_NAMES
from ._format import Block
from .flow import PUBLISHED_SERIES_NOTE, published_flow

_BETTER = {"up": "higher is better", "down": "lower is better"}


def metric_name(metric: str) -> str:
    """A flow metric's reader-facing name (custom metrics keep their id, spaced)."""
    if metric in METRIC_NAMES:
        return METRIC_NAMES[metric]
    words = str(metric).replace("_", " ")
    return words[:1].upper() + words[1:]


def intervention_table(table: pd.DataFrame, names: pd.Series | None = None) -> pd.DataFrame:
    """The interventions tracked, for a reader: names from the dictionary, months as months."""
    rows = []
    for r in table.to_dict("records"):
        row = {} if names is None else {"site": names.get(r["site_id"], r["site_id"])}
        row.update({"intervention": r["name"], "target metric": metric_name(r["metric"]),
                    "which way is better": _BETTER.get(r.get("desired_direction"), ""),
                    "started": pd.Period(r["start_period"], freq="M").strftime("%b %Y"),
                    "months before": r["n_before"], "months after": r["n_after"], "verdict": r["verdict_text"]})
        if "assurance" in r:
            row["target"] = r["assurance"] if isinstance(r["assurance"], str) else "no target set"
        row["note"] = r.get("note") or ""
        rows.append(row)
    out = pd.DataFrame(rows)
    if len(out) and (out["note"] == "").all():  # no column of empty cells
        out = out.drop(columns="note")
    return out


def tracking(report) -> Block | None:
    import matplotlib.pyplot as plt

    if not (report.has("interventions") and report.has("flow_metrics")):
        return None
    intro = "Each intervention's target metric month by month: did it move by more than chance?"
    # judged on the months as they are published, so the chart draws nothing that is not (limits and verdict included)
    table, tracked = spc.track_interventions(published_flow(report.tables["flow_metrics"], report.site_rules), report.tables["interventions"])
    if not tracked:
        return Block("Tracking interventions", "Not enough monthly data before and after the start to judge any intervention.",
                     table=intervention_table(table), intro=intro)
    fig, axes = plt.subplots(len(tracked), 1, figsize=(10, 3.6 * len(tracked)), squeeze=False)
    measures = dict(zip(table["intervention_id"], table["measure"]))
    for ax, t in zip(axes[:, 0], tracked):
        # The limits the verdict is judged against: the months before the start, extended over the months after.
        chart = t.chart
        if measures.get(t.intervention["intervention_id"]) == "proportion":  # a monthly share, drawn as a percentage
            chart = chart.assign(**{c: chart[c] * 100 for c in ("y", "mean", "lpl", "upl")})
            ax.set_ylabel("% of the month's total", fontsize=8)
        chart = chart.assign(x=[pd.Period(p, freq="M").strftime("%b %Y") for p in chart["x"]])
        start = pd.Period(t.intervention["start_period"], freq="M").strftime("%b %Y")
        n_before = int((chart["segment"] == 0).sum())
        plots.spc_chart(chart, start=start, verdict=t.verdict,
                        limits_label=f"Mean and process limits: from the {n_before} months before the start, extended over the months after",
                        title=f"{t.intervention['name']}: {metric_name(t.intervention['metric'])} "
                              f"({_BETTER.get(t.intervention['desired_direction'], '')})", ax=ax)
    fig.tight_layout()
    reading = "; ".join(f"{r['name']}: {r['verdict_text']}" for r in table.to_dict("records")) + "."
    return Block("Tracking interventions (statistical process control)", reading, figure=fig, table=intervention_table(table),
                 intro=intro,
                 notes=["XmR charts (Making Data Count): limits from the months before the start are extended to judge the months after, "
                        "and a run of points counts only if it lies wholly after the start; the chart draws those limits (mean solid, process "
                        "limits dashed), the ones the verdict is judged against. Special cause improvement: blue up-triangles; concern: orange "
                        "down-triangles; common cause: grey circles."] + ([PUBLISHED_SERIES_NOTE + " The limits and verdicts are computed from "
                        "these published months, so they reveal nothing the points do not."] if report.site_rules.apply else []),
                 alt="Statistical process control chart of each intervention's target metric by month, with the limits of the "
                     "months before the start extended over the months after, and the start marked. " + reading)
