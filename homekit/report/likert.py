"""Likert answers drawn as diverging bars, collapsed to negative / middle / positive.

What is drawn comes only from the published (gated) rows: the top-two and bottom-two counts and
the base of each item (``<prefix>likert_top2``, ``<prefix>likert_bottom2``), the middle as the base
minus both, and the missing answers (``<prefix>likert_missing``). An item whose top-two or
bottom-two row is withheld is not drawn.
"""

from __future__ import annotations

import textwrap

import pandas as pd

from .. import plots
from ..instruments import INSTRUMENTS

_LIKERT_GROUPS = {
    "quality5": (["Very poor", "Poor"], ["Neither good nor poor"], ["Good", "Very good"], ("Poor or very poor", "Neither", "Good or very good")),
    "agree4": (["Strongly disagree", "Disagree"], [], ["Agree", "Strongly agree"], ("Disagree", None, "Agree")),
    "value4": (["Would not value at all", "Would not value"], [], ["Would value", "Would strongly value"], ("Would not value", None, "Would value")),
    "frequency5": (["Never", "Infrequently"], ["Sometimes"], ["Frequently", "Very frequently"], ("Never or infrequently", "Sometimes", "Frequently or more")),
}

#: Indicator prefix of each instrument's Likert rows.
PREFIX = {"gp_survey": "gp_", "older_people_survey": "op_"}


def collapsed_likert(dist: pd.DataFrame, scale: str) -> tuple[pd.DataFrame, list[str]]:
    """A Likert distribution collapsed to negative / middle / positive."""
    neg, mid, pos, names = _LIKERT_GROUPS[scale]
    mapping = {**{lv: names[0] for lv in neg}, **{lv: names[1] for lv in mid}, **{lv: names[2] for lv in pos}}
    d = dist.copy()
    d["level"] = [mapping.get(lv, lv) for lv in d["level"].astype(str)]
    keys = [c for c in d.columns if c not in ("level", "code", "count", "share")]
    out = d.groupby(keys + ["level"], sort=False, observed=True)["count"].sum().reset_index()
    return out, [n for n in names if n is not None]


def published_distribution(indicators: pd.DataFrame, prefix: str, items, scale: str) -> pd.DataFrame:
    """Collapsed answers of ``items`` as published: ``item, level, count`` (a withheld missing count is -1).

    Items whose top-two or bottom-two row is withheld are left out.
    """
    neg, mid, pos, names = _LIKERT_GROUPS[scale]
    pub = indicators.set_index(["indicator", "group"])
    rows = []
    for it in items:
        try:
            top = pub.loc[(f"{prefix}likert_top2", it)]
            bottom = pub.loc[(f"{prefix}likert_bottom2", it)]
        except KeyError:
            continue
        if bool(top["suppressed"]) or bool(bottom["suppressed"]) or pd.isna(top["denominator"]) or not top["denominator"] > 0:
            continue
        rows.append({"item": it, "level": names[0], "count": bottom["numerator"]})
        if names[1] is not None:
            rows.append({"item": it, "level": names[1], "count": top["denominator"] - top["numerator"] - bottom["numerator"]})
        rows.append({"item": it, "level": names[2], "count": top["numerator"]})
        key = (f"{prefix}likert_missing", it)
        if key in pub.index:
            m = pub.loc[key]
            rows.append({"item": it, "level": "blank", "count": -1.0 if bool(m["suppressed"]) or pd.isna(m["numerator"]) else m["numerator"]})
    return pd.DataFrame(rows, columns=["item", "level", "count"])


def _published_count(v) -> str:
    """Counts beside the bars are already published figures; -1 marks a withheld one."""
    if v is None or pd.isna(v) or v < 0:
        return "[c]"
    return f"{int(v):,}"


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
        shown = published_distribution(report.indicators, PREFIX[instrument], its, scale)
        levels = [n for n in _LIKERT_GROUPS[scale][3] if n is not None]
        drawn = [i for i in its if i in set(shown["item"])]
        hidden += [(labels or {}).get(i, i) for i in its if i not in drawn]
        if drawn:
            panels.append((drawn, shown, levels))
    why = (f"Not drawn ({report.rules.marker}: withheld by disclosure control): "
           + "; ".join(h.replace(chr(10), " ") for h in hidden) + ".")
    if not panels:
        return None, [why]
    heights = [0.75 * len(drawn) + 1.1 for drawn, _, _ in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, sum(heights) + 0.6), gridspec_kw={"height_ratios": heights}, squeeze=False)
    for ax, (drawn, shown, levels) in zip(axes[:, 0], panels):
        # the counts beside the bars are the published figures already
        plots.likert_bars(shown, level_order=levels, order=drawn, labels=labels, ax=ax, count_format=_published_count)
    axes[0, 0].set_title(title)
    fig.tight_layout()
    return fig, [why] if hidden else []


__all__ = ["collapsed_likert", "published_distribution", "likert_figure", "item_label", "PREFIX"]
