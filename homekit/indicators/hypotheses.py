"""The hypotheses register: desired behaviours, the barriers thought to stop them, and evidence.

A hypothesis names a behaviour, a barrier (programme text, published) and the ids of the
indicators that test it (``evidence``, separated by ``;``); the panel records a status (open,
verified, disproved). :func:`hypothesis_register` links each hypothesis to the indicator rows its
evidence names, from any instrument, with their intervals, and flags evidence that points the
other way from the panel's status. These are not indicators: the register is a table of links.

Which rows of an evidence indicator are linked (``link``)
    1. ``behaviour``: the row whose group is the hypothesis's behaviour (``home_first``), else
       the rows whose group starts with it (``home_first|senior``, ``home_first|frontline``): the
       behaviour-keyed indicators of the culture survey and the observations;
    2. ``overall``: otherwise the indicator's overall row (blank group);
    3. ``context``: otherwise every row of the indicator (e.g. each factor of
       ``prof_admission_factor_frequent``). These rows are shown as context and never judged: the
       register cannot tell which of them bears on the behaviour.

What the evidence says (``reading``), from the published estimate and interval only
    A hypothesis says a barrier stops the desired behaviour. An evidence row **supports** it when
    its result is bad and **contradicts** it when its result is good, judged with the indicator's
    polarity (:func:`homekit.instruments.polarity`):

    * a proportion of ``higher_is_better`` polarity is good when its whole 95% interval lies above
      one half (most agree the good thing happens) and bad when it lies wholly below one half;
      ``lower_is_better`` the other way round;
    * any other row with a ``comparison`` column (better / worse than its benchmark, contract
      second release) is good when ``better`` and bad when ``worse``;
    * otherwise (``no_judgement`` polarity, an interval that spans one half, a suppressed or
      missing estimate, a ``context`` row) the row is ``not conclusive`` and never flagged.

    A row ``points the other way`` when it contradicts a ``verified`` hypothesis or supports a
    ``disproved`` one. A hypothesis is flagged (``hypothesis_flag``: the evidence points the other
    way from the panel's status) when at least one of its rows points the other way and none
    agrees with the status (no row supports a verified hypothesis, none contradicts a disproved
    one): mixed evidence, such as leaders contradicting a barrier their frontline supports, is
    not flagged. An ``open`` hypothesis is never flagged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..instruments import INDICATORS, polarity
from ._core import check_data

__all__ = ["hypothesis_register", "evidence_ids", "evidence_reading", "READINGS"]

READINGS = ("supports", "contradicts", "not conclusive")

REGISTER_COLUMNS = ["site_id", "hypothesis_id", "behaviour", "barrier", "status", "evidence_indicator", "link", "group", "numerator",
                    "denominator", "estimate", "lower", "upper", "method", "suppressed", "polarity", "reading",
                    "points_other_way", "hypothesis_flag"]


def evidence_ids(text) -> list[str]:
    """The indicator ids of an ``evidence`` cell (``;``-separated, spaces ignored, order kept)."""
    if text is None or (isinstance(text, float) and np.isnan(text)) or text is pd.NA:
        return []
    out = []
    for part in str(text).split(";"):
        part = part.strip()
        if part and part not in out:
            out.append(part)
    return out


def evidence_reading(row) -> str:
    """``supports``, ``contradicts`` or ``not conclusive`` for one indicator row (see module doc)."""
    pol = polarity(row["indicator"], row.get("group"))
    suppressed = bool(row.get("suppressed", False)) if not pd.isna(row.get("suppressed", False)) else False
    est, lo, hi = (row.get(k) for k in ("estimate", "lower", "upper"))
    if suppressed or pol == "no_judgement" or est is None or pd.isna(est):
        return "not conclusive"
    info = INDICATORS.get(row["indicator"])
    good = bad = False
    if info is not None and info.kind == "proportion" and not (pd.isna(lo) or pd.isna(hi)):
        above, below = float(lo) > 0.5, float(hi) < 0.5
        good = above if pol == "higher_is_better" else below
        bad = below if pol == "higher_is_better" else above
    elif "comparison" in row and isinstance(row["comparison"], str):
        good, bad = row["comparison"] == "better", row["comparison"] == "worse"
    if bad:
        return "supports"
    if good:
        return "contradicts"
    return "not conclusive"


def _linked(rows: pd.DataFrame, behaviour: str) -> tuple[pd.DataFrame, str]:
    groups = rows["group"].fillna("").astype(str)
    exact = rows[groups == behaviour]
    if len(exact):
        return exact, "behaviour"
    own = rows[groups.str.startswith(behaviour + "|")]
    if len(own):
        return own, "behaviour"
    overall = rows[groups == ""]
    return (overall, "overall") if len(overall) else (rows, "context")


def hypothesis_register(hypotheses: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """Each hypothesis with its linked evidence rows, what they say and the flag.

    Parameters
    ----------
    hypotheses : DataFrame
        A loaded ``hypotheses`` table (one or many sites).
    indicators : DataFrame
        Indicator rows in the ``indicators.csv`` shape for the same sites (pass the published,
        disclosure-controlled rows: a suppressed row is shown as such and never judged).

    Returns
    -------
    DataFrame
        One row per hypothesis and linked evidence row (a hypothesis whose evidence has no rows
        keeps one row with blank evidence columns): ``site_id, hypothesis_id, behaviour, barrier,
        status, evidence_indicator, link, group, numerator, denominator, estimate, lower, upper,
        method, suppressed, polarity, reading, points_other_way, hypothesis_flag``; ``link`` is
        ``behaviour``, ``overall``, ``context``, ``no rows`` (the indicator has no row for the
        site) or ``no evidence named``.

    Examples
    --------
    >>> import pandas as pd
    >>> hyp = pd.DataFrame({"site_id": ["a"], "hypothesis_id": ["h1"], "behaviour": ["home_first"],
    ...                     "barrier": ["Staff fear blame"], "evidence": ["obs_behaviour_desired"], "status": ["verified"]})
    >>> ind = pd.DataFrame({"site_id": ["a"], "indicator": ["obs_behaviour_desired"], "group": ["home_first"],
    ...                     "numerator": [18.0], "denominator": [20.0], "estimate": [0.9], "lower": [0.70], "upper": [0.97],
    ...                     "method": ["Wilson"], "suppressed": [False]})
    >>> hypothesis_register(hyp, ind)[["reading", "points_other_way"]].values.tolist()
    [['contradicts', True]]
    """
    check_data(hypotheses, ["site_id", "hypothesis_id", "behaviour", "barrier", "evidence", "status"], "hypothesis_register")
    check_data(indicators, ["site_id", "indicator", "group", "estimate", "lower", "upper"], "hypothesis_register")
    ind = indicators.copy()
    ind["group"] = ind["group"].fillna("").astype(str)
    if "suppressed" not in ind.columns:
        ind["suppressed"] = False
    out = []
    for h in hypotheses.to_dict("records"):
        status = str(h["status"])
        base = {"site_id": h["site_id"], "hypothesis_id": h["hypothesis_id"], "behaviour": str(h["behaviour"]),
                "barrier": h["barrier"], "status": status}
        linked = []
        for ev in evidence_ids(h["evidence"]):
            rows = ind[(ind["site_id"] == h["site_id"]) & (ind["indicator"] == ev)]
            if rows.empty:
                linked.append({**base, "evidence_indicator": ev, "link": "no rows", "reading": "not conclusive",
                               "polarity": polarity(ev), "points_other_way": False})
                continue
            chosen, link = _linked(rows, base["behaviour"])
            for r in chosen.to_dict("records"):
                reading = evidence_reading(r) if link != "context" else "not conclusive"
                other = (status == "verified" and reading == "contradicts") or (status == "disproved" and reading == "supports")
                linked.append({**base, "evidence_indicator": ev, "link": link, **{k: r.get(k) for k in ("group", "numerator",
                               "denominator", "estimate", "lower", "upper", "method", "suppressed")},
                               "polarity": polarity(ev, r.get("group")),
                               "reading": reading, "points_other_way": bool(other)})
        if not linked:
            linked.append({**base, "evidence_indicator": "", "link": "no evidence named", "reading": "not conclusive", "polarity": "",
                           "points_other_way": False})
        agrees = {"verified": "supports", "disproved": "contradicts"}.get(status)
        flag = any(r["points_other_way"] for r in linked) and not any(r["reading"] == agrees for r in linked)
        out += [{**r, "hypothesis_flag": flag} for r in linked]
    reg = pd.DataFrame(out, columns=REGISTER_COLUMNS)
    for c in ("numerator", "denominator", "estimate", "lower", "upper"):
        reg[c] = pd.to_numeric(reg[c], errors="coerce").astype(float)
    reg["suppressed"] = reg["suppressed"].astype("boolean").fillna(False).astype(bool)
    return reg
