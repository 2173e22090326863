"""The opportunity register: long list, short list and the impact x ease x alignment score.

The 2013 programme worked from opportunities: a long list from workshops, a short list after
scoring, then detailed development and benefits modelling of each. Each opportunity is scored
``impact x ease x alignment`` (each 1-5, so 1 to 125). The **short list** is every opportunity
whose status is ``short_list``, ``approved`` or ``implementing``; the **long list** is every
opportunity (the rejected ones included, marked so). The benefits of each opportunity are
modelled in :func:`homekit.benefits.opportunity_benefits`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..instruments import OPPORTUNITY_STATUSES
from ._core import check_data, normalise_by

__all__ = ["opportunity_scores", "status_counts", "SHORT_LIST", "SCORE_COLUMNS"]

#: Statuses that put an opportunity on the short list.
SHORT_LIST = ("short_list", "approved", "implementing")
SCORE_COLUMNS = ("impact", "ease", "alignment")


def opportunity_scores(data: pd.DataFrame, *, by=("site_id",)) -> pd.DataFrame:
    """Each opportunity with its score (impact x ease x alignment), rank and list.

    Returns
    -------
    DataFrame
        The input columns plus ``score`` (1-125), ``rank`` (1 = highest score within ``by``; ties
        share the lower rank) and ``list`` (``short list``, ``long list`` or ``rejected``), sorted
        by ``by`` then score, highest first.

    Examples
    --------
    >>> import pandas as pd
    >>> opp = pd.DataFrame({"site_id": "a", "opportunity_id": ["o1", "o2"], "status": ["long_list", "approved"],
    ...                     "impact": [5, 3], "ease": [2, 4], "alignment": [4, 4]})
    >>> opportunity_scores(opp)[["opportunity_id", "score", "rank", "list"]].values.tolist()
    [['o2', 48, 1, 'short list'], ['o1', 40, 2, 'long list']]
    """
    by = normalise_by(by)
    check_data(data, by + ["opportunity_id", "status", *SCORE_COLUMNS], "opportunity_scores")
    out = data.copy()
    score = np.ones(len(out), dtype=np.int64)
    for c in SCORE_COLUMNS:
        score = score * pd.to_numeric(out[c]).astype("int64").to_numpy()
    out["score"] = score
    status = out["status"].astype(str)
    out["list"] = np.select([status.isin(SHORT_LIST), status == "rejected"], ["short list", "rejected"], "long list")
    if by:
        out["rank"] = out.groupby(by, observed=True)["score"].rank(method="min", ascending=False).astype(int)
    else:
        out["rank"] = out["score"].rank(method="min", ascending=False).astype(int)
    return out.sort_values(by + ["score", "opportunity_id"], ascending=[True] * len(by) + [False, True], kind="stable").reset_index(drop=True)


def status_counts(data: pd.DataFrame, *, by=("site_id",)) -> pd.DataFrame:
    """How many opportunities are at each status (every status listed, zeros included).

    Examples
    --------
    >>> import pandas as pd
    >>> opp = pd.DataFrame({"site_id": "a", "status": ["long_list", "approved", "approved"]})
    >>> status_counts(opp).set_index("status")["opportunities"].to_dict()["approved"]
    2
    """
    by = normalise_by(by)
    check_data(data, by + ["status"], "status_counts")
    status = pd.Categorical(data["status"].astype(str), categories=list(OPPORTUNITY_STATUSES))
    counts = data.assign(status=status).groupby(by + ["status"], observed=False).size().rename("opportunities").reset_index()
    return counts
