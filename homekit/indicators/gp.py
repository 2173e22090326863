"""GP survey indicators: relationships and trust, perception gap, motivators."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..instruments import SERVICES
from ._core import Groups, answered, check_data, concat, level_mask, normalise_by, proportion_from_counts, proportion_table

__all__ = ["gp_headlines", "perception_gap"]

POOR = ("Very poor", "Poor")
GOOD = ("Good", "Very good")
AGREE = ("Agree", "Strongly agree")

#: (indicator id, column, numerator labels)
_SIMPLE = [
    ("gp_relationship_poor", "relationship_social_care", POOR),
    ("gp_value_closer_links", "value_closer_links", ("Would value", "Would strongly value")),
    ("gp_strongly_value_closer_links", "value_closer_links", ("Would strongly value",)),
    ("gp_trust_asc", "trust_asc", AGREE),
    ("gp_trust_discharge_team", "trust_discharge_team", AGREE),
    ("gp_social_care_better_assessor", "better_assessor_residential", ("Social care",)),
    ("gp_gp_better_assessor", "better_assessor_residential", ("GP",)),
    ("gp_unaware_telecare", "aware_telecare", ("No",)),
    ("gp_motivated_fewer_home_visits", "motivator_fewer_home_visits", ("Yes",)),
    ("gp_motivated_financial_incentive", "motivator_financial_incentive", ("Yes",)),
]


def gp_headlines(data: pd.DataFrame, *, by=("site_id",)) -> pd.DataFrame:
    """Headline GP survey indicators, each with its exact numerator and denominator.

    Denominators exclude missing answers (blank, Don't know, Not applicable); for
    ``better_assessor_residential`` "Don't know" is an answer and stays in the base.
    ``gp_reablement_rated_poor`` is among GPs aware of reablement who rated its quality.

    Parameters
    ----------
    data : DataFrame
        The GP survey as loaded by :func:`homekit.load`.
    by : list of str
        Grouping columns (default ``site_id``; ``[]`` pools everyone).

    Examples
    --------
    >>> import homekit
    >>> from homekit.example_data import write_example_data
    >>> import tempfile
    >>> d = tempfile.mkdtemp() + "/data"
    >>> _ = write_example_data(d)
    >>> gp = homekit.load("gp_survey", d + "/gp_survey.csv")
    >>> h = gp_headlines(gp, by=[])
    >>> round(float(h.set_index("indicator").loc["gp_trust_asc", "estimate"]), 2)
    0.73
    """
    by = normalise_by(by)
    check_data(data, by + [c for _, c, _ in _SIMPLE] + ["aware_reablement", "quality_reablement"], "gp_headlines")
    groups = Groups(data, by)
    parts = []
    for ind, col, labels in _SIMPLE:
        s = data[col]
        parts.append(proportion_table(groups, level_mask(s, labels), answered(s), ind))
    aware = level_mask(data["aware_reablement"], ("Yes",))
    q = data["quality_reablement"]
    parts.append(proportion_table(groups, level_mask(q, POOR), aware & answered(q), "gp_reablement_rated_poor"))
    return concat(parts, by)


def perception_gap(data: pd.DataFrame, services: pd.DataFrame | None = None, *, by=("site_id",)) -> pd.DataFrame:
    """Per service: GPs unaware of it where the site provides it, and quality among the aware.

    Indicators (group = service id): ``gp_unaware_service`` (No / answered aware_<service>,
    counting only GPs in sites where ``services.csv`` says the service is available; every site
    when ``services`` is None), ``gp_service_rated_poor`` and ``gp_service_rated_good`` (among
    the aware who rated its quality).
    """
    by = normalise_by(by)
    check_data(data, by + ["site_id"], "perception_gap")
    groups = Groups(data, by)
    parts = []
    for s in SERVICES:
        a, q = f"aware_{s}", f"quality_{s}"
        if a not in data.columns:
            continue
        provided = np.ones(len(data), bool)
        if services is not None and len(services):
            avail = services.loc[(services["service"] == s) & (services["available"] == "Yes"), "site_id"]
            provided = data["site_id"].isin(set(avail)).to_numpy()
        aware_ans = answered(data[a])
        parts.append(proportion_table(groups, level_mask(data[a], ("No",)), aware_ans & provided, "gp_unaware_service", s))
        if q in data.columns:
            aware = level_mask(data[a], ("Yes",)) & answered(data[q])
            parts.append(proportion_table(groups, level_mask(data[q], POOR), aware, "gp_service_rated_poor", s))
            parts.append(proportion_table(groups, level_mask(data[q], GOOD), aware, "gp_service_rated_good", s))
    return concat(parts, by)


def response_rate(data: pd.DataFrame, sites: pd.DataFrame, *, by=("site_id",), national: bool = False) -> pd.DataFrame:
    """GP responses against the GP headcount (``gp_response_rate``, Wilson interval).

    Per site: the site's responses over its ``gp_count`` in ``sites.csv``. ``by`` must include
    ``site_id``; add ``survey_year`` and ``survey_round`` for one rate per survey round (the
    headcount is the site's current one from ``sites.csv``).

    With ``national=True``: the responses of every site that ran the survey over the sum of those
    sites' headcounts (the seed's "154 surveys completed (9% of the GP population across the
    pilot sites)"), one row with ``site_id = "national"`` and one per programme wave (group
    ``wave:<n>``); ``by`` may then hold the round columns, for one set per survey round.

    Examples
    --------
    >>> import pandas as pd
    >>> sites = pd.DataFrame({"site_id": ["a", "b", "c"], "wave": [1, 1, 2], "gp_count": [100, 60, 40]})
    >>> gp = pd.DataFrame({"site_id": ["a"] * 10 + ["b"] * 6})
    >>> r = response_rate(gp, sites, by=[], national=True).set_index("group")
    >>> r.loc["", ["numerator", "denominator"]].tolist()
    [16.0, 160.0]
    """
    by = normalise_by(by)
    if national:
        check_data(data, ["site_id"] + by, "response_rate")
        if not by:
            return _national_response_rate(data, sites)
        parts = []
        for key, rows in data.groupby(by, observed=True, sort=True):
            part = _national_response_rate(rows, sites)
            for col, value in zip(by, key if isinstance(key, tuple) else (key,)):
                part[col] = value
            parts.append(part)
        return concat(parts, ["site_id"] + by)
    if "site_id" not in by:
        raise ValueError("response_rate: by must include site_id (the GP headcount is per site)")
    check_data(data, by, "response_rate")
    counts = data.groupby(by, observed=True).size()
    if by == ["site_id"]:
        counts = counts.reindex(sites["site_id"]).fillna(0)
    keys = counts.index.to_frame(index=False).astype(object)
    headcount = sites.set_index("site_id")["gp_count"].astype(float)
    den = keys["site_id"].map(headcount).to_numpy(float)
    num = np.minimum(counts.to_numpy(float), den)
    return proportion_from_counts(keys, num, den, "gp_response_rate")


def _national_response_rate(data: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """One pooled row over the sites with responses in ``data``, and one per wave."""
    s = sites.set_index("site_id")
    num = data.groupby("site_id", observed=True).size().reindex(s.index).fillna(0).to_numpy(float)
    den = s["gp_count"].astype(float).to_numpy()
    num = np.minimum(num, den)
    ran = num > 0
    nat = pd.DataFrame({"site_id": ["national"]})
    parts = [proportion_from_counts(nat, [num[ran].sum()], [den[ran].sum()], "gp_response_rate")]
    if "wave" in s.columns:
        wave = s["wave"].astype(int).to_numpy()
        for w in sorted(set(wave[ran])):
            m = ran & (wave == w)
            parts.append(proportion_from_counts(nat, [num[m].sum()], [den[m].sum()], "gp_response_rate", f"wave:{w}"))
    return concat(parts, ["site_id"])
