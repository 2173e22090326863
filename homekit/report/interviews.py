"""Coded interview sections: themes and approved quotes."""

from __future__ import annotations

from ..disclosure import disclose_counts
from ..indicators import theme_counts
from ..redact import approved_quotes
from ._format import Block


def interviews(report) -> Block | None:
    if not report.has("interviews"):
        return None
    iv = report.tables["interviews"]
    tc = theme_counts(iv, by=[])
    wide = tc.groupby("theme", observed=True)[["negative", "neutral", "positive", "mentions"]].sum().reset_index()
    shown = disclose_counts(wide, report.rules, columns=["negative", "neutral", "positive", "mentions"])
    shown["theme"] = shown["theme"].str.replace("_", " ")
    quotes = approved_quotes(iv, report.redact_names)
    notes = [f"\u201c{q}\u201d ({g}, {t.replace('_', ' ')})" for q, g, t in zip(quotes["quote"], quotes["stakeholder_group"], quotes["theme"])]
    top = wide.sort_values("mentions", ascending=False).iloc[0]["theme"].replace("_", " ") if len(wide) else ""
    reading = f"The theme raised most often was {top}; only quotes approved for publication are shown, with personal details removed."
    return Block("Coded interview themes", reading, table=shown, notes=notes)
