"""Plot helpers in the seaborn style: ``f(data=None, *, x=..., ax=None, **kwargs) -> Axes``.

They draw on the Axes they are given (or the current one), never call ``show()`` or
``savefig()``, and never draw a value that disclosure control suppressed: rows with
``suppressed == True`` are left out (heatmap cells read "[c]").
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from . import spc, stats
from .instruments import PROFESSIONS

if TYPE_CHECKING:
    from .benefits import SiteBenefits

__all__ = ["interval_errors", "percent_axis", "likert_bars", "diverging_bars", "agreement_bars", "share_bars", "prioritisation_chart", "matrix_heatmap", "forest_plot", "funnel_plot", "transition_heatmap", "spc_chart", "tornado_plot", "spine_chart", "PALETTE", "SPC_COLOURS", "COMPARISON_COLOURS", "COMPARISON_MARKERS"]

#: Colours: negative to positive levels (ColorBrewer RdBu, colour-blind safe), neutral grey.
PALETTE = {
    2: ["#ca0020", "#0571b0"],
    3: ["#ca0020", "#bababa", "#0571b0"],
    4: ["#ca0020", "#f4a582", "#92c5de", "#0571b0"],
    5: ["#ca0020", "#f4a582", "#d9d9d9", "#92c5de", "#0571b0"],
}
_MISSING_LEVELS = ("blank", "dont_know", "not_applicable")


def interval_errors(estimate, lower, upper, scale: float = 1.0) -> np.ndarray:
    """Error-bar lengths below and above an estimate, never negative (rounding can put a limit a
    hair on the wrong side of an estimate of 0 or 1); missing limits draw no bar."""
    e, lo, hi = (np.asarray(v, float) for v in (estimate, lower, upper))
    below = np.nan_to_num(np.maximum(e - lo, 0) * scale)
    above = np.nan_to_num(np.maximum(hi - e, 0) * scale)
    return np.vstack([below, above])


def percent_axis(ax, axis: str = "x", pad: float = 4.0):
    """Scale ``axis`` from 0% to 100% with ``pad`` points of room at each end, so that a point (and
    its interval's cap) at 0% or 100% is drawn whole inside the frame rather than cut by it;
    ticks stay at 0, 20, ..., 100.

    Examples
    --------
    >>> fig, ax = plt.subplots()
    >>> [float(v) for v in percent_axis(ax).get_xlim()]
    [-4.0, 104.0]
    """
    ticks = [0, 20, 40, 60, 80, 100]
    if axis == "x":
        ax.set_xlim(-pad, 100 + pad)
        ax.set_xticks(ticks)
    else:
        ax.set_ylim(-pad, 100 + pad)
        ax.set_yticks(ticks)
    return ax


def _visible(data: pd.DataFrame) -> pd.DataFrame:
    if "suppressed" in data.columns:
        return data.loc[~data["suppressed"].fillna(False).astype(bool)]
    return data


def _under_axes(ax, inches: float) -> dict:
    """Legend anchor arguments for a legend ``inches`` under the axes' bottom edge, the gap fixed in
    inches (not in axes fractions), so that a later layout shrinking the axes cannot pull the
    legend up onto the tick labels or the axis label."""
    from matplotlib.transforms import ScaledTranslation

    return {"bbox_to_anchor": (0.5, 0), "bbox_transform": ax.transAxes + ScaledTranslation(0, -inches, ax.figure.dpi_scale_trans)}


def _ax(ax):
    return plt.gca() if ax is None else ax


def _raw_answers(data: pd.DataFrame, item: str, by) -> tuple[pd.DataFrame, str, list]:
    """Raw answers to one item counted in the long form ``likert_bars`` draws, a bar per group."""
    from .indicators import likert_distribution

    groups = [by] if isinstance(by, str) else list(by or [])
    dist = likert_distribution(data, item, by=groups)
    if groups:
        bar = dist[groups].astype(str).agg(" · ".join, axis=1)
    else:
        from .instruments import INSTRUMENTS

        questions = [inst.column(item).question for inst in INSTRUMENTS.values() if item in inst.names]
        bar = pd.Series(questions[0] if questions else item, index=dist.index)
    return dist.assign(bar=bar.to_numpy()), "bar", list(data[item].cat.categories)


def likert_bars(
    data: pd.DataFrame | None = None,
    *,
    y: str = "item",
    level: str = "level",
    count: str = "count",
    order=None,
    level_order=None,
    labels: dict | None = None,
    min_label: float = 0.06,
    count_format=None,
    by=None,
    ax=None,
    **kwargs,
):
    """Diverging stacked bars of Likert answers, one bar per ``y`` value.

    Also takes raw answers: with ``data`` a survey table (one row per respondent) and ``y`` an
    answer column such as ``"trust_asc"``, the answers are counted first
    (:func:`homekit.indicators.likert_distribution`), one bar per group of ``by`` (e.g.
    ``"gp_role"``; default: one bar for everyone).

    Negative levels extend left of zero and positive levels right; a middle (neutral) level is
    drawn once, centred on zero. Shares are among the answered; missing answers (``blank``,
    ``dont_know``, ``not_applicable`` levels, as :func:`homekit.indicators.likert_distribution`
    gives them) are kept outside the percentages and written at the right as ``missing n``.
    Levels with no answers stay in the legend.

    Parameters
    ----------
    data : DataFrame
        Long form: one row per ``y`` and ``level`` with a ``count``.
    y : str
        Column naming the bars (an item, a site, a profession...).
    order : list, optional
        Order of the bars, top to bottom.
    level_order : list, optional
        Answer levels low to high (default: order of first appearance).
    labels : dict, optional
        Display names for the ``y`` values.
    count_format : callable, optional
        Formats the counts written beside the bars (e.g. disclosure rounding); default: as is.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import homekit
    >>> from homekit.example_data import example_data_dir
    >>> gp = homekit.load_data_dir(example_data_dir())["gp_survey"]
    >>> ax = likert_bars(gp, y="trust_asc", by="gp_role")   # raw answers, one bar per GP role
    >>> len(ax.get_yticklabels()) == gp["gp_role"].nunique()
    True
    """
    if data is not None and level not in data.columns and y in data.columns and isinstance(data[y].dtype, pd.CategoricalDtype):
        data, y, level_order = _raw_answers(data, y, by)
        level, count = "level", "count"
    ax = _ax(ax)
    d = _visible(data)
    is_missing = d[level].astype(str).isin(_MISSING_LEVELS)
    answers = d.loc[~is_missing]
    levels = list(level_order) if level_order is not None else list(dict.fromkeys(answers[level].astype(str)))
    per_bar = answers.groupby(answers[y].astype(str))[level].agg(lambda s: frozenset(s.astype(str)))
    if per_bar.nunique() > 1 or (len(per_bar) and not per_bar.iloc[0] <= set(levels)):
        raise ValueError(
            f"likert_bars draws one answer scale at a time; the bars of {y!r} carry different levels "
            f"({'; '.join(sorted({', '.join(sorted(v)) for v in per_bar}))}): plot each scale separately"
        )
    order = list(order) if order is not None else list(dict.fromkeys(d[y].astype(str)))
    table = answers.assign(**{y: answers[y].astype(str), level: answers[level].astype(str)}).pivot_table(
        index=y, columns=level, values=count, aggfunc="sum", observed=False
    )
    table = table.reindex(index=order, columns=levels).fillna(0)
    totals = table.sum(axis=1).replace(0, np.nan)
    shares = table.div(totals, axis=0).fillna(0) * 100
    missing = d.loc[is_missing].groupby(d.loc[is_missing, y].astype(str))[count].sum().reindex(order).fillna(0)
    k = len(levels)
    ypos = np.arange(len(order))[::-1]
    for i, name in enumerate(order):
        _diverging_row(ax, ypos[i], shares.loc[name].to_numpy(float), levels, legend=i == 0, min_label=min_label, **kwargs)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(ypos)
    ax.set_yticklabels([(labels or {}).get(n, n) for n in order])
    lim = 100
    ax.set_xlim(-lim, lim + 32)
    ax.set_xticks([-100, -50, 0, 50, 100])
    ax.set_xticklabels(["100%", "50%", "0", "50%", "100%"])
    fmt = count_format or (lambda v: f"{int(v)}")
    for i, name in enumerate(order):
        n_ans = table.loc[name].sum()
        ax.text(lim + 2, ypos[i], f"n={fmt(n_ans)}; missing {fmt(missing.loc[name])}", va="center", fontsize=7, color="#444444")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=min(k, 5), frameon=False, fontsize=8)
    ax.set_xlabel("")
    sns.despine(ax=ax, left=True)
    return ax


def _diverging_row(ax, ypos, row, levels, *, legend: bool, min_label: float, height: float = 0.7, hatched=None, gid: str | None = None,
                   **kwargs) -> None:
    """One diverging stacked bar of shares in % (levels low to high): the negative levels left of
    zero, the positive ones right, a middle level centred on zero; shares of at least
    ``min_label`` are written on their segment. ``hatched`` levels (neighbouring answers drawn
    together) are hatched; ``gid`` names each segment ``<gid>|<level>``."""
    k = len(levels)
    colours = PALETTE.get(k) or sns.color_palette("RdBu", k).as_hex()
    half, mid = k // 2, k % 2 == 1
    x = -(row[:half].sum() + (row[half] / 2 if mid else 0))
    for j, lv in enumerate(levels):
        w = row[j]
        bars = ax.barh(ypos, w, left=x, color=colours[j], edgecolor="white", linewidth=0.5, height=height,
                       label=lv if legend else None, hatch="////" if hatched is not None and hatched[j] else None, **kwargs)
        if gid is not None:
            bars.patches[0].set_gid(f"{gid}|{lv}")
        if w >= min_label * 100:
            ax.text(x + w / 2, ypos, f"{w:.0f}%", ha="center", va="center", fontsize=8,
                    color="white" if j in (0, k - 1) else "black")
        x += w


def diverging_bars(
    data: pd.DataFrame | None = None,
    *,
    y: str,
    level: str = "level",
    value: str = "estimate",
    hue: str | None = None,
    order=None,
    hue_order=None,
    level_order=None,
    labels: dict | None = None,
    hue_labels: dict | None = None,
    min_label: float = 0.06,
    marker: str = "[c]",
    merged: str | None = None,
    merged_label: str = "answers drawn together",
    ax=None,
    **kwargs,
):
    """Diverging stacked bars of published shares (0-1) of an ordered answer scale, one bar per
    ``y`` value, or a cluster of bars per ``y`` with one bar per ``hue`` value (the seed's charts
    of each factor by respondent group).

    Unlike :func:`likert_bars`, which works from answer counts, this draws the shares it is
    given (e.g. published indicator rows): a bar with any level suppressed or missing is not
    drawn, and ``marker`` is written in its place. Levels flagged in the boolean column
    ``merged`` are neighbouring answers drawn as one hatched segment (their share on one of
    them, 0 on the others), listed in the legend as ``merged_label``. Each segment's ``gid`` is
    ``<y>|<hue>|<level>``.

    Parameters
    ----------
    data : DataFrame
        Long form: one row per ``y`` (and ``hue``) and ``level``, with the share in ``value``
        and optionally ``suppressed``.
    y, hue : str
        Columns naming the clusters and the bars within them.
    level_order : list
        Answer levels low to high (colours run negative to positive).
    labels, hue_labels : dict, optional
        Display names of the ``y`` and ``hue`` values.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"factor": ["a"] * 4, "grp": ["x", "x", "y", "y"], "level": ["no", "yes"] * 2,
    ...                   "estimate": [0.3, 0.7, 0.6, 0.4]})
    >>> ax = diverging_bars(d, y="factor", hue="grp", level_order=["no", "yes"])
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['x', 'y']
    """
    ax = _ax(ax)
    d = data.copy()
    d[y] = d[y].astype(str)
    d[level] = d[level].astype(str)
    levels = list(level_order) if level_order is not None else list(dict.fromkeys(d[level]))
    order = list(order) if order is not None else list(dict.fromkeys(d[y]))
    if hue is None:
        d["_hue"], hue = "", "_hue"
    d[hue] = d[hue].astype(str)
    hues = list(hue_order) if hue_order is not None else list(dict.fromkeys(d[hue]))
    hidden = d[value].isna()
    if "suppressed" in d.columns:
        hidden |= d["suppressed"].fillna(False).astype(bool)
    d = d.assign(_hidden=hidden, _merged=d[merged].fillna(False).astype(float) if merged else 0.0)
    shares = d.pivot_table(index=[y, hue], columns=level, values=value, aggfunc="first", observed=False) * 100
    together = d.pivot_table(index=[y, hue], columns=level, values="_merged", aggfunc="max", observed=False) > 0
    withheld = d.groupby([y, hue])["_hidden"].any()
    grouped = len(hues) > 1
    ticks, ticklabels, any_merged = [], [], False
    pos = 0.0
    for name in order:
        keys = [(name, h) for h in hues if (name, h) in withheld.index]  # a bar for each hue value with data
        if grouped and keys:
            pos -= 1.1
            ax.text(-100, pos, (labels or {}).get(name, name), ha="left", va="center", fontsize=8, fontweight="bold")
        for key in keys:
            pos -= 1
            ticks.append(pos)
            h = key[1]
            ticklabels.append((hue_labels or {}).get(h, h) if grouped else (labels or {}).get(name, name))
            if withheld.loc[key] or shares.loc[key].reindex(levels).isna().any():
                ax.text(0, pos, marker, ha="center", va="center", fontsize=8, color="#444444", zorder=3,
                        bbox={"boxstyle": "square,pad=0.15", "facecolor": "white", "edgecolor": "none"})  # readable over the zero line
                continue
            hatched = together.loc[key].reindex(levels).fillna(False).to_numpy(bool)
            _diverging_row(ax, pos, shares.loc[key].reindex(levels).to_numpy(float), levels, legend=False,
                           min_label=min_label, height=0.8, hatched=hatched, gid=f"{name}|{h}", **kwargs)
            any_merged = any_merged or hatched.any()
    # legend entries of their own (a drawn segment may be hatched, and every bar may be withheld)
    for j, lv in enumerate(levels):
        ax.barh(np.nan, 0, color=(PALETTE.get(len(levels)) or sns.color_palette("RdBu", len(levels)).as_hex())[j], label=lv)
    if any_merged:
        ax.barh(np.nan, 0, color="white", edgecolor="#444444", hatch="////", label=merged_label)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(ticks)
    ax.set_yticklabels(ticklabels, fontsize=8)
    ax.set_xlim(-100, 100)
    ax.set_ylim(pos - 0.6, -0.4)
    ax.set_xticks([-100, -50, 0, 50, 100])
    ax.set_xticklabels(["100%", "50%", "0", "50%", "100%"])
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.06), ncol=min(len(levels) + any_merged, 6), frameon=False, fontsize=8)
    sns.despine(ax=ax, left=True)
    return ax


def matrix_heatmap(
    data: pd.DataFrame | None = None,
    *,
    group: str = "group",
    value: str = "estimate",
    row: str | None = None,
    col: str | None = None,
    order=None,
    fmt: str = ".1f",
    cmap: str = "RdYlBu",
    vmin: float | None = None,
    vmax: float | None = None,
    labels: dict | None = None,
    ax=None,
    **kwargs,
):
    """Annotated rater x ratee heatmap (e.g. ``prof_relationship_score``, ``prof_trust``).

    Rows are raters and columns ratees, read from ``group`` values ``"rater->ratee"`` (or given
    as ``row`` and ``col`` columns). The diagonal and suppressed or empty cells are blank, with
    suppressed cells marked "[c]".
    """
    ax = _ax(ax)
    d = data.copy()
    if row is None or col is None:
        parts = d[group].astype(str).str.split("->", expand=True)
        d["_row"], d["_col"] = parts[0], parts[1]
        row, col = "_row", "_col"
    sup = d["suppressed"].fillna(False).astype(bool) if "suppressed" in d.columns else pd.Series(False, index=d.index)
    seen = list(dict.fromkeys(list(d[row]) + list(d[col])))
    if order is None:
        order = [p for p in PROFESSIONS if p in seen] if set(seen) <= set(PROFESSIONS) else seen
    names = list(order)
    rows = [n for n in names if n in set(d[row])]
    cols = [n for n in names if n in set(d[col])]
    values = d.loc[~sup].pivot_table(index=row, columns=col, values=value, aggfunc="first").reindex(index=rows, columns=cols)
    annot = values.map(lambda v: "" if pd.isna(v) else format(v, fmt))
    lab = labels or {}
    sns.heatmap(values.astype(float), annot=annot.to_numpy(), fmt="", cmap=cmap, vmin=vmin, vmax=vmax, ax=ax,
                linewidths=0.5, linecolor="white", cbar_kws={"shrink": 0.7}, **kwargs)
    # seaborn does not annotate empty (masked) cells: mark the suppressed ones by hand.
    for _, r in d.loc[sup].iterrows():
        if r[row] in rows and r[col] in cols:
            ax.text(cols.index(r[col]) + 0.5, rows.index(r[row]) + 0.5, "[c]", ha="center", va="center", fontsize=9, color="#444444")
    ax.set_xticklabels([lab.get(c, c) for c in cols], rotation=30, ha="right")
    ax.set_yticklabels([lab.get(r, r) for r in rows], rotation=0)
    ax.set_xlabel("rated (ratee)")
    ax.set_ylabel("rating (rater)")
    return ax


def forest_plot(
    data: pd.DataFrame | None = None,
    *,
    y: str = "site_id",
    estimate: str = "estimate",
    lower: str = "lower",
    upper: str = "upper",
    reference: float | str | None = None,
    reference_label: str = "national",
    pooled: dict | None = None,
    percent: bool = True,
    labels: dict | None = None,
    withheld: str | None = None,
    ax=None,
    **kwargs,
):
    """Point estimates with intervals, one row per ``y``, optional reference and pooled diamond.

    Parameters
    ----------
    data : DataFrame
        One row per ``y`` with ``estimate``, ``lower``, ``upper`` (proportions when ``percent``) and
        optionally ``suppressed``.
    reference : float or str, optional
        A float draws one dashed line across every row (e.g. one national figure); a column name
        draws each row's own reference as a short tick on that row (e.g. each indicator's national
        figure), so no row is read against another row's reference.
    pooled : dict, optional
        ``estimate``, ``lower``, ``upper`` (and optional ``label``) of a pooled diamond at the bottom.
    withheld : str, optional
        Keep rows that are suppressed or have no estimate in their place, labelled, with this text
        (e.g. ``"[c]"``) where the point would be; by default such rows are left out. A kept row
        that was not withheld, or whose ``denominator`` is 0 (nobody to count), reads ``no data``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> d = pd.DataFrame({"site_id": ["a", "b"], "estimate": [0.4, 0.6], "lower": [0.3, 0.5], "upper": [0.5, 0.7]})
    >>> ax = forest_plot(d)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['a', 'b']
    """
    ax = _ax(ax)
    if withheld is None:
        d = _visible(data).dropna(subset=[estimate]).reset_index(drop=True)
    else:
        d = data.reset_index(drop=True)
    hidden = d[estimate].isna()
    if "suppressed" in d.columns:
        hidden |= d["suppressed"].fillna(False).astype(bool)
    scale = 100 if percent else 1
    ypos = np.arange(len(d))[::-1] + (1.5 if pooled else 0)
    shown = d.loc[~hidden]
    bars = ax.errorbar(shown[estimate] * scale, ypos[~hidden.to_numpy()], xerr=interval_errors(shown[estimate], shown[lower], shown[upper], scale),
                       fmt="o", color=kwargs.pop("color", "#08519c"), ecolor="#6baed6", capsize=3, markersize=5, **kwargs)
    if len(shown):  # (an unclipped line with no point would claim the figure's corner in a tight layout)
        bars[0].set_clip_on(False)  # a point at 0% or 100% is drawn whole, not cut by the axis
    ticks = list(ypos)
    ticklabels = [(labels or {}).get(v, v) for v in d[y].astype(str)]
    if withheld is not None:
        marked = d["suppressed"].fillna(False).astype(bool) if "suppressed" in d.columns else pd.Series(False, index=d.index)
        if "denominator" in d.columns:  # a base of 0 has nothing to withhold
            marked &= ~(pd.to_numeric(d["denominator"], errors="coerce") == 0)
        for yi, m in zip(ypos[hidden.to_numpy()], marked[hidden].to_numpy()):
            ax.text(0.01, yi, withheld if m else "no data", transform=ax.get_yaxis_transform(), va="center", fontsize=8, color="#444444")
    if pooled:
        e, lo, hi = (pooled[k] * scale for k in ("estimate", "lower", "upper"))
        ax.fill([lo, e, hi, e], [0, 0.3, 0, -0.3], color="#252525")
        ticks.append(0)
        ticklabels.append(pooled.get("label", "pooled"))
    if isinstance(reference, str):
        ref = pd.to_numeric(d[reference], errors="coerce").to_numpy(float)
        has = ~np.isnan(ref)
        ax.scatter(ref[has] * scale, ypos[has], marker="|", s=260, linewidths=2, color="#d94801", label=reference_label, zorder=3)
        # Below the axes: a legend key drawn inside could be read as a row's reference.
        ax.legend(loc="upper center", frameon=False, fontsize=8, **_under_axes(ax, 0.6))  # under the axis label, off the data
    elif reference is not None:
        ax.axvline(reference * scale, color="#d94801", linestyle="--", linewidth=1, label=reference_label)
        ax.legend(loc="upper center", frameon=False, fontsize=8, **_under_axes(ax, 0.6))  # under the axis label, off the data
    ax.set_yticks(ticks)
    ax.set_yticklabels(ticklabels)
    if len(ticks):  # every row, drawn or withheld, inside the frame
        ax.set_ylim(min(ticks) - 0.6, max(ticks) + 0.6)
    ax.set_xlabel("%" if percent else estimate)
    sns.despine(ax=ax)
    return ax


def funnel_plot(
    data: pd.DataFrame | None = None,
    *,
    numerator: str = "numerator",
    denominator: str = "denominator",
    label: str | None = "site_id",
    highlight=None,
    percent: bool = True,
    baseline: float | None = None,
    label_outside: bool = False,
    ax=None,
    **kwargs,
):
    """Proportions against their denominators with 2 and 3 sigma funnel limits (PHE method),
    around ``baseline`` (default: the pooled proportion of the units drawn).

    Every point is labelled with ``label``, or with ``label_outside=True`` only the points outside
    the 95% (2 sigma) limits (many units crowded inside the funnel cannot all be named legibly;
    name them in a table or forest plot beside it). Labels never overlap one another.
    """
    ax = _ax(ax)
    d = _visible(data)
    d = d.loc[d[denominator] > 0]
    if d.empty:
        ax.text(0.5, 0.5, "no unit to show", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    scale = 100 if percent else 1
    lim = stats.funnel_limits(d[numerator], d[denominator], multiplier=scale, baseline=baseline)
    ax.plot(lim["population"], lim["baseline"], color="black", linewidth=1, label="average")
    ax.plot(lim["population"], lim["lower_2s"], color="#fd8d3c", linestyle="--", linewidth=1, label="95% (2 sigma)")
    ax.plot(lim["population"], lim["upper_2s"], color="#fd8d3c", linestyle="--", linewidth=1)
    ax.plot(lim["population"], lim["lower_3s"], color="#d94801", linestyle=":", linewidth=1.2, label="99.8% (3 sigma)")
    ax.plot(lim["population"], lim["upper_3s"], color="#d94801", linestyle=":", linewidth=1.2)
    value = d[numerator] / d[denominator] * scale
    colours = np.where(d[label].isin(highlight), "#d7301f", "#08519c") if (highlight is not None and label) else "#08519c"
    ax.scatter(d[denominator], value, color=colours, zorder=3, **{"clip_on": False, **kwargs})  # points at 100% drawn whole
    ax.set_xlim(0, lim["population"].max())
    ax.set_ylim(-0.04 * scale, 1.04 * scale)  # a site at 0% or 100% is drawn whole
    ax.set_yticks(np.linspace(0, scale, 6))
    if label:
        named = np.ones(len(d), bool)
        if label_outside:
            sig = stats.funnel_significance(d, numerator=numerator, denominator=denominator, baseline=baseline)
            named = (sig["significance"] != "Not significant").to_numpy()
        _label_points(ax, d[denominator].to_numpy(float)[named], value.to_numpy(float)[named], [str(v) for v in d[label][named]], fontsize=7)
    ax.set_xlabel("denominator (respondents)")
    ax.set_ylabel("%" if percent else "proportion")
    ax.legend(loc="lower right", frameon=False, fontsize=8)
    sns.despine(ax=ax)
    return ax


def _free_spot(placed, x0, y0, w, h, step, pt):
    """The first height from ``y0`` (moving up for ``step`` 1, down for -1) where a ``w`` x ``h``
    box at ``x0`` overlaps none of the ``placed`` boxes."""
    moved = True
    while moved:
        moved = False
        for (a0, b0, a1, b1) in placed:
            if x0 < a1 and x0 + w > a0 and y0 < b1 and y0 + h > b0:
                y0 = b1 + pt if step > 0 else b0 - h - pt
                moved = True
    return y0


def _label_points(ax, x, y, names, fontsize=7):
    """Label points without labels overlapping: each label starts beside its point and is moved
    up (in display space) past any label already placed that it would cover, with a thin leader
    line when moved."""
    fig = ax.figure
    fig.canvas.draw()  # positions in display space need a laid-out figure
    renderer = fig.canvas.get_renderer()
    to_disp = ax.transData.transform
    from_disp = ax.transData.inverted().transform
    order = np.argsort(y, kind="stable")
    placed = []  # bounding boxes (x0, y0, x1, y1) in display pixels
    pt = fig.dpi / 72
    for i in order:
        px, py = to_disp((x[i], y[i]))
        t = ax.text(0, 0, names[i], fontsize=fontsize)
        bb = t.get_window_extent(renderer)
        w, h = bb.width, bb.height
        top = ax.get_window_extent(renderer).y1
        x0 = px + 4 * pt
        y0 = _free_spot(placed, x0, py + 2 * pt, w, h, step=1, pt=pt)
        if y0 + h > top:  # no room above inside the axes: look below the point instead
            y0 = _free_spot(placed, x0, py - h - 2 * pt, w, h, step=-1, pt=pt)
        placed.append((x0, y0, x0 + w, y0 + h))
        tx, ty = from_disp((x0, y0))
        t.set_position((tx, ty))
        t.set_va("bottom")
        if abs(y0 - (py + 2 * pt)) > 1:
            ax.plot([x[i], tx], [y[i], ty], color="#969696", linewidth=0.5, zorder=1)
    return ax


def _label_markers(ax, x, y, names, radii, fontsize=6.5):
    """Label each point beside its marker so that no label covers a marker or another label: the
    label goes right of its marker, else left, above or below it, else it is moved up (or down)
    past what it would cover, with a thin leader line back to its point. ``radii`` are the markers'
    radii in points. Labels are anchored to their points in points, so a later layout keeps them
    beside their own points."""
    import numpy as np

    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    pt = fig.dpi / 72
    x, y = np.asarray(x, float), np.asarray(y, float)
    disp = ax.transData.transform(np.column_stack([x, y]))
    frame = ax.get_window_extent(renderer)
    placed = [(px - r * pt, py - r * pt, px + r * pt, py + r * pt) for (px, py), r in zip(disp, radii)]

    def free(x0, y0, w, h):
        inside = frame.x0 <= x0 and x0 + w <= frame.x1 and frame.y0 <= y0 and y0 + h <= frame.y1
        return inside and not any(x0 < a1 and x0 + w > a0 and y0 < b1 and y0 + h > b0 for a0, b0, a1, b1 in placed)

    for i in np.lexsort((x, -y)):  # top to bottom, then left to right
        px, py = disp[i]
        r = radii[i] * pt + 2 * pt
        probe = ax.text(0, 0, names[i], fontsize=fontsize)
        bb = probe.get_window_extent(renderer)
        probe.remove()
        w, h = bb.width + pt, bb.height
        beside = [(px + r, py - h / 2), (px - r - w, py - h / 2), (px - w / 2, py + r), (px - w / 2, py - r - h)]
        spot = next(((x0, y0) for x0, y0 in beside if free(x0, y0, w, h)), None)
        lead = spot is None
        if spot is None:
            x0 = beside[0][0] if beside[0][0] + w <= frame.x1 else beside[1][0]
            y0 = _free_spot(placed, x0, py + r, w, h, step=1, pt=pt)
            if y0 + h > frame.y1:
                y0 = _free_spot(placed, x0, py - r - h, w, h, step=-1, pt=pt)
            spot = (x0, y0)
        placed.append((spot[0], spot[1], spot[0] + w, spot[1] + h))
        ax.annotate(names[i], (x[i], y[i]), xytext=((spot[0] - px) / pt, (spot[1] - py) / pt), textcoords="offset points",
                    ha="left", va="bottom", fontsize=fontsize,
                    arrowprops={"arrowstyle": "-", "color": "#969696", "linewidth": 0.5, "shrinkA": 0, "shrinkB": r / pt} if lead else None)
    return ax


def transition_heatmap(data: pd.DataFrame | None = None, *, normalize: bool = False, labels: dict | None = None,
                       withheld: str | None = None, ax=None, **kwargs):
    """Heatmap of an actual (rows) x ideal (columns) pathway table; the diagonal is outlined.

    A missing cell (NaN) is a count withheld by disclosure control: with ``withheld`` (e.g.
    ``"[c]"``) it reads that marker on a hatched grey cell, so that it is never taken for an
    empty one (a count of 0 reads 0).
    """
    ax = _ax(ax)
    t = data.astype(float)
    shown = t.div(t.sum(axis=1).replace(0, np.nan), axis=0) * 100 if normalize else t
    fmt = ".0f"
    sns.heatmap(shown, annot=True, fmt=fmt, cmap="Blues", ax=ax, linewidths=0.5, linecolor="white",
                cbar_kws={"shrink": 0.7, "label": "% of actual" if normalize else "cases"}, **kwargs)
    if withheld is not None:
        for i, j in zip(*np.nonzero(t.isna().to_numpy())):
            ax.add_patch(plt.Rectangle((j, i), 1, 1, facecolor="#f0f0f0", edgecolor="#bdbdbd", hatch="///", linewidth=0, zorder=0.5))
            ax.text(j + 0.5, i + 0.5, withheld, ha="center", va="center", fontsize=9, color="#444444")
    for i in range(min(t.shape)):
        ax.add_patch(plt.Rectangle((i, i), 1, 1, fill=False, edgecolor="#444444", linewidth=1.2))
    lab = labels or {}
    ax.set_xticklabels([lab.get(c, c.replace("_", " ")) for c in t.columns], rotation=35, ha="right")
    ax.set_yticklabels([lab.get(r, r.replace("_", " ")) for r in t.index], rotation=0)
    ax.set_xlabel("ideal pathway (panel)")
    ax.set_ylabel("actual pathway")
    return ax


#: Point colours of an XmR chart (Making Data Count).
SPC_COLOURS = {
    "common_cause": "#7B7D7D",
    "special_cause_improvement": "#289DE0",
    "special_cause_concern": "#FAB428",
    "special_cause_neutral_high": "#361475",
    "special_cause_neutral_low": "#361475",
}

#: Point shapes, so that colour is never the only cue (improvement up-triangle, concern down-triangle).
SPC_MARKERS = {"common_cause": "o", "special_cause_improvement": "^", "special_cause_concern": "v",
               "special_cause_neutral_high": "s", "special_cause_neutral_low": "s"}
SPC_LABELS = {"common_cause": "common cause", "special_cause_improvement": "special cause: improvement",
              "special_cause_concern": "special cause: concern", "special_cause_neutral_high": "special cause: higher",
              "special_cause_neutral_low": "special cause: lower"}


def spc_chart(data: pd.DataFrame | None = None, *, x: str = "x", y: str = "y", start=None, title: str | None = None,
              verdict: str | None = None, limits_label: str | None = None, ax=None, **kwargs):
    """Draw an XmR chart (output of :func:`homekit.spc.xmr`) in the Making Data Count style.

    Points are grey circles for common cause, blue up-triangles for special cause improvement,
    orange down-triangles for concern (shape and legend as well as colour);
    the mean is a solid line and the process limits dashed, drawn as the chart holds them: one
    line per run of points sharing their limits, so that limits carried over a rebase (a
    baseline's limits extended, ``xmr(..., baseline_limits=True)``, as NHSRplotthedots draws fixed
    limits) run on unbroken, and a segment with limits of its own starts a new line. ``start``
    marks an intervention (a vertical line at that ``x``); ``verdict`` is written in the corner as
    the text equivalent of the variation icon; ``limits_label`` heads the legend (e.g. where the
    limits come from).

    Examples
    --------
    >>> from homekit import spc
    >>> chart = spc.xmr([5, 6, 5, 7, 6, 5, 6, 5, 6, 7, 5, 6, 2, 3, 2], rebase=[12], baseline_limits=True)
    >>> fig, ax = plt.subplots()
    >>> ax = spc_chart(chart, ax=ax)
    >>> len(ax.lines)  # the values, and one mean and two limits over both segments
    4
    """
    ax = plt.gca() if ax is None else ax
    d = data.reset_index(drop=True)
    pos = np.arange(len(d))
    ax.plot(pos, d[y], color="#7B7D7D", linewidth=1, zorder=1)
    for kind in SPC_COLOURS:
        sel = (d["point_type"] == kind).to_numpy()
        if sel.any():
            ax.scatter(pos[sel], d.loc[sel, y], color=SPC_COLOURS[kind], marker=SPC_MARKERS[kind], s=30, zorder=2,
                       label=SPC_LABELS[kind], **kwargs)
    limits = d[["mean", "lpl", "upl"]].to_numpy(float)
    carried = np.r_[False, np.all(np.isclose(limits[1:], limits[:-1], equal_nan=True), axis=1)]
    for k, i in enumerate(pd.Series(pos).groupby(np.cumsum(~carried)).groups.values()):
        i = np.asarray(i)
        ax.plot(i, d.loc[i, "mean"], color="black", linewidth=1, label="mean" if k == 0 else None)
        ax.plot(i, d.loc[i, "lpl"], color="#7B7D7D", linestyle="--", linewidth=1, label="process limits" if k == 0 else None)
        ax.plot(i, d.loc[i, "upl"], color="#7B7D7D", linestyle="--", linewidth=1)
    drawn = np.concatenate([pd.to_numeric(d[c], errors="coerce").to_numpy(float) for c in (y, "lpl", "upl")])
    drawn = drawn[np.isfinite(drawn)]
    if len(drawn):  # a band above the data for the start and verdict labels, so that they never cover a point
        lo, hi = float(drawn.min()), float(drawn.max())
        span = (hi - lo) or max(abs(hi), 1.0)
        ax.set_ylim(lo - 0.05 * span, hi + 0.3 * span)
    if start is not None and str(start) in set(d[x].astype(str)):
        s = int(np.flatnonzero(d[x].astype(str) == str(start))[0])
        ax.axvline(s - 0.5, color="#005EB8", linewidth=1.2, linestyle="-.")
        ax.annotate("intervention starts", (s - 0.5, 1), xycoords=("data", "axes fraction"), xytext=(3, -3), textcoords="offset points",
                    va="top", fontsize=7, color="#005EB8")
    step = max(1, len(d) // 8)
    ax.set_xticks(pos[::step])
    ax.set_xticklabels(d[x].astype(str).iloc[::step], rotation=30, ha="right", fontsize=8)
    if verdict:
        colour = SPC_COLOURS.get(verdict, "#7B7D7D") if verdict in SPC_COLOURS else "#7B7D7D"
        ax.text(0.99, 0.97, spc.VERDICT_TEXT.get(verdict, verdict), transform=ax.transAxes, ha="right", va="top",
                fontsize=8, color="white", bbox={"boxstyle": "round", "facecolor": colour, "edgecolor": colour})
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(0, -0.25), ncol=6, frameon=False, fontsize=7, title=limits_label, title_fontsize=7,
              alignment="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax


def tornado_plot(result: SiteBenefits, ax=None, top: int = 8):
    """One-way sensitivity: the total at each parameter's low and high value, widest first."""
    import matplotlib.pyplot as plt

    ax = _ax(ax)
    t = result.tornado.head(top).iloc[::-1]
    base = result.total
    y = np.arange(len(t))
    ax.barh(y, (t["low_total"] - base) / 1e6, left=base / 1e6, color="#fdae6b", label="parameter at its low value")
    ax.barh(y, (t["high_total"] - base) / 1e6, left=base / 1e6, color="#6baed6", label="parameter at its high value")
    ax.axvline(base / 1e6, color="black", linewidth=1)
    ax.set_yticks(y)
    from .benefits import parameter_label

    ax.set_yticklabels([parameter_label(p) for p in t["parameter"]])
    ax.set_xlabel("total annual saving (£ million)")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax


