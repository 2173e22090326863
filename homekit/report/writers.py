"""The files a report writes beside its HTML: ``indicators.csv`` (the data contract) and ``summary.xlsx``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..indicators import HEADLINES, headline_table
from ..io import FORMULA_PREFIXES
from ..instruments import indicator_label
from ._format import direction_text, has_no_base, label_for

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

    columns = CHANGE_COLUMNS + [c for c in ("sites",) if c in change.columns]  # national: the sites pooled
    return _write_csv(_rounded_change(change), columns, ("from_estimate", "to_estimate", "difference", "lower", "upper", "p_value"), path)


_FORMATS = {"proportion": "0.0%", "difference": "+0.0%;-0.0%;0.0%", "mean": "0.00", "rate": "#,##0.0"}


def _put(ws, row: int, col: int, value, number_format: str | None = None):
    """Write one cell: text that looks like a formula stays text; numbers keep their format."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, (np.floating, np.integer)):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        value = None
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        cell.data_type = "s"
    if number_format and isinstance(value, (int, float)):
        cell.number_format = number_format
    return cell


def _table(ws, header: list[str], rows: list[list], formats: dict[str, str | None]):
    """A formatted table: bold frozen header with filters, number formats, widths that fit."""
    from openpyxl.styles import Alignment, Font, PatternFill

    for j, h in enumerate(header, 1):
        c = _put(ws, 1, j, h)
        c.font = Font(bold=True, color="FFFFFF")
        c.fill = PatternFill("solid", fgColor="005EB8")
        c.alignment = Alignment(vertical="top", wrap_text=True)
    for i, row in enumerate(rows, 2):
        for j, (h, v) in enumerate(zip(header, row), 1):
            _put(ws, i, j, v, formats.get(h))
    for j, h in enumerate(header, 1):
        shown = [len(str(h))]
        for row in rows:
            v = row[j - 1]
            if isinstance(v, float):
                shown.append(8)
            elif v is not None:
                shown.append(len(str(v)))
        ws.column_dimensions[ws.cell(row=1, column=j).column_letter].width = min(max(shown) + 2, 70)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions


_DIFFERENCE_FORMATS = {"proportion": _FORMATS["difference"], "mean": "+0.00;-0.00;0.00", "rate": "+#,##0.0;-#,##0.0;0.0"}


def _round_year(period) -> int | None:
    """The survey year of a round label (``"2019"`` or ``"2019-2"``), as a number."""
    from ..rounds import period_key

    return period_key(period)[0] if _text(period) else None


def _change_sheet(ws, change: pd.DataFrame, kind) -> None:
    """The ``change`` sheet: readable headers, numbers with formats by the indicator's kind, years as
    numbers, withheld as a true/false cell, and the key columns of ``change.csv`` last (for joins)."""
    header = ["indicator name", "group name", "from year", "to year", "from", "to", "change", "lower", "upper", "p-value",
              "verdict", "which way is better", "method", "withheld", "site_id", "indicator", "group", "from_period", "to_period"]
    rows, kinds = [], []
    for r in _rounded_change(change).to_dict("records"):
        withheld = bool(r.get("suppressed", False))
        num = (lambda v: None if withheld else v)  # noqa: E731 - a withheld comparison shows no number
        rows.append([indicator_label(r["indicator"]), group_name(r["indicator"], _text(r["group"])),
                     _round_year(r["from_period"]), _round_year(r["to_period"]), num(r["from_estimate"]), num(r["to_estimate"]),
                     num(r["difference"]), num(r["lower"]), num(r["upper"]), num(r["p_value"]), _text(r["verdict"]),
                     direction_text(r["indicator"], _text(r["group"])), _text(r["method"]), withheld, _text(r.get("site_id")), r["indicator"],
                     _text(r["group"]), _text(r["from_period"]), _text(r["to_period"])])
        kinds.append(kind(r["indicator"]))
    _table(ws, header, rows, {"from year": "0", "to year": "0", "p-value": "0.000"})
    for i, k in enumerate(kinds, 2):
        level, diff = _FORMATS.get(k, "General"), _DIFFERENCE_FORMATS.get(k, _FORMATS["difference"])
        for h, fmt in (("from", level), ("to", level), ("change", diff), ("lower", diff), ("upper", diff)):
            c = ws.cell(row=i, column=header.index(h) + 1)
            if isinstance(c.value, (int, float)) and not isinstance(c.value, bool):
                c.number_format = fmt


def group_name(indicator: str, group: str) -> str:
    """The reader's name of an indicator row's group alone (the indicator's own label is in the
    column beside it): ``How would you rate the quality of the home care service?``, not
    ``bottom-two answers: How would you...``.

    >>> group_name("gp_likert_bottom2", "quality_home_care")
    'How would you rate the quality of the home care service?'
    >>> group_name("gp_unaware_service", "telecare"), group_name("gp_trust_asc", "")
    ('Telecare', '')
    """
    if not group:
        return ""
    full, own = label_for(indicator, group), indicator_label(indicator)
    return full[len(own) + 2:] if full.startswith(own + ": ") else full


def _text(v) -> str:
    """A text cell: blank for a missing value."""
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA else str(v)


def _marker(r, marker: str) -> str:
    if has_no_base(r):  # a base of 0: nothing withheld, nothing there
        return "no data"
    if bool(r.get("suppressed", False)):
        return marker
    if pd.isna(r.get("estimate")):
        return "no data"
    return ""


