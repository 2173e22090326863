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
    shown["theme"] = shown["theme"].map(theme_name)
    notes = [f"\u201c{q}\u201d ({who})" for q, who in quote_lines(approved_quotes(iv, report.redact_names))]
    top = theme_name(wide.sort_values("mentions", ascending=False).iloc[0]["theme"]) if len(wide) else ""
    reading = f"The theme raised most often was {top.lower()}; only quotes approved for publication are shown, with personal details removed."
    return Block("Coded interview themes", reading, table=shown.rename(columns={"mentions": "all mentions"}), notes=notes,
                 intro="What people said in coded interviews: how often each theme came up, and in what tone.")


def theme_name(theme: str) -> str:
    """A coded theme as a reader reads it."""
    return str(theme).replace("_", " ").capitalize()


def quote_lines(quotes) -> list[tuple[str, str]]:
    """Each approved quote once, with every stakeholder group and theme it was coded under: the
    same words said (or coded) more than once are one quote, never repeated under other speakers."""
    out = []
    for q, grp in quotes.groupby("quote", sort=False):
        groups = ", ".join(dict.fromkeys(grp["stakeholder_group"].astype(str)))
        themes = ", ".join(dict.fromkeys(theme_name(t).lower() for t in grp["theme"]))
        out.append((q, f"{groups}; {themes}"))
    return out
