"""The files a report writes beside its HTML: ``indicators.csv`` (the data contract) and ``summary.xlsx``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..indicators import HEADLINES, headline_table

__all__ = ["write_indicators", "write_history", "write_change", "write_summary_xlsx"]


def _write_csv(table: pd.DataFrame, columns: list[str], numbers: tuple[str, ...], path) -> Path:
    """A published CSV: fixed columns, blank for missing, true/false, numbers at up to 10 significant digits."""
    df = table.reindex(columns=columns).copy()
    df["suppressed"] = np.where(df["suppressed"].fillna(False).astype(bool), "true", "false")
    for c in numbers:
        df[c] = [("" if pd.isna(v) else format(float(v), ".10g")) for v in df[c]]
    path = Path(path)
    df.to_csv(path, index=False, lineterminator="\n")
    return path


def write_indicators(indicators: pd.DataFrame, path) -> Path:
    """``indicators.csv`` exactly as the contract: fixed columns, blank for missing, true/false."""
    from ..indicators import OUTPUT_COLUMNS

    return _write_csv(indicators, OUTPUT_COLUMNS, ("numerator", "denominator", "estimate", "lower", "upper"), path)


def write_history(history: pd.DataFrame, path) -> Path:
    """``history.csv``: every survey round, the columns of ``indicators.csv`` with ``period`` (published rows only)."""
    from ..indicators import HISTORY_COLUMNS

    return _write_csv(history, HISTORY_COLUMNS, ("numerator", "denominator", "estimate", "lower", "upper"), path)


def _rounded_change(change: pd.DataFrame) -> pd.DataFrame:
    """Change rows at the precision the gate publishes estimates at (4 decimals; p-values to 4 significant digits)."""
    out = change.copy()
    for c in ("from_estimate", "to_estimate", "difference", "lower", "upper"):
        out[c] = out[c].astype(float).round(4)
    out["p_value"] = [float(f"{v:.4g}") if pd.notna(v) else np.nan for v in out["p_value"].astype(float)]
    return out


def write_change(change: pd.DataFrame, path) -> Path:
    """``change.csv``: consecutive rounds compared (contract, second release), from the published history."""
    from ..indicators.change import CHANGE_COLUMNS

    return _write_csv(_rounded_change(change), CHANGE_COLUMNS, ("from_estimate", "to_estimate", "difference", "lower", "upper", "p_value"), path)


def write_summary_xlsx(indicators: pd.DataFrame, path, *, title: str, national: pd.DataFrame | None = None, marker: str = "[c]",
                       change: pd.DataFrame | None = None, rules_text: str = "") -> Path:
    """An xlsx summary for council staff: read-me, headline indicators, change since the last survey
    (where there are rounds: the published ``change.csv`` rows with their labels), every indicator.

    ``indicators`` and ``national`` are tables that have passed :func:`homekit.disclosure.disclose_indicators`.
    Suppressed values read ``[c]``; no cell is ever written as a formula.
    """
    import openpyxl

    from ..io import safe_cell

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("read_me")
    for line in (title, "", "Estimates are proportions (0-1) or means as the indicator says, with 95% intervals.",
                 f"{marker}: withheld by disclosure control. " + (rules_text or "Counts about people of 1-7 are withheld and others rounded to 5; "
                                                                   "groups of fewer than 11 professionals are withheld."),
                 "Source: homekit " + __version__):
        ws.append([safe_cell(ws, line)])
    hs = wb.create_sheet("headlines")
    header = ["indicator", "description", "estimate", "lower", "upper", "base", "national", "published"]
    hs.append([safe_cell(hs, h) for h in header])
    ht = headline_table().set_index("indicator")
    for r in indicators[(indicators.group == "") & indicators.indicator.isin(HEADLINES)].to_dict("records"):
        nat = ""
        if national is not None:
            m = national[(national.indicator == r["indicator"]) & (national.group == "")]
            nat = float(m["estimate"].iloc[0]) if len(m) and pd.notna(m["estimate"].iloc[0]) else ""
        sup = bool(r["suppressed"])
        vals = [r["indicator"], ht.loc[r["indicator"], "description"],
                marker if sup else r["estimate"], marker if sup else r["lower"], marker if sup else r["upper"],
                "" if pd.isna(r["denominator"]) else r["denominator"], nat, ht.loc[r["indicator"], "published_text"]]
        hs.append([safe_cell(hs, None if (isinstance(v, float) and np.isnan(v)) else v) for v in vals])
    if change is not None and len(change):
        from ..indicators.change import CHANGE_COLUMNS
        from ..instruments import indicator_label

        cs = wb.create_sheet("change")
        cs.append([safe_cell(cs, h) for h in ["description"] + CHANGE_COLUMNS])
        for r in _rounded_change(change).to_dict("records"):
            vals = [indicator_label(r["indicator"])] + [r[c] for c in CHANGE_COLUMNS]
            vals = ["true" if v is True else "false" if v is False else v for v in vals]
            cs.append([safe_cell(cs, None if (isinstance(v, float) and np.isnan(v)) else v) for v in vals])
    al = wb.create_sheet("all_indicators")
    cols = list(indicators.columns)
    al.append([safe_cell(al, c) for c in cols])
    for r in indicators.itertuples(index=False):
        row = []
        for c, v in zip(cols, r):
            if c in ("numerator", "estimate", "lower", "upper") and bool(r.suppressed):
                v = marker
            if isinstance(v, float) and np.isnan(v):
                v = None
            if isinstance(v, (bool, np.bool_)):
                v = "true" if v else "false"
            row.append(safe_cell(al, v))
        al.append(row)
    path = Path(path)
    wb.save(path)
    return path
