"""Likert answers drawn as diverging bars, collapsed to negative / middle / positive for disclosure at site level."""

from __future__ import annotations

import pandas as pd

from .. import plots
from ..disclosure import DisclosureRules
from ..indicators import likert_distribution
from ..instruments import INSTRUMENTS


_LIKERT_GROUPS = {
    "quality5": (["Very poor", "Poor"], ["Neither good nor poor"], ["Good", "Very good"], ("Poor or very poor", "Neither", "Good or very good")),
    "agree4": (["Strongly disagree", "Disagree"], [], ["Agree", "Strongly agree"], ("Disagree", None, "Agree")),
    "value4": (["Would not value at all", "Would not value"], [], ["Would value", "Would strongly value"], ("Would not value", None, "Would value")),
    "frequency5": (["Never", "Infrequently"], ["Sometimes"], ["Frequently", "Very frequently"], ("Never or infrequently", "Sometimes", "Frequently or more")),
}


def collapsed_likert(dist: pd.DataFrame, scale: str) -> tuple[pd.DataFrame, list[str]]:
    """A Likert distribution collapsed to negative / middle / positive (for disclosure at site level)."""
    neg, mid, pos, names = _LIKERT_GROUPS[scale]
    mapping = {**{lv: names[0] for lv in neg}, **{lv: names[1] for lv in mid}, **{lv: names[2] for lv in pos}}
    d = dist.copy()
    d["level"] = [mapping.get(lv, lv) for lv in d["level"].astype(str)]
    keys = [c for c in d.columns if c not in ("level", "code", "count", "share")]
    out = d.groupby(keys + ["level"], sort=False, observed=True)["count"].sum().reset_index()
    return out, [n for n in names if n is not None]


def disclose_distribution(dist: pd.DataFrame, rules: DisclosureRules, by: str = "item") -> pd.DataFrame:
    """Drop every bar (``by`` value) that has a suppressed answer level. Counts stay exact so that
    the drawn shares are exact; the counts written on the chart go through ``publish_count``."""
    if not rules.apply:
        return dist
    answers = ~dist["level"].isin(["blank", "dont_know", "not_applicable"])
    bad = set(dist.loc[answers & rules.small(dist["count"]), by])
    return dist.loc[~dist[by].isin(bad)].copy()


def likert_figure(report, df, instrument, items, title, by="item", labels=None):
    import matplotlib.pyplot as plt

    by_scale: dict[str, list[str]] = {}
    for it in items:
        by_scale.setdefault(INSTRUMENTS[instrument].column(it).choices.name, []).append(it)
    panels = []
    for scale, its in by_scale.items():
        dist = likert_distribution(df, its, by=[])
        coll, levels = collapsed_likert(dist, scale)
        shown = disclose_distribution(coll, report.rules)
        panels.append((scale, its, shown, levels))
    heights = [max(1.2, 0.55 * len([i for i in p[1] if i in set(p[2]["item"])]) + 0.9) if set(p[1]) & set(p[2]["item"]) else 0.5
               for p in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, sum(heights) + 0.6), gridspec_kw={"height_ratios": heights}, squeeze=False)
    hidden = []
    for ax, (scale, its, shown, levels) in zip(axes[:, 0], panels):
        drawn = [i for i in its if i in set(shown["item"])]
        hidden += [i for i in its if i not in drawn]
        if drawn:
            plots.likert_bars(shown, level_order=levels, order=drawn, labels=labels, ax=ax, count_format=report.count)
        else:
            ax.axis("off")
            ax.text(0.5, 0.5, "[c] too few answers to show", ha="center", va="center", transform=ax.transAxes)
    axes[0, 0].set_title(title)
    fig.tight_layout()
    notes = [f"Not drawn ([c]: fewer than 8 answers in a level): {', '.join(hidden)}."] if hidden else []
    return fig, notes
