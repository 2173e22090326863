"""Older people survey indicators: influencers, most influential, planning ahead, trust."""

from __future__ import annotations

import pandas as pd

from ..instruments import CHOICES
from ._core import Groups, answered, check_data, concat, level_mask, normalise_by, proportion_table

__all__ = ["older_people_indicators", "INFLUENCERS"]

INFLUENCERS = ("gp", "family", "social_worker", "hospital_staff", "friends", "self")


def older_people_indicators(data: pd.DataFrame, *, by=("site_id",)) -> pd.DataFrame:
    """Headlines ``op_planned_ahead`` and ``op_influenced_by_gp``, plus, with a group each,
    ``op_influenced_by`` (every influencer), ``op_most_influential`` (share naming each) and
    ``op_trust_gp_advice`` (Agree or Strongly agree). Bases exclude missing answers."""
    by = normalise_by(by)
    check_data(data, by + ["planned_ahead", "influence_gp", "most_influential", "trust_gp_advice"], "older_people_indicators")
    g = Groups(data, by)
    yes = ("Yes",)
    parts = [
        proportion_table(g, level_mask(data["planned_ahead"], yes), answered(data["planned_ahead"]), "op_planned_ahead"),
        proportion_table(g, level_mask(data["influence_gp"], yes), answered(data["influence_gp"]), "op_influenced_by_gp"),
    ]
    for who in INFLUENCERS:
        s = data[f"influence_{who}"]
        parts.append(proportion_table(g, level_mask(s, yes), answered(s), "op_influenced_by", who))
    s = data["most_influential"]
    for label in CHOICES["influencer"].levels:
        parts.append(proportion_table(g, level_mask(s, (label,)), answered(s), "op_most_influential", label))
    s = data["trust_gp_advice"]
    parts.append(proportion_table(g, level_mask(s, ("Agree", "Strongly agree")), answered(s), "op_trust_gp_advice"))
    return concat(parts, by)
