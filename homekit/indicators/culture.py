"""Culture and behaviour surveys (senior stakeholders and frontline staff).

* ``culture_behaviour_agree`` (group ``<behaviour>|<staff_level>``): staff answering Agree or
  Strongly agree that the desired behaviour happens in their organisation / staff who answered
  the item (Don't know, Not applicable and blank are out of the base); Wilson interval.
  :func:`culture_agreement` gives the same by ``profession`` or ``organisation``.
* ``culture_behaviour_agree`` for all staff (group ``<behaviour>``), by profession (group
  ``<behaviour>|profession:<profession>``) and by organisation (``<behaviour>|organisation:<organisation>``):
  the breakdowns :func:`culture_indicators` publishes beside the staff levels; each adds up to
  the all-staff row (numerators and bases), a linked table of the disclosure gate.
* ``culture_level_gap`` (group ``<behaviour>``): senior minus frontline agreement, with
  Newcombe's hybrid score interval (method 10) from :func:`homekit.stats.change_in_proportion`.
  A positive gap means leaders see a culture their frontline does not. ``numerator`` is blank (a
  difference has no count) and ``denominator`` is the smaller of the two bases, so that a gap is
  never published from a base the rules would not publish.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import stats
from ..instruments import BEHAVIOURS, STAFF_LEVELS
from ._core import Groups, answered, check_data, concat, level_mask, normalise_by, proportion_table

__all__ = ["culture_agreement", "culture_level_gap", "culture_indicators", "AGREE"]

#: Answers that count as agreeing the behaviour happens.
AGREE = ("Agree", "Strongly agree")


def _items(data: pd.DataFrame) -> list[str]:
    return [b for b in BEHAVIOURS if f"behaviour_{b}" in data.columns]


def culture_agreement(data: pd.DataFrame, *, by=("site_id",), across: str = "staff_level") -> pd.DataFrame:
    """Share agreeing that each desired behaviour happens, by ``across``.

    Parameters
    ----------
    data : DataFrame
        A loaded ``culture_survey`` table.
    by : list of str
        Grouping columns kept as columns (``site_id``, ``survey_year``...).
    across : {"staff_level", "profession", "organisation"}
        The breakdown written into ``group`` as ``<behaviour>|<value>``.

    Returns
    -------
    DataFrame
        ``by`` columns, ``indicator`` (``culture_behaviour_agree``), ``group``, ``numerator,
        denominator, estimate, lower, upper, method``.

    Examples
    --------
    >>> import homekit, pandas as pd
    >>> cs = pd.DataFrame({"site_id": ["a"] * 4, "staff_level": ["senior", "senior", "frontline", "frontline"],
    ...                    "behaviour_home_first": ["Agree", "Strongly agree", "Disagree", "Agree"]})
    >>> cs["behaviour_home_first"] = cs["behaviour_home_first"].astype(homekit.instruments.SCALES["agree4"].dtype())
    >>> culture_agreement(cs)[["group", "numerator", "denominator"]].values.tolist()
    [['home_first|frontline', 1.0, 2.0], ['home_first|senior', 2.0, 2.0]]
    """
    by = normalise_by(by)
    if across not in ("staff_level", "profession", "organisation"):
        raise ValueError(f"across must be staff_level, profession or organisation, got {across!r}")
    check_data(data, by + [across], "culture_agreement")
    items = _items(data)
    if not items:
        raise KeyError("culture_agreement: data has no behaviour_<behaviour> columns")
    values = data[across].astype("string")
    groups = Groups(data, by)
    parts = []
    for b in items:
        s = data[f"behaviour_{b}"]
        ok = answered(s)
        agree = level_mask(s, AGREE)
        for level in sorted(values.dropna().unique()):
            mask = (values == level).fillna(False).to_numpy()
            parts.append(proportion_table(groups, agree, ok & mask, "culture_behaviour_agree", f"{b}|{level}"))
    out = concat(parts, by)
    # A level (or profession) with no answers at a site is absent there, not a zero.
    return out[out["denominator"] > 0].reset_index(drop=True) if len(out) else out


def culture_level_gap(data: pd.DataFrame, *, by=("site_id",), confidence: float = 0.95) -> pd.DataFrame:
    """Senior minus frontline agreement that each behaviour happens (Newcombe interval).

    Examples
    --------
    >>> import homekit, pandas as pd
    >>> answers = ["Agree"] * 8 + ["Disagree"] * 2 + ["Agree"] * 4 + ["Disagree"] * 6
    >>> cs = pd.DataFrame({"site_id": "a", "staff_level": ["senior"] * 10 + ["frontline"] * 10,
    ...                    "behaviour_home_first": pd.Categorical(answers, dtype=homekit.instruments.SCALES["agree4"].dtype())})
    >>> r = culture_level_gap(cs)
    >>> round(float(r["estimate"].iloc[0]), 2), r["method"].iloc[0]
    (0.4, 'Newcombe hybrid score (senior minus frontline)')
    """
    by = normalise_by(by)
    check_data(data, by + ["staff_level"], "culture_level_gap")
    agree = culture_agreement(data, by=by, across="staff_level")
    if agree.empty:
        return concat([], by)
    split = agree["group"].str.split("|", n=1, expand=True)
    agree = agree.assign(behaviour=split[0], level=split[1])
    keys = by + ["behaviour"]
    senior = agree[agree["level"] == "senior"].set_index(keys)
    front = agree[agree["level"] == "frontline"].set_index(keys)
    both = senior.index.intersection(front.index)
    rows = []
    for key in both:
        s, f = senior.loc[key], front.loc[key]
        x1, n1, x2, n2 = float(f["numerator"]), float(f["denominator"]), float(s["numerator"]), float(s["denominator"])
        r = stats.change_in_proportion(x1, n1, x2, n2, confidence=confidence).iloc[0]
        est, lo, hi = float(r["estimate"]), float(r["lower"]), float(r["upper"])
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(keys, key)), "indicator": "culture_level_gap", "group": key[-1], "numerator": np.nan,
                     "denominator": min(n1, n2), "estimate": est, "lower": lo, "upper": hi,
                     "method": "Newcombe hybrid score (senior minus frontline)"})
    if not rows:
        return concat([], by)
    out = pd.DataFrame(rows).drop(columns="behaviour")
    order = {b: i for i, b in enumerate(BEHAVIOURS)}
    out["_o"] = out["group"].map(order)
    out = out.sort_values(by + ["_o"], kind="stable").drop(columns="_o").reset_index(drop=True)
    return concat([out], by)


def _all_staff(data: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """``culture_behaviour_agree`` of all staff who answered each behaviour (group ``<behaviour>``)."""
    groups = Groups(data, by)
    parts = [proportion_table(groups, level_mask(data[f"behaviour_{b}"], AGREE), answered(data[f"behaviour_{b}"]),
                              "culture_behaviour_agree", b) for b in _items(data)]
    out = concat(parts, by)
    return out[out["denominator"] > 0].reset_index(drop=True) if len(out) else out


def culture_indicators(data: pd.DataFrame, *, by=("site_id",)) -> pd.DataFrame:
    """The culture indicators in the ``indicators.csv`` shape: agreement by staff level (senior,
    frontline), for all staff, by profession and by organisation, then the gaps.

    Examples
    --------
    >>> import homekit, pandas as pd
    >>> cs = pd.DataFrame({"site_id": "a", "staff_level": ["senior", "senior", "frontline", "frontline"],
    ...                    "profession": ["asc", "asc", "asc", "gp"], "organisation": "council",
    ...                    "behaviour_home_first": ["Agree", "Disagree", "Disagree", "Agree"]})
    >>> cs["behaviour_home_first"] = cs["behaviour_home_first"].astype(homekit.instruments.SCALES["agree4"].dtype())
    >>> culture_indicators(cs)[["group", "numerator", "denominator"]].values.tolist()[:6]
    [['home_first|senior', 1.0, 2.0], ['home_first|frontline', 1.0, 2.0], ['home_first', 2.0, 4.0], ['home_first|profession:asc', 1.0, 3.0], ['home_first|profession:gp', 1.0, 1.0], ['home_first|organisation:council', 2.0, 4.0]]
    """
    by = normalise_by(by)
    parts = [culture_agreement(data, by=by, across="staff_level"), _all_staff(data, by)]
    for across in ("profession", "organisation"):
        part = culture_agreement(data, by=by, across=across)
        b, _, value = part["group"].str.partition("|").T.values if len(part) else ([], [], [])
        parts.append(part.assign(group=[f"{x}|{_BREAKDOWNS[across]}{v}" for x, v in zip(b, value)]))
    agree = concat(parts, by)
    # Contract order: behaviours as listed, senior before frontline, then all staff and the breakdowns.
    behaviour = agree["group"].str.partition("|")[0]
    rest = agree["group"].str.partition("|")[2]
    within = rest.map({lv: j for j, lv in enumerate(STAFF_LEVELS)}).fillna(len(STAFF_LEVELS))
    within = within.where(rest != "", len(STAFF_LEVELS))
    within = within.where(~rest.str.startswith(_BREAKDOWNS["profession"]), len(STAFF_LEVELS) + 1)
    within = within.where(~rest.str.startswith(_BREAKDOWNS["organisation"]), len(STAFF_LEVELS) + 2)
    agree = agree.assign(_o=behaviour.map({b: i for i, b in enumerate(BEHAVIOURS)}) * 10 + within)
    agree = agree.sort_values(by + ["_o"], kind="stable").drop(columns="_o")
    same = breakdown_identities(data, by=by)
    if len(same):  # (private: the gate's linked tables; see breakdown_identities)
        rest = agree["group"].str.partition("|")
        key = agree[by].assign(_total=rest[2].to_numpy())
        parts = key.merge(same.rename(columns={"total": "_total"}), on=by + ["_total"], how="left")["parts"]
        agree["_sum_of"] = [";".join(f"{b}|{p}" for p in ps.split(";")) if isinstance(ps, str) else ""
                            for b, ps in zip(rest[0], parts)]
    return concat([agree, culture_level_gap(data, by=by)], by)


#: The breakdowns of all staff published side by side, and how their groups are written.
_BREAKDOWNS = {"staff_level": "", "profession": "profession:", "organisation": "organisation:"}


def breakdown_identities(data: pd.DataFrame, *, by=("site_id",)) -> pd.DataFrame:
    """Groups of one breakdown of the staff that are exactly a union of groups of another, scope
    by scope: everyone at the acute trust is hospital clinical or hospital discharge staff and all
    of those work there, or the GPs are the GP practice. Such a group's row is then the sum of the
    others' rows for every behaviour, and a reader who sees the pattern in the published figures
    subtracts (a red-team review did: acute trust 18/30 minus hospital clinical 15/21 gave a
    withheld profession's 3 of 9). The gate declares each as a linked table.

    Returns
    -------
    DataFrame
        ``by`` columns, ``total`` (the group as written after ``<behaviour>|``, e.g.
        ``organisation:acute_trust``) and ``parts`` (the groups it is the union of, ``;``-joined).

    Examples
    --------
    >>> import pandas as pd
    >>> cs = pd.DataFrame({"site_id": "a", "staff_level": ["senior", "frontline", "frontline", "senior"],
    ...                    "profession": ["hospital_clinical", "hospital_discharge", "asc", "gp"],
    ...                    "organisation": ["acute_trust", "acute_trust", "council", "gp_practice"]})
    >>> same = breakdown_identities(cs)
    >>> same[same.total.str.startswith("organisation:") & same.parts.str.startswith("profession:")].values.tolist()
    [['a', 'organisation:acute_trust', 'profession:hospital_clinical;profession:hospital_discharge'], ['a', 'organisation:council', 'profession:asc'], ['a', 'organisation:gp_practice', 'profession:gp']]
    >>> same.loc[same.total == "frontline", "parts"].item()  # (four people: the frontline are exactly these two professions)
    'profession:asc;profession:hospital_discharge'
    """
    by = normalise_by(by)
    present = [c for c in _BREAKDOWNS if c in data.columns]
    rows = []
    for key, scope in (data.groupby(by, observed=True, sort=True) if by else [((), data)]):
        key = key if isinstance(key, tuple) else (key,)
        for a in present:
            va = scope[a].astype("string")
            for b in present:
                if a == b:
                    continue
                vb = scope[b].astype("string")
                for value in sorted(va.dropna().unique()):
                    members = (va == value).fillna(False).to_numpy()
                    union = sorted(vb[members].dropna().unique())
                    if union and members.sum() and (vb.isin(union).fillna(False).to_numpy() == members).all():
                        rows.append((*key, _BREAKDOWNS[a] + value, ";".join(_BREAKDOWNS[b] + u for u in union)))
    return pd.DataFrame(rows, columns=by + ["total", "parts"])
