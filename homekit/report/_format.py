"""The one place for a report section's shape (:class:`Block`) and for how numbers and labels read.

Every section module formats its numbers with these helpers, so a percentage, an interval, a
difference in points or a withheld value reads the same everywhere in every report.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field

import pandas as pd

from ..instruments import INDICATORS, INSTRUMENTS, group_label, indicator_label, polarity

__all__ = ["Block", "fig_png", "pct", "points", "p_text", "estimate_text", "share_text", "label_for", "direction_text", "withheld_cells_note", "funnel_text", "value_text", "has_value",
           "is_withheld", "has_no_base", "NO_DATA", "WITHHELD"]


#: What a reader sees where there is nothing to show (no answers, no base): never the withheld marker.
NO_DATA = "no data"
#: The default marker of a value withheld by disclosure control (the rules carry their own).
WITHHELD = "[c]"


def pct(x, digits=0) -> str:
    """A proportion as a percentage; a missing value reads ``no data``.

    >>> pct(0.5614), pct(None)
    ('56%', 'no data')
    """
    if x is None or pd.isna(x):
        return NO_DATA
    return f"{100 * x:.{digits}f}%"


def points(x: float) -> str:
    """A difference of proportions in percentage points, signed, without a negative zero."""
    v = round(100 * x) + 0
    return f"{v:+d}"


def p_text(p: float) -> str:
    """A p-value as a reader reads it: ``p < 0.001`` rather than ``0.000``."""
    if p is None or pd.isna(p):
        return NO_DATA
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def is_withheld(row) -> bool:
    """Whether disclosure control withheld this indicator row (a row whose published base is 0 has
    nothing to withhold: it reads ``no data``, never the marker).

    >>> is_withheld({"suppressed": True, "denominator": 12.0}), is_withheld({"suppressed": True, "denominator": 0.0})
    (True, False)
    """
    return row is not None and bool(row.get("suppressed", False)) and not has_no_base(row)


def has_no_base(row) -> bool:
    """Whether an indicator row's published base is 0 (nobody to count: no data)."""
    den = None if row is None else row.get("denominator")
    return den is not None and not pd.isna(den) and float(den) == 0


def has_value(row) -> bool:
    """Whether an indicator row can be shown: present, not withheld, with an estimate."""
    return row is not None and not is_withheld(row) and pd.notna(row.get("estimate"))


def estimate_text(row, marker: str = WITHHELD) -> str:
    """An indicator row as ``56% (52% to 60%)`` (a mean with two decimals, a rate per its unit).

    A row withheld by disclosure control reads ``marker`` (``[c]``); a row that is missing or has
    no estimate (nobody answered) reads ``no data``. A row without an interval (a share of events,
    see :mod:`homekit.indicators.flow`) reads as the share alone.

    >>> estimate_text({"estimate": 0.56, "lower": 0.52, "upper": 0.6, "suppressed": False})
    '56% (52% to 60%)'
    >>> estimate_text({"estimate": None, "suppressed": True}), estimate_text(None)
    ('[c]', 'no data')
    >>> estimate_text({"indicator": "case_weekly_cost_difference", "estimate": 446.0, "lower": 328.0, "upper": 564.0})
    '£446 (£328 to £564) a week'
    """
    if is_withheld(row):
        return marker
    if row is None or pd.isna(row.get("estimate")):
        return NO_DATA
    has_ci = pd.notna(row.get("lower")) and pd.notna(row.get("upper"))
    info = INDICATORS.get(row.get("indicator", ""))
    if _is_money(info):  # pounds, whole, as published (precision: money 0)
        per = info.unit.partition("GBP")[2]
        v = f"£{row['estimate']:,.0f}"
        return (f"{v} (£{row['lower']:,.0f} to £{row['upper']:,.0f}){per}" if has_ci else v + per)
    if row.get("method") == "Student's t" or (info is not None and info.kind in ("mean", "rate")):
        digits = 0 if info is not None and info.kind == "rate" else 2
        unit = f" {info.unit}" if info is not None and info.kind == "rate" and info.unit else ""
        v = f"{row['estimate']:,.{digits}f}{unit}"
        return f"{v} ({row['lower']:,.{digits}f} to {row['upper']:,.{digits}f})" if has_ci else v
    if not has_ci:
        return pct(row["estimate"])
    return f"{pct(row['estimate'])} ({pct(row['lower'])} to {pct(row['upper'])})"


def share_text(row, marker: str = WITHHELD) -> str:
    """A published share without its interval, for a table cell: ``56%``; ``marker`` where disclosure
    control withheld it; ``no data`` where there is no row or no estimate (nobody answered or was
    observed), never blank and never the withheld marker.

    >>> share_text({"estimate": 0.56, "suppressed": False}), share_text({"estimate": None, "suppressed": True}), share_text(None)
    ('56%', '[c]', 'no data')
    """
    if is_withheld(row):
        return marker
    if row is None or pd.isna(row.get("estimate")):
        return NO_DATA
    return pct(row["estimate"])


