"""Coded interview sections: themes and approved quotes."""

from __future__ import annotations

import pandas as pd

from ..indicators.interviews import TONES
from ..redact import approved_quotes
from ._format import Block, pct


def interviews(report) -> Block | None:
    if not report.has("interviews"):
        return None
    iv = report.tables["interviews"]
    m = report.rules.marker
    pub = report.indicators  # published rows: the tone of each theme's mentions, the interviews raising it
    tone = pub[pub.indicator == "interview_theme_tone"]
    rows = []
    for theme, grp in tone.groupby(tone.group.str.split("|").str[0], sort=False):
        cells = {r["group"].split("|", 1)[1]: r for r in grp.to_dict("records")}
        base = next(iter(cells.values()))["denominator"]
        rows.append({"theme": theme_name(theme),
                     **{t: m if cells[t]["suppressed"] or pd.isna(cells[t]["numerator"]) else f"{int(cells[t]['numerator']):,}"
                        for t in TONES.values() if t in cells},
                     "all mentions": m if pd.isna(base) else f"{int(base):,}"})
    notes = [f"\u201c{q}\u201d ({who})" for q, who in quote_lines(approved_quotes(iv, report.redact_names))]
    share = pub[(pub.indicator == "interview_theme_share") & ~pub.suppressed.astype(bool) & pub.estimate.notna()]
    reading = "Only quotes approved for publication are shown, with personal details removed."
    if len(share):
        top = share.loc[share.estimate.idxmax()]
        reading = (f"The theme raised in most interviews was {theme_name(top['group']).lower()} ({pct(top['estimate'])} of interviews); "
                   + reading[0].lower() + reading[1:])
    table = pd.DataFrame(rows)
    if len(tone) and tone.suppressed.astype(bool).all():  # a table of nothing but [c] tells the reader nothing
        table = None
        reading += (f" The tone of each theme is not shown: every theme has too few mentions to publish (disclosure control; {m} "
                    "would fill every cell).")
    return Block("Coded interview themes", reading, table=table, notes=notes,
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
