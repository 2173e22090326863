"""Indicator library: one module per instrument, each returning the ``indicators.csv`` shape.

``compute_indicators(dataset)`` gathers them all for every site (or pooled nationally with
``level="national"``). Each function can also be called alone on a loaded table, grouped by any
column (``by=["site_id", "gp_role"]``, ``["wave"]``, ``["survey_year"]``...).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._core import INDICATOR_COLUMNS
from .cases import case_indicators, team_variation, transition_table
from .flow import flow_indicators, latest_year
from .gp import gp_headlines, perception_gap, response_rate
from .headline import HEADLINES, headline_table
from .interviews import interview_indicators, theme_counts
from .likert import likert_distribution, likert_summary, scaled_items
from .older_people import older_people_indicators
from .professional import asymmetry, factor_shares, factor_tests, relationship_matrix, trust_matrix

__all__ = [
    "compute_indicators",
    "OUTPUT_COLUMNS",
    "HEADLINES",
    "headline_table",
    "gp_headlines",
    "perception_gap",
    "response_rate",
    "likert_distribution",
    "likert_summary",
    "scaled_items",
    "older_people_indicators",
    "factor_shares",
    "factor_tests",
    "trust_matrix",
    "relationship_matrix",
    "asymmetry",
    "case_indicators",
    "transition_table",
    "team_variation",
    "flow_indicators",
    "latest_year",
    "theme_counts",
    "interview_indicators",
]

#: Columns of indicators.csv (the data contract), in order.
OUTPUT_COLUMNS = ["site_id"] + INDICATOR_COLUMNS + ["suppressed"]


def compute_indicators(data, *, level: str = "site") -> pd.DataFrame:
    """Every indicator of a :class:`homekit.Dataset`, in the ``indicators.csv`` shape.

    Parameters
    ----------
    data : Dataset
        From :func:`homekit.load_data_dir` (or a site slice of it).
    level : {"site", "national"}
        ``"site"``: one set of rows per site. ``"national"``: pooled over all respondents of the
        sites in ``data``, with ``site_id = "national"``.

    Returns
    -------
    DataFrame
        Columns ``site_id, indicator, group, numerator, denominator, estimate, lower, upper,
        method, suppressed`` (``suppressed`` is False: disclosure control is applied on output),
        then private columns starting with ``_`` that only :mod:`homekit.disclosure` reads.
    """
    if level not in ("site", "national"):
        raise ValueError("level must be 'site' or 'national'")
    by = ["site_id"] if level == "site" else []
    parts = []
    gp = data.get("gp_survey")
    if gp is not None and len(gp):
        parts.append(gp_headlines(gp, by=by))
        parts.append(perception_gap(gp, data.get("services"), by=by))
        parts.append(likert_summary(gp, scaled_items("gp_survey", gp), by=by, prefix="gp_"))
        if level == "site":
            parts.append(response_rate(gp, data["sites"]))
    op = data.get("older_people_survey")
    if op is not None and len(op):
        parts.append(older_people_indicators(op, by=by))
        parts.append(likert_summary(op, scaled_items("older_people_survey", op), by=by, prefix="op_"))
    prof = data.get("professional_survey")
    if prof is not None and len(prof):
        parts.append(relationship_matrix(prof, by=by))
        parts.append(trust_matrix(prof, by=by))
        parts.append(factor_shares(prof, by=by).drop(columns="rank"))
    cases = data.get("case_reviews")
    if cases is not None and len(cases):
        parts.append(case_indicators(cases, by=by))
    flow = data.get("flow_metrics")
    if flow is not None and len(flow):
        sites = data["sites"]
        if level == "site":
            parts.append(flow_indicators(flow, sites))
        else:
            recent = latest_year(flow).assign(site_id="national")
            nat = pd.DataFrame({"site_id": ["national"], "population_65plus": [sites.loc[sites.site_id.isin(flow.site_id.unique()), "population_65plus"].sum()]})
            parts.append(flow_indicators(recent, nat))
    interviews = data.get("interviews")
    if interviews is not None and len(interviews):
        parts.append(interview_indicators(interviews, by=by))
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    if level == "national":
        out["site_id"] = "national"
    out["site_id"] = out["site_id"].astype(str)
    out["group"] = out["group"].fillna("").astype(str)
    for c in ("numerator", "denominator", "estimate", "lower", "upper"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    out["suppressed"] = False
    # Private columns (``_`` first: what the disclosure gate needs to know about a cell, such as
    # the largest contributions to a cost) follow the contract's; the gate drops them.
    out = out[OUTPUT_COLUMNS + [c for c in out.columns if str(c).startswith("_")]]
    # Stable order: by site, then in the order the indicators were computed.
    out["_order"] = np.arange(len(out))
    out = out.sort_values(["site_id", "_order"], kind="stable").drop(columns="_order").reset_index(drop=True)
    return out