def value_text(ind: str, x) -> str:
    """One estimate of indicator ``ind`` formatted by its kind (percentage, mean or rate)."""
    if x is None or pd.isna(x):
        return NO_DATA
    info = INDICATORS.get(ind)
    if _is_money(info):
        return f"£{x:,.0f}{info.unit.partition('GBP')[2]}"
    if info is not None and info.kind == "rate":
        return f"{x:,.0f}"
    if info is not None and info.kind == "mean":
        return f"{x:,.2f}"
    return pct(x)


def _is_money(info) -> bool:
    """Whether an indicator is an amount of money (its unit is in pounds: ``GBP a week``)."""
    return info is not None and info.unit.startswith("GBP")


def funnel_text(flag: str, ind: str | None = None) -> str:
    """A funnel-plot flag (:func:`homekit.stats.funnel_significance`) in words, better or worse
    by the indicator's polarity: ``High (0.001)`` -> ``higher: outside the 99.8% limits (worse)``."""
    side, _, level = str(flag).partition(" (")
    if side not in ("High", "Low"):
        return "within the limits" if flag == "Not significant" else NO_DATA
    limits = "99.8%" if level.startswith("0.001") else "95%"
    text = f"{'higher' if side == 'High' else 'lower'}: outside the {limits} limits"
    pol = polarity(ind) if ind else "no_judgement"
    if pol != "no_judgement":
        better = (side == "High") == (pol == "higher_is_better")
        text += " (better)" if better else " (worse)"
    return text


def withheld_cells_note(rules) -> str:
    """What a blank-looking cell of a count heatmap means, from the rules in force."""
    p = rules.people
    return (f"In the heatmap a hatched cell reading {rules.marker} is a count withheld by disclosure control (from "
            f"{p.suppress_counts_from} to {p.suppress_counts_to} cases, or one that would reveal such a count); 0 means no case; "
            f"other counts are rounded to the nearest {p.rounding_base}.")


def direction_text(ind: str, group: str = "") -> str:
    """Which way is better for an indicator (of a group: a Likert item's own direction), in words,
    from its polarity in the data dictionary."""
    return {"higher_is_better": "higher is better", "lower_is_better": "lower is better"}.get(polarity(ind, group), "no judgement of better or worse")


def label_for(ind: str, group: str = "") -> str:
    """The reader-facing label of an indicator and its group, from the data dictionary.

    >>> label_for("gp_unaware_service", "telecare")
    'GPs unaware of the service where the site provides it: Telecare'
    """
    text = indicator_label(ind)
    if not group:
        return text
    info = INDICATORS.get(ind)
    if "_likert_" in ind and info is not None and info.instrument in INSTRUMENTS:
        try:
            return f"{text}: {INSTRUMENTS[info.instrument].column(group).question}"
        except KeyError:
            pass
    return f"{text}: {group_label(group)}"


def fig_png(fig) -> str:
    """A matplotlib figure as base64 PNG (closed afterwards; no software metadata, so bytes are stable)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


@dataclass
class Block:
    """One report section: title, an introduction, a one-line reading, optional figure, table and notes.

    ``intro`` says what the section is about (it prints only when the section exists, unlike a
    notebook caption); ``reading`` says what the figures show and is computed from them; ``alt``
    describes the figure for a screen reader (default: the reading). Rendered as one
    ``<section>``, so that a printed report starts each section on a new page.
    """

    title: str
    reading: str = ""
    figure: object = None
    table: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    level: int = 2
    intro: str = ""
    alt: str = ""
    _png: str | None = None

    def png(self) -> str | None:
        if self._png is None and self.figure is not None:
            self._png = fig_png(self.figure)
            self.figure = None
        return self._png

    def _repr_html_(self) -> str:
        parts = [f'<section class="hk-section hk-level{self.level}">', f"<h{self.level}>{html.escape(self.title)}</h{self.level}>"]
        if self.intro:
            parts.append(f'<p class="intro">{html.escape(self.intro)}</p>')
        if self.reading:
            parts.append(f'<p class="reading"><strong>Reading:</strong> {html.escape(self.reading)}</p>')
        png = self.png()
        if png:
            alt = self.alt or self.reading or self.title
            parts.append(f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{png}" style="max-width:100%"/></figure>')
        if self.table is not None and len(self.table):
            parts.append(self.table.to_html(index=False, escape=True, na_rep="", border=0, classes="hk-table"))
        for n in self.notes:
            parts.append(f'<p class="note"><em>{html.escape(n)}</em></p>')
        parts.append("</section>")
        return "\n".join(parts)

    def __repr__(self) -> str:
        text = [self.title, self.intro, self.reading]
        if self.table is not None:
            text.append(self.table.to_string(index=False))
        text += list(self.notes)
        return "\n".join(t for t in text if t)
