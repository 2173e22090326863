"""Indicator library: one module per instrument, each returning the ``indicators.csv`` shape.

``compute_indicators(dataset)`` gathers them all for every site (or pooled nationally with
``level="national"``). Each function can also be called alone on a loaded table, grouped by any
column (``by=["site_id", "gp_role"]``, ``["wave"]``, ``["survey_year"]``...).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..instruments import INDICATORS, polarities
from ..rounds import ROUND_COLUMNS, SURVEY_INSTRUMENTS, add_period, period_key
from ._core import INDICATOR_COLUMNS
from .change import change_table
from .compare import compare_with_benchmarks, load_benchmarks
from .cases import BREAKDOWN_COLUMNS, case_breakdowns, case_indicators, case_weekly_costs, pathway_transitions, swapped_populations, team_indicators, team_variation, transition_table
from .comms import comms_indicators, comms_risk_framing, comms_shares
from .culture import culture_agreement, culture_indicators, culture_level_gap
from .flow import flow_indicators, latest_year
from .gp import gp_headlines, perception_gap, response_rate
from .headline import HEADLINES, headline_table
from .hypotheses import evidence_reading, hypothesis_register
from .interviews import interview_indicators, theme_counts
from .likert import likert_distribution, likert_summary, scaled_items
from .observations import observation_indicators, observation_shares
from .older_people import older_people_indicators
from .opportunities import SHORT_LIST, opportunity_scores, status_counts
from .professional import (
    asymmetry,
    factor_frequent,
    factor_levels,
    factor_shares,
    factor_tests,
    relationship_matrix,
    trust_levels,
    trust_matrix,
)

__all__ = [
    "compute_indicators",
    "indicator_history",
    "change_table",
    "compare_with_benchmarks",
    "load_benchmarks",
    "OUTPUT_COLUMNS",
    "HISTORY_COLUMNS",
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
    "factor_frequent",
    "factor_levels",
    "factor_tests",
    "trust_matrix",
    "trust_levels",
    "relationship_matrix",
    "asymmetry",
    "case_indicators",
    "case_breakdowns",
    "pathway_transitions",
    "BREAKDOWN_COLUMNS",
    "transition_table",
    "team_variation",
    "team_indicators",
    "swapped_populations",
    "case_weekly_costs",
    "flow_indicators",
    "latest_year",
    "theme_counts",
    "interview_indicators",
    "culture_agreement",
    "culture_level_gap",
    "culture_indicators",
    "observation_shares",
    "observation_indicators",
    "comms_shares",
    "comms_risk_framing",
    "comms_indicators",
    "hypothesis_register",
    "evidence_reading",
    "opportunity_scores",
    "status_counts",
    "SHORT_LIST",
]

#: Columns of indicators.csv (the data contract, with the second release's extra columns), in order.
#: ``comparison_method`` states the test behind ``comparison`` (words only, never a number).
OUTPUT_COLUMNS = ["site_id"] + INDICATOR_COLUMNS + ["suppressed", "period", "polarity", "comparison", "benchmark", "comparison_method"]
#: Columns of history.csv: every survey round (no comparison: rounds are compared in change.csv).
HISTORY_COLUMNS = ["site_id"] + INDICATOR_COLUMNS + ["suppressed", "period", "polarity"]

_ROUND = ROUND_COLUMNS


def _survey_parts(data, by: list[str], level: str) -> list[pd.DataFrame]:
    """Indicators of the survey instruments, grouped by ``by`` (rounds included by the caller)."""
    parts = []
    gp = data.get("gp_survey")
    if gp is not None and len(gp):
        parts.append(gp_headlines(gp, by=by))
        parts.append(perception_gap(gp, data.get("services"), by=by))
        parts.append(likert_summary(gp, scaled_items("gp_survey", gp), by=by, prefix="gp_"))
        if level == "site":
            parts.append(response_rate(gp, data["sites"], by=by))
        else:  # national: pooled over the sites that ran the survey, and by wave (per round in the history)
            rate = response_rate(gp, data["sites"], by=by, national=True)
            parts.append(rate.drop(columns="site_id"))  # pooled parts carry no site_id
    op = data.get("older_people_survey")
    if op is not None and len(op):
        parts.append(older_people_indicators(op, by=by))
        parts.append(likert_summary(op, scaled_items("older_people_survey", op), by=by, prefix="op_"))
    prof = data.get("professional_survey")
    if prof is not None and len(prof):
        parts.append(relationship_matrix(prof, by=by))
        parts.append(trust_matrix(prof, by=by))
        parts.append(factor_shares(prof, by=by).drop(columns="rank"))
        parts.append(factor_frequent(prof, by=by))
        parts.append(factor_levels(prof, by=by))
        parts.append(trust_levels(prof, by=by))
    culture = data.get("culture_survey")
    if culture is not None and len(culture):
        parts.append(culture_indicators(culture, by=by))
    return [p for p in parts if len(p)]


def _other_parts(data, level: str, weekly_costs=None) -> list[pd.DataFrame]:
    """Indicators of the instruments without survey rounds (case reviews, flow, interviews,
    observations, comms review)."""
    by = ["site_id"] if level == "site" else []
    parts = []
    cases = data.get("case_reviews")
    if cases is not None and len(cases):
        if weekly_costs is None:
            from ..benefits import weekly_costs as default_costs  # the parameters, not the model

            weekly_costs = default_costs()
        parts.append(case_indicators(cases, by=by, weekly_costs=weekly_costs))
        # the heatmap's cells and the decision figures by decision point and reason are published
        # rows too (through the gate and the audit, never drawn from the raw reviews)
        parts.append(pathway_transitions(cases, by=by))
        parts.append(case_breakdowns(cases, by=by, weekly_costs=weekly_costs))
        teams = team_indicators(cases, by=["site_id"])  # teams belong to a site
        if level == "national" and len(teams):
            teams["group"] = teams["site_id"].astype(str) + ":" + teams["group"]
            teams = teams.drop(columns="site_id")
        parts.append(teams)
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
    # Observations by setting and comms items by audience and channel, at site level as nationally:
    # the gate holds each setting, audience or channel to the professional rule (11 or more) and
    # protects the small ones in the linked tables they form with the behaviour's (or all items')
    # figure; how many observations or items a group holds is not an opinion.
    observations = data.get("observations")
    if observations is not None and len(observations):
        parts.append(observation_indicators(observations, by=by))
    comms = data.get("comms_review")
    if comms is not None and len(comms):
        parts.append(comms_indicators(comms, by=by))
        parts.append(comms_risk_framing(comms, by=by, levels=("enabling", "neutral")))
    return [p for p in parts if len(p)]


def _tidy(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True)
    if "site_id" not in out.columns:
        out["site_id"] = "national"
    out["site_id"] = out["site_id"].fillna("national").astype(str)  # pooled parts carry no site_id
    out["group"] = out["group"].fillna("").astype(str)
    for c in ("numerator", "denominator", "estimate", "lower", "upper"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    out["suppressed"] = False
    if "period" not in out.columns:
        out["period"] = ""
    out["period"] = out["period"].fillna("").astype(str)
    out["polarity"] = polarities(out["indicator"], out["group"].fillna("").astype(str))
    for c in columns:
        if c not in out.columns:
            out[c] = ""
    # Private columns (``_`` first: what the disclosure gate needs to know about a cell, such as
    # the largest contributions to a cost) follow the published ones; the gate drops them.
    private = [c for c in out.columns if str(c).startswith("_") and c not in columns]
    out["_order"] = np.arange(len(out))
    out = out.sort_values(["site_id", "_order"], kind="stable").reset_index(drop=True)
    return out[columns + private]


def _with_period(part: pd.DataFrame) -> pd.DataFrame:
    return add_period(part).drop(columns=[c for c in _ROUND if c in part.columns])


def _raw_latest(data, level: str, weekly_costs=None) -> pd.DataFrame:
    """Indicator rows of each site's latest round (national: pooled over those rounds)."""
    latest = data.latest()
    if level == "site":
        parts = [_with_period(p) for p in _survey_parts(latest, ["site_id"] + _ROUND, level)]
    else:
        parts = _survey_parts(latest, [], level)
        gp = latest.get("gp_survey")
        if gp is not None and len(gp):  # the GP headlines by programme wave (group ``wave:<n>``)
            by_wave = gp_headlines(gp.merge(latest["sites"][["site_id", "wave"]], on="site_id"), by=["wave"])
            by_wave["group"] = "wave:" + by_wave.pop("wave").astype(str)
            parts.append(by_wave)
        labels = {}
        for name in SURVEY_INSTRUMENTS:
            df = latest.get(name)
            if df is not None and len(df):
                periods = sorted(set(add_period(df)["period"]), key=period_key)
                labels[name] = "; ".join(periods)
        for part in parts:
            part["period"] = part["indicator"].map(lambda i: labels.get(INDICATORS[i].instrument, "") if i in INDICATORS else "")
    parts += _other_parts(latest, level, weekly_costs)
    return _tidy(parts, OUTPUT_COLUMNS)


