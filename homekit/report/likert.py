"""Likert answers drawn as diverging bars, collapsed to negative / middle / positive for disclosure at site level."""

from __future__ import annotations

import textwrap

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


def item_label(instrument: str, item: str, width: int = 45) -> str:
    """An item's question from the data dictionary, wrapped for a chart's axis."""
    return textwrap.fill(INSTRUMENTS[instrument].column(item).question, width)


def likert_figure(report, df, instrument, items, title, by="item", labels=None):
    """Diverging bars of ``items`` (one panel per answer scale), collapsed and disclosed for a site.

    Returns ``(figure, notes)``; the figure is ``None`` when no item can be drawn (the notes say why).
    """
    import matplotlib.pyplot as plt

    labels = labels or {it: item_label(instrument, it) for it in items}
    by_scale: dict[str, list[str]] = {}
    for it in items:
        by_scale.setdefault(INSTRUMENTS[instrument].column(it).choices.name, []).append(it)
    panels = []
    hidden = []
    for scale, its in by_scale.items():
        dist = likert_distribution(df, its, by=[])
        coll, levels = collapsed_likert(dist, scale)
        shown = disclose_distribution(coll, report.rules)
        drawn = [i for i in its if i in set(shown["item"])]
        hidden += [i for i in its if i not in drawn]
        if drawn:
            panels.append((drawn, shown, levels))
    why = (f"Not drawn ({report.rules.marker}: an answer given by fewer than {report.rules.suppress_counts_to + 1} people): "
           + "; ".join(labels[i].replace(chr(10), " ") for i in hidden) + ".")
    if not panels:
        return None, [why]
    heights = [0.75 * len(drawn) + 1.1 for drawn, _, _ in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, sum(heights) + 0.6), gridspec_kw={"height_ratios": heights}, squeeze=False)
    for ax, (drawn, shown, levels) in zip(axes[:, 0], panels):
        plots.likert_bars(shown, level_order=levels, order=drawn, labels=labels, ax=ax, count_format=report.count)
    axes[0, 0].set_title(title)
    fig.tight_layout()
    return fig, [why] if hidden else []