#: Fingertips' comparison colours (PHE): better, similar, worse; higher/lower where no judgement.
COMPARISON_COLOURS = {"better": "#92D050", "similar": "#FFC000", "worse": "#C00000", "higher": "#5555E6", "lower": "#BED2FF",
                      "not compared": "#FFFFFF"}
#: Marker shapes of the same comparisons, so that colour is never the only cue (better points up,
#: worse down; higher right, lower left).
COMPARISON_MARKERS = {"better": "^", "similar": "o", "worse": "v", "higher": ">", "lower": "<", "not compared": "o"}


def spine_chart(data: pd.DataFrame | None = None, *, label: str = "label", value: str = "value", benchmark: str = "benchmark",
                lowest: str = "lowest", q1: str = "q1", q3: str = "q3", highest: str = "highest", polarity: str = "polarity",
                comparison: str = "comparison", no_range: str = "no range of sites published: see the table", ax=None, **kwargs):
    """A Fingertips-style spine chart: each indicator's value against the range of sites.

    One row per indicator. The benchmark sits on the centre line; the light bar spans the lowest
    to the highest site, the dark bar the middle half (25th to 75th percentile), scaled per row so
    that the benchmark is central. Where higher is better the best end is on the right (reversed
    for lower is better). The value is a circle coloured by ``comparison`` (better, similar,
    worse; higher/lower for no judgement; white when not compared) and shaped by it
    (:data:`COMPARISON_MARKERS`: colour is never the only cue). Suppressed rows
    (``suppressed == True``) and rows without a value are not drawn. A row without a published range of
    sites (``lowest`` or ``highest`` missing, or a single site: lowest = highest) has no scale: it reads ``no_range`` beside the centre line
    instead of a point that would sit at an edge, as if it were the best or the worst.

    Returns
    -------
    Axes
    """
    ax = _ax(ax)
    d = _visible(data).reset_index(drop=True)
    d = d[d[value].notna() & d[benchmark].notna()].reset_index(drop=True)
    n = len(d)
    y = np.arange(n)[::-1]
    for i, r in d.iterrows():
        b = float(r[benchmark])
        ends = [float(r[c]) for c in (lowest, highest, value) if pd.notna(r[c])]
        half = max([abs(e - b) for e in ends] + [1e-12])
        flip = -1.0 if r[polarity] == "lower_is_better" else 1.0

        def pos(v):
            return 0.5 + flip * (float(v) - b) / (2 * half)

        if pd.notna(r[lowest]) and pd.notna(r[highest]):
            lo, hi = sorted((pos(r[lowest]), pos(r[highest])))
            ax.barh(y[i], hi - lo, left=lo, height=0.55, color="#D9D9D9", edgecolor="none", zorder=1)
        if pd.notna(r[q1]) and pd.notna(r[q3]):
            lo, hi = sorted((pos(r[q1]), pos(r[q3])))
            ax.barh(y[i], hi - lo, left=lo, height=0.55, color="#8C8C8C", edgecolor="none", zorder=2)
        if pd.isna(r[lowest]) or pd.isna(r[highest]) or float(r[lowest]) == float(r[highest]):
            # no published range of sites: the row has no scale, and a point would sit at an edge as if best or worst
            ax.text(0.52, y[i], no_range, va="center", fontsize=7, color="#444444", zorder=4)
            continue
        colour = COMPARISON_COLOURS.get(str(r[comparison]), "#FFFFFF")
        marker = COMPARISON_MARKERS.get(str(r[comparison]), "o")
        ax.scatter([pos(r[value])], [y[i]], s=kwargs.get("s", 90), color=colour, marker=marker, edgecolor="#212B32", linewidth=0.8, zorder=4)
    ax.axvline(0.5, color="#C00000", linewidth=1.2, zorder=3)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.7, max(n, 1) - 0.3)
    ax.set_yticks(y)
    ax.set_yticklabels(d[label].tolist(), fontsize=8)
    ax.set_xticks([0.02, 0.5, 0.98])
    ax.set_xticklabels(["worst (or lowest)", "benchmark", "best (or highest)"], fontsize=8)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    return ax