def compute_indicators(data, *, level: str = "site", national: pd.DataFrame | None = None,
                       benchmarks: pd.DataFrame | None = None, weekly_costs=None) -> pd.DataFrame:
    """Every indicator of a :class:`homekit.Dataset`, in the ``indicators.csv`` shape.

    Survey instruments are described by each site's **latest** round (``period`` says which);
    :func:`indicator_history` gives every round and :func:`change_table` the change between them.

    Parameters
    ----------
    data : Dataset
        From :func:`homekit.load_data_dir` (or a site slice of it).
    level : {"site", "national"}
        ``"site"``: one set of rows per site. ``"national"``: pooled over all respondents of the
        sites in ``data`` (each site's latest round), with ``site_id = "national"``.
    national : DataFrame, optional
        The national rows (``level="national"``, exact counts, including every site) to compare
        each site with the other sites; computed from ``data`` when not given (a site slice then
        holds no other sites, and survey figures are ``not compared``).
    benchmarks : DataFrame, optional
        England values (:func:`load_benchmarks`; default ``parameters/benchmarks.yaml``).
    weekly_costs : mapping, optional
        Weekly cost (GBP) of each pathway for case reviews that carry no costs of their own
        (``case_ideal_cheaper``). Default: the uprated ``costs.week_<pathway>`` of the default
        ``parameters/benefits.yaml`` (:func:`homekit.benefits.weekly_costs`).

    Returns
    -------
    DataFrame
        Columns ``site_id, indicator, group, numerator, denominator, estimate, lower, upper,
        method, suppressed, period, polarity, comparison, benchmark, comparison_method``
        (``suppressed`` is False: disclosure control is applied on output), then private columns
        starting with ``_`` that only :mod:`homekit.disclosure` reads.
    """
    if level not in ("site", "national"):
        raise ValueError("level must be 'site' or 'national'")
    out = _raw_latest(data, level, weekly_costs)
    if benchmarks is None:
        benchmarks = load_benchmarks()
    if level == "site" and national is None:
        national = _raw_latest(data, "national", weekly_costs)
    compared = compare_with_benchmarks(out, national if level == "site" else None, benchmarks)
    return compared[OUTPUT_COLUMNS + [c for c in compared.columns if str(c).startswith("_")]]


