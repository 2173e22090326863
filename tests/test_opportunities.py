"""Opportunity register: impact x ease x alignment scoring, lists and status counts (by hand)."""

import pandas as pd

from homekit import indicators


def opps():
    return pd.DataFrame({
        "site_id": ["a", "a", "a", "a", "b"],
        "opportunity_id": ["o1", "o2", "o3", "o4", "o1"],
        "status": ["long_list", "approved", "rejected", "implementing", "short_list"],
        "impact": [5, 3, 2, 4, 1], "ease": [2, 4, 2, 4, 1], "alignment": [4, 4, 2, 3, 1],
    })


def test_scores_ranks_and_lists():
    r = indicators.opportunity_scores(opps())
    a = r[r.site_id == "a"]
    # 5x2x4 = 40, 3x4x4 = 48, 2x2x2 = 8, 4x4x3 = 48: o2 and o4 tie at rank 1.
    assert a["opportunity_id"].tolist() == ["o2", "o4", "o1", "o3"]
    assert a["score"].tolist() == [48, 48, 40, 8]
    assert a["rank"].tolist() == [1, 1, 3, 4]
    assert a["list"].tolist() == ["short list", "short list", "long list", "rejected"]
    assert r[r.site_id == "b"]["rank"].tolist() == [1]


def test_status_counts_list_every_status():
    c = indicators.status_counts(opps())
    a = c[c.site_id == "a"].set_index("status")["opportunities"]
    assert a.to_dict() == {"long_list": 1, "short_list": 0, "approved": 1, "implementing": 1, "rejected": 1}