def write_summary_xlsx(indicators: pd.DataFrame, path, *, title: str, national: pd.DataFrame | None = None, marker: str = "[c]",
                       rules=None, change: pd.DataFrame | None = None) -> Path:
    """An xlsx summary for a council analyst, written with openpyxl styles.

    Sheets: ``read_me`` (what the sheets hold, the disclosure rules, each indicator's label and
    polarity), ``headlines``, ``change`` (where there are survey rounds: the published ``change.csv``
    rows with their labels) and ``all_indicators``. Estimates and intervals are numbers with a
    percentage, mean or rate format by the indicator's kind; a withheld value (``[c]``) or one
    with no data (``no data``) is blank in the number columns and said in its own ``marker``
    column. Each table has a frozen, filtered header and widths that fit. No cell is ever a formula.
    """
    import openpyxl
    from openpyxl.styles import Font

    from ..instruments import INDICATORS

    def kind(ind):
        info = INDICATORS.get(ind)
        return info.kind if info is not None else "proportion"

    wb = openpyxl.Workbook()
    rd = wb.active
    rd.title = "read_me"
    if rules is not None and rules.apply:
        disclosure = f"{marker}: withheld by disclosure control. {rules.describe()}"
    else:
        disclosure = f"{marker}: withheld by disclosure control (small counts, or a figure that would reveal one)."
    lines = [title, "",
             "headlines: the programme's headline indicators; all_indicators: every published indicator; change (where a site "
             "was surveyed more than once): each indicator between consecutive survey rounds, with its interval and verdict.",
             "Estimates are numbers: percentages for proportions, two decimals for means, rates per their unit; "
             "lower and upper are the 95% interval (blank where an interval does not apply, e.g. shares of events).",
             disclosure,
             "no data: nobody answered, so there is no figure (not withheld).",
             "The marker column says which of the two applies; the number columns are then blank.",
             "Which way is better: from each indicator's polarity in the data dictionary (below).",
             f"Source: homekit {__version__}.", ""]
    for i, line in enumerate(lines, 1):
        c = _put(rd, i, 1, line)
        if i == 1:
            c.font = Font(bold=True, size=14)
    start = len(lines) + 1
    ids = list(dict.fromkeys(indicators["indicator"]))
    header = ["indicator", "which way is better", "indicator id"]
    for j, h in enumerate(header, 1):
        _put(rd, start, j, h).font = Font(bold=True)
    groups = indicators.groupby("indicator", sort=False)["group"].agg(lambda g: list(dict.fromkeys(g.fillna("").astype(str))))
    for i, ind in enumerate(ids, start + 1):
        _put(rd, i, 1, indicator_label(ind))
        directions = {direction_text(ind, g) for g in groups.get(ind, [""])}  # a Likert summary's runs with its item
        _put(rd, i, 2, directions.pop() if len(directions) == 1 else "depends on the item: see each row")
        _put(rd, i, 3, ind)
    rd.column_dimensions["A"].width = 100
    rd.column_dimensions["B"].width = 22
    rd.column_dimensions["C"].width = 36

    nat = {}
    if national is not None and len(national):
        nat = {(r["indicator"], r["group"]): r["estimate"] for r in national.to_dict("records") if pd.notna(r["estimate"])}
    ht = headline_table().set_index("indicator")
    rows = []
    for r in indicators[(indicators.group == "") & indicators.indicator.isin(HEADLINES)].to_dict("records"):
        show = _marker(r, marker) == ""
        row = [ht.loc[r["indicator"], "description"], r["estimate"] if show else None, r["lower"] if show else None,
               r["upper"] if show else None, r["denominator"], _marker(r, marker)]
        if nat:
            row.append(nat.get((r["indicator"], "")))
        row += [ht.loc[r["indicator"], "published_text"], direction_text(r["indicator"]), r["indicator"]]
        rows.append((kind(r["indicator"]), row))
    header = ["indicator name", "estimate", "lower", "upper", "base", "marker"] + (["national"] if nat else []) + \
             ["published", "which way is better", "indicator"]
    hs = wb.create_sheet("headlines")
    _table(hs, header, [r for _, r in rows], {"base": "#,##0"})
    for i, (k, _) in enumerate(rows, 2):  # number format by the indicator's kind
        for h in ("estimate", "lower", "upper", "national"):
            if h in header and isinstance(hs.cell(row=i, column=header.index(h) + 1).value, (int, float)):
                hs.cell(row=i, column=header.index(h) + 1).number_format = _FORMATS[k]

    # Readable names first; the key columns of indicators.csv (site_id, indicator, group, suppressed)
    # last, so an analyst can join the two files and the audit reads the same rows in both.
    if change is not None and len(change):
        _change_sheet(wb.create_sheet("change"), change, kind)

    header = ["indicator name", "group name", "estimate", "lower", "upper", "numerator", "denominator", "marker", "which way is better",
              "method", "site_id", "indicator", "group", "suppressed", "period"]
    rows, kinds = [], []
    for r in indicators.to_dict("records"):
        show = _marker(r, marker) == ""
        rows.append([indicator_label(r["indicator"]), group_name(r["indicator"], _text(r["group"])),
                     r["estimate"] if show else None, r["lower"] if show else None, r["upper"] if show else None,
                     r["numerator"] if show else None, r["denominator"], _marker(r, marker),
                     direction_text(r["indicator"], _text(r["group"])), r["method"], r.get("site_id", ""), r["indicator"], r["group"],
                     bool(r.get("suppressed", False)), _text(r.get("period", ""))])
        kinds.append(kind(r["indicator"]))
    al = wb.create_sheet("all_indicators")
    _table(al, header, rows, {"numerator": "#,##0", "denominator": "#,##0"})
    for i, k in enumerate(kinds, 2):
        for h in ("estimate", "lower", "upper"):
            c = al.cell(row=i, column=header.index(h) + 1)
            if isinstance(c.value, (int, float)):
                c.number_format = _FORMATS[k]
    path = Path(path)
    wb.save(path)
    return path
