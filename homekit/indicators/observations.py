"""Observations of practice and of meetings.

``obs_behaviour_desired`` (group ``<behaviour>``): observations where the behaviour was seen as
desired / observations of that behaviour (``mixed`` counts in the base, not in the numerator:
the behaviour was not reliably seen); Wilson interval. With ``across="setting"`` the group is
``<behaviour>|<setting>``; :func:`observation_indicators` publishes both.
"""

from __future__ import annotations

import pandas as pd

from ..instruments import BEHAVIOURS, OBSERVATION_SETTINGS
from ._core import Groups, check_data, concat, normalise_by, observed, proportion_table

__all__ = ["observation_shares", "observation_indicators"]


def observation_shares(data: pd.DataFrame, *, by=("site_id",), across: str | None = None) -> pd.DataFrame:
    """Share of observations where each behaviour was seen as desired.

    Parameters
    ----------
    data : DataFrame
        A loaded ``observations`` table.
    by : list of str
        Grouping columns kept as columns.
    across : {None, "setting"}
        ``None``: group ``<behaviour>``; ``"setting"``: group ``<behaviour>|<setting>``.

    Examples
    --------
    >>> import pandas as pd
    >>> obs = pd.DataFrame({"site_id": "a", "behaviour": ["home_first"] * 4, "setting": ["ward"] * 4,
    ...                     "seen": ["desired", "undesired", "mixed", "desired"]})
    >>> observation_shares(obs)[["group", "numerator", "denominator", "estimate"]].values.tolist()
    [['home_first', 2.0, 4.0, 0.5]]
    """
    by = normalise_by(by)
    if across not in (None, "setting"):
        raise ValueError(f"across must be None or 'setting', got {across!r}")
    check_data(data, by + ["behaviour", "seen"] + ([across] if across else []), "observation_shares")
    groups = Groups(data, by)
    behaviour = data["behaviour"].astype("string").fillna("").to_numpy()
    desired = (data["seen"].astype("string") == "desired").fillna(False).to_numpy()
    present = set(behaviour)
    parts = []
    for b in (b for b in BEHAVIOURS if b in present):
        mask = behaviour == b
        if across is None:
            parts.append(proportion_table(groups, desired, mask, "obs_behaviour_desired", b))
            continue
        setting = data[across].astype("string").fillna("").to_numpy()
        for s in (s for s in OBSERVATION_SETTINGS if s in set(setting[mask])):
            parts.append(observed(proportion_table(groups, desired, mask & (setting == s), "obs_behaviour_desired", f"{b}|{s}")))
    return concat(parts, by)


def observation_indicators(data: pd.DataFrame, *, by=("site_id",)) -> pd.DataFrame:
    """``obs_behaviour_desired`` by behaviour, then by behaviour and setting."""
    by = normalise_by(by)
    return concat([observation_shares(data, by=by), observation_shares(data, by=by, across="setting")], by)
