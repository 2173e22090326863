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

__all__ = ["Block", "fig_png", "pct", "points", "estimate_text", "label_for"]


def pct(x, digits=0) -> str:
    """A proportion as a percentage; a missing value reads ``[c]``."""
    if x is None or pd.isna(x):
        return "[c]"
    return f"{100 * x:.{digits}f}%"


def points(x: float) -> str:
    """A difference of proportions in percentage points, signed, without a negative zero."""
    v = round(100 * x) + 0
    return f"{v:+d}"


def estimate_text(row) -> str:
    """An indicator row as ``56% (52% to 60%)`` (or a mean with two decimals); ``[c]`` when withheld."""
    if row is None or bool(row.get("suppressed", False)) or pd.isna(row.get("estimate")):
        return "[c]"
    if row.get("method") == "Student's t":
        return f"{row['estimate']:.2f} ({row['lower']:.2f} to {row['upper']:.2f})" if pd.notna(row["lower"]) else f"{row['estimate']:.2f}"
    return f"{pct(row['estimate'])} ({pct(row['lower'])} to {pct(row['upper'])})"


def label_for(ind: str, group: str = "") -> str:
    """The reader-facing label of an indicator (and its group)."""
    from ..indicators.headline import INDICATOR_LABELS

    text = INDICATOR_LABELS.get(ind, ind.replace("_", " "))
    return f"{text}: {group.replace('_', ' ')}" if group else text


def fig_png(fig) -> str:
    """A matplotlib figure as base64 PNG (closed afterwards; no software metadata, so bytes are stable)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


@dataclass
class Block:
    """One report section: title, one-line reading, optional figure, table and notes."""

    title: str
    reading: str = ""
    figure: object = None
    table: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    level: int = 2
    _png: str | None = None

    def png(self) -> str | None:
        if self._png is None and self.figure is not None:
            self._png = fig_png(self.figure)
            self.figure = None
        return self._png

    def _repr_html_(self) -> str:
        parts = [f"<h{self.level}>{html.escape(self.title)}</h{self.level}>"]
        if self.reading:
            parts.append(f'<p class="reading"><strong>Reading:</strong> {html.escape(self.reading)}</p>')
        png = self.png()
        if png:
            parts.append(f'<img alt="{html.escape(self.reading or self.title)}" src="data:image/png;base64,{png}" style="max-width:100%"/>')
        if self.table is not None and len(self.table):
            parts.append(self.table.to_html(index=False, escape=True, na_rep="", border=0, classes="hk-table"))
        for n in self.notes:
            parts.append(f'<p class="note"><em>{html.escape(n)}</em></p>')
        return "\n".join(parts)

    def __repr__(self) -> str:
        text = [self.title, self.reading]
        if self.table is not None:
            text.append(self.table.to_string(index=False))
        return "\n".join(t for t in text if t)
