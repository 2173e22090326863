"""Review of communications given to people and families, and of what is on display.

Proportions of reviewed items (Wilson intervals), blank answers out of the base:

* ``comms_promotes_home_first``, ``comms_plain_language``, ``comms_sets_expectations``: items
  answered Yes / items with an answer;
* ``comms_risk_averse``: items framing risk as ``averse`` / items with a risk framing;
  :func:`comms_risk_framing` gives the whole distribution (enabling, neutral, averse).

:func:`comms_indicators` publishes each over all items (group blank) and by audience and channel
(group ``audience:<audience>`` or ``channel:<channel>``); :func:`comms_shares` takes any ``by``.
"""

from __future__ import annotations

import pandas as pd

from ..instruments import COMMS_AUDIENCES, COMMS_CHANNELS, RISK_FRAMINGS
from ._core import Groups, answered, check_data, concat, level_mask, normalise_by, proportion_table

__all__ = ["comms_shares", "comms_risk_framing", "comms_indicators", "COMMS_ITEMS"]

#: Indicator id -> (column, answers counted).
COMMS_ITEMS = {
    "comms_promotes_home_first": ("promotes_home_first", ("Yes",)),
    "comms_plain_language": ("plain_language", ("Yes",)),
    "comms_sets_expectations": ("sets_expectations", ("Yes",)),
    "comms_risk_averse": ("risk_framing", ("averse",)),
}


def comms_shares(data: pd.DataFrame, *, by=("site_id",), group: str = "") -> pd.DataFrame:
    """The four comms indicators for each ``by`` group (``group`` is written into ``group``).

    Examples
    --------
    >>> import homekit, pandas as pd
    >>> yn = homekit.instruments.SCALES["yesno"].dtype()
    >>> rf = homekit.instruments.CHOICES["risk_framing"].dtype()
    >>> items = pd.DataFrame({"site_id": "a", "promotes_home_first": pd.Categorical(["Yes", "No", None], dtype=yn),
    ...     "plain_language": pd.Categorical(["Yes", "Yes", "Yes"], dtype=yn),
    ...     "sets_expectations": pd.Categorical(["No", "No", "Yes"], dtype=yn),
    ...     "risk_framing": pd.Categorical(["averse", "neutral", "enabling"], dtype=rf)})
    >>> comms_shares(items)[["indicator", "numerator", "denominator"]].values.tolist()[0]
    ['comms_promotes_home_first', 1.0, 2.0]
    """
    by = normalise_by(by)
    check_data(data, by + [c for c, _ in COMMS_ITEMS.values()], "comms_shares")
    groups = Groups(data, by)
    parts = []
    for ind, (col, yes) in COMMS_ITEMS.items():
        s = data[col]
        parts.append(proportion_table(groups, level_mask(s, yes), answered(s), ind, group))
    return concat(parts, by)


def comms_risk_framing(data: pd.DataFrame, *, by=("site_id",), levels=RISK_FRAMINGS) -> pd.DataFrame:
    """Share of items at each risk framing (``comms_risk_framing``, group = framing): enabling,
    neutral and averse partition the items with a framing. :func:`homekit.indicators.compute_indicators`
    publishes enabling and neutral only, since the averse share is ``comms_risk_averse``."""
    by = normalise_by(by)
    check_data(data, by + ["risk_framing"], "comms_risk_framing")
    groups = Groups(data, by)
    s = data["risk_framing"]
    out = [proportion_table(groups, level_mask(s, (f,)), answered(s), "comms_risk_framing", f) for f in levels]
    return concat(out, by)


def comms_indicators(data: pd.DataFrame, *, by=("site_id",)) -> pd.DataFrame:
    """Every comms indicator over all items, then by audience and by channel."""
    by = normalise_by(by)
    parts = [comms_shares(data, by=by)]
    for col, values in (("audience", COMMS_AUDIENCES), ("channel", COMMS_CHANNELS)):
        if col not in data.columns:
            continue
        v = data[col].astype("string")
        for value in values:
            mask = (v == value).fillna(False).to_numpy()
            if mask.any():
                parts.append(comms_shares(data.loc[mask], by=by, group=f"{col}:{value}"))
    out = concat(parts, by)
    order = {ind: i for i, ind in enumerate(COMMS_ITEMS)}
    out["_o"] = out["indicator"].map(order)
    return out.sort_values(by + ["_o"], kind="stable").drop(columns="_o").reset_index(drop=True)