def agreement_bars(
    data: pd.DataFrame | None = None,
    *,
    y: str = "behaviour",
    hue: str = "staff_level",
    estimate: str = "estimate",
    lower: str = "lower",
    upper: str = "upper",
    labels: dict | None = None,
    hue_labels: dict | None = None,
    gap: str | None = "gap",
    gap_title: str | None = None,
    ax=None,
    **kwargs,
):
    """Diverging bars of agreement: agree to the right of zero, not agreeing to the left, one bar
    per ``y`` and ``hue`` (e.g. behaviour by staff level), the agree share's interval as an error
    bar and, where ``gap`` is a column, the gap between the first two ``hue`` values in percentage
    points written in a column at the right under a heading (``gap_title``, default "gap: first
    minus second level, points (95% CI)"). Suppressed rows are not drawn and read ``[c]``.

    The legend (just under the axis) names each ``hue`` by ``hue_labels`` in data order, then the
    not-agreeing share.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _ax(ax)
    d = data.reset_index(drop=True)
    ys = list(dict.fromkeys(d[y].astype(str)))
    hues = list(dict.fromkeys(d[hue].astype(str)))
    names = {h: (hue_labels or {}).get(h, h) for h in hues}
    colours = {h: c for h, c in zip(hues, ["#08519c", "#6baed6", "#9ecae1", "#c6dbef"])}
    height = 0.8 / max(len(hues), 1)
    ticks = []
    for i, name in enumerate(ys):
        base = len(ys) - 1 - i
        ticks.append(base)
        sub = d[d[y].astype(str) == name]
        for j, h in enumerate(hues):
            row = sub[sub[hue].astype(str) == h]
            pos = base + 0.4 - height * (j + 0.5)
            if row.empty or bool(row.iloc[0].get("suppressed", False)) or pd.isna(row.iloc[0][estimate]):
                ax.text(1, pos, "[c]", va="center", fontsize=7, color="#444444")
                continue
            r = row.iloc[0]
            e = 100 * float(r[estimate])
            ax.barh(pos, e, height=height * 0.9, color=colours[h], **kwargs)
            ax.barh(pos, -(100 - e), height=height * 0.9, color="#f4a582")
            err = interval_errors(r[estimate], r[lower], r[upper], scale=100)
            ax.errorbar(e, pos, xerr=err, fmt="none", ecolor="black", elinewidth=0.8, capsize=2)
            ax.text(max(e, 100 * float(r[upper]) if pd.notna(r[upper]) else e) + 2, pos, f"{e:.0f}%", va="center", fontsize=7)
        if gap and gap in sub.columns:
            g = sub.iloc[0]
            text = "[c]" if bool(g.get("gap_suppressed", False)) or pd.isna(g[gap]) else (
                f"{100 * g[gap]:+.0f} ({100 * g['gap_lower']:+.0f} to {100 * g['gap_upper']:+.0f})")
            ax.text(108, base, text, va="center", fontsize=8, color="#212b32")
    if gap and gap in d.columns and len(hues) >= 2:
        first, second = (n[:1].lower() + n[1:] for n in (names[hues[0]], names[hues[1]]))
        heading = gap_title or f"gap: {first} minus {second}, points (95% CI)"
        ax.text(108, len(ys) - 0.5, textwrap.fill(heading, 26), va="bottom", fontsize=7.5, color="#212b32", fontweight="bold")
        tall = max(ax.get_window_extent().height / ax.figure.dpi, 0.5)  # the axes' height in inches
        ax.set_ylim(-0.6, len(ys) - 0.5 + max(0.6, 0.5 * (len(ys) + 0.1) / tall))  # half an inch for the heading, inside the axes
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(ticks)
    ax.set_yticklabels([(labels or {}).get(n, n) for n in ys], fontsize=8)
    ax.set_xlim(-100, 140)
    ax.set_xticks([-100, -50, 0, 50, 100])
    ax.set_xticklabels(["100%", "50%", "0", "50%", "100%"])
    ax.set_xlabel("not agreeing  |  agreeing (95% interval)", fontsize=8)
    # One legend entry per level (agreeing), then the not-agreeing share, in that order.
    from matplotlib.patches import Patch

    handles = [Patch(color=colours[h], label=f"{names[h]}: agree") for h in hues] + [Patch(color="#f4a582", label="do not agree (either level)")]
    below = 0.5 / max(ax.get_window_extent().height / ax.figure.dpi, 0.5)  # about half an inch under the axis, under its label
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -below), ncol=len(handles), frameon=False, fontsize=8)
    sns.despine(ax=ax, left=True)
    return ax


def share_bars(
    data: pd.DataFrame | None = None,
    *,
    y: str = "group",
    estimate: str = "estimate",
    lower: str = "lower",
    upper: str = "upper",
    labels: dict | None = None,
    color: str = "#08519c",
    marker: str = "[c]",
    ax=None,
    **kwargs,
):
    """Horizontal bars of proportions with their intervals, one per ``y`` (top to bottom in the
    data's order); suppressed rows read ``marker`` (``[c]``) and are not drawn; a row with no
    estimate that was not withheld (nobody answered) reads ``no data``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> d = pd.DataFrame({"group": ["a", "b", "c"], "estimate": [0.4, None, None], "lower": [0.3, None, None],
    ...                   "upper": [0.5, None, None], "suppressed": [False, True, False]})
    >>> fig, ax = plt.subplots()
    >>> [t.get_text() for t in share_bars(d, ax=ax).texts]
    ['40%', '[c]', 'no data']
    """
    ax = _ax(ax)
    d = data.reset_index(drop=True)
    pos = np.arange(len(d))[::-1]
    for p, r in zip(pos, d.to_dict("records")):
        if bool(r.get("suppressed", False)) or pd.isna(r[estimate]):
            ax.text(1, p, marker if bool(r.get("suppressed", False)) else "no data", va="center", fontsize=7, color="#444444")
            continue
        ax.barh(p, 100 * r[estimate], color=color, height=0.7, **kwargs)
        ax.errorbar(100 * r[estimate], p, xerr=interval_errors(r[estimate], r[lower], r[upper], scale=100), fmt="none",
                    ecolor="black", elinewidth=0.8, capsize=2)
        ax.text(100 * r[upper] + 1.5 if pd.notna(r[upper]) else 100 * r[estimate] + 1.5, p, f"{100 * r[estimate]:.0f}%",
                va="center", fontsize=7)
    ax.set_yticks(pos)
    ax.set_ylim(-0.6, len(d) - 0.4)  # a withheld last row reads its marker above the axis, not on it
    ax.set_yticklabels([(labels or {}).get(str(v), str(v)) for v in d[y]], fontsize=8)
    ax.set_xlim(0, 110)
    ax.set_xlabel("% (95% interval)", fontsize=8)
    sns.despine(ax=ax)
    return ax


_LIST_COLOURS = {"short list": "#08519c", "long list": "#9ecae1", "rejected": "#bdbdbd"}


def prioritisation_chart(
    data: pd.DataFrame | None = None,
    *,
    x: str = "ease",
    y: str = "impact",
    size: str = "alignment",
    hue: str = "list",
    label: str = "name",
    ax=None,
    **kwargs,
):
    """Opportunities on an impact (``y``) against ease (``x``) grid, sized by ``size`` and coloured
    by ``hue`` (short list, long list, rejected), each labelled beside its own point; points sharing
    a cell are spread so that all stay visible, and no label covers a point or another label.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _ax(ax)
    d = data.reset_index(drop=True)
    cells = [(int(a), int(b)) for a, b in zip(d[x], d[y])]
    size_of = pd.Series(cells).value_counts().to_dict()
    seen: dict = {}
    xs, ys, radii = [], [], []
    for r, cell in zip(d.to_dict("records"), cells):
        k = seen.get(cell, 0)
        seen[cell] = k + 1
        # Points sharing a cell are stacked vertically around it, so each stays visible.
        dx, dy = 0.0, 0.2 * ((size_of[cell] - 1) / 2 - k)
        colour = _LIST_COLOURS.get(str(r[hue]), "#636363")
        s = 40 * float(r[size])
        ax.scatter(r[x] + dx, r[y] + dy, s=s, color=colour, edgecolor="white", zorder=3, label=str(r[hue]), **kwargs)
        xs.append(r[x] + dx)
        ys.append(r[y] + dy)
        radii.append(np.sqrt(s) / 2)
    handles, names = ax.get_legend_handles_labels()
    unique = dict(zip(names, handles))
    ax.legend([unique[n] for n in _LIST_COLOURS if n in unique], [n for n in _LIST_COLOURS if n in unique], loc="lower left",
              fontsize=8, frameon=False)
    ax.set_xlim(0.6, 6.4)
    ax.set_ylim(0.4, 5.7)
    ax.set_xticks(range(1, 6))
    ax.set_yticks(range(1, 6))
    ax.set_xlabel("ease (1 hard to 5 easy)")
    ax.set_ylabel("impact (1 low to 5 high)")
    ax.grid(True, color="#eeeeee", zorder=0)
    sns.despine(ax=ax)
    _label_markers(ax, xs, ys, [str(v) for v in d[label]], radii)
    return ax