def indicator_history(data, *, level: str = "site") -> pd.DataFrame:
    """Every survey round's indicators (the ``history.csv`` shape): one set per (site, round).

    ``level="national"`` pools, for each round (``survey_year``, ``survey_round``), the
    respondents of every site surveyed in it.

    Examples
    --------
    >>> import homekit, tempfile
    >>> from homekit.example_data import write_example_data
    >>> d = tempfile.mkdtemp() + "/data"
    >>> _ = write_example_data(d)
    >>> h = indicator_history(homekit.load_data_dir(d).site("barnsley"))
    >>> sorted(h.loc[h.indicator == "gp_trust_asc", "period"])
    ['2013', '2019']
    """
    if level not in ("site", "national"):
        raise ValueError("level must be 'site' or 'national'")
    by = (["site_id"] if level == "site" else []) + _ROUND
    parts = [_with_period(p) for p in _survey_parts(data, by, level)]
    out = _tidy(parts, HISTORY_COLUMNS)
    if len(out):
        out["_key"] = out["period"].map(period_key)
        out["_order"] = np.arange(len(out))
        out = out.sort_values(["site_id", "_key", "_order"], kind="stable").drop(columns=["_key", "_order"]).reset_index(drop=True)
    return out[HISTORY_COLUMNS + [c for c in out.columns if str(c).startswith("_")]]
