"""Coded interview evidence: theme counts by stakeholder group and sentiment."""

from __future__ import annotations

import pandas as pd

from ._core import check_data, concat, proportion_from_counts

__all__ = ["theme_counts", "interview_indicators"]


def theme_counts(data: pd.DataFrame, *, by=("site_id",)) -> pd.DataFrame:
    """Mentions of each theme by stakeholder group and sentiment (-1, 0, 1), with mean sentiment.

    Returns
    -------
    DataFrame
        ``by`` columns, ``theme, stakeholder_group, negative, neutral, positive, mentions,
        mean_sentiment``.
    """
    by = list(by or [])
    check_data(data, by + ["theme", "stakeholder_group", "sentiment"], "theme_counts")
    s = data["sentiment"].astype(str).astype(int)
    d = data.assign(negative=(s == -1).astype(int), neutral=(s == 0).astype(int), positive=(s == 1).astype(int), s=s)
    out = (
        d.groupby(by + ["theme", "stakeholder_group"], observed=True)
        .agg(negative=("negative", "sum"), neutral=("neutral", "sum"), positive=("positive", "sum"),
             mentions=("s", "size"), mean_sentiment=("s", "mean"))
        .reset_index()
    )
    return out


def interview_indicators(data: pd.DataFrame, *, by=("site_id",)) -> pd.DataFrame:
    """``interview_theme_share`` (group = theme): interviews that raised the theme / interviews."""
    by = list(by or [])
    check_data(data, by + ["interview_id", "theme"], "interview_indicators")
    key = by + ["interview_id"]
    n_interviews = data.drop_duplicates(key).groupby(by, observed=True).size() if by else pd.Series([data["interview_id"].nunique()])
    parts = []
    for theme, sub in data.groupby("theme", observed=True):
        if by:
            num = sub.drop_duplicates(key).groupby(by, observed=True).size().reindex(n_interviews.index, fill_value=0)
            keys = n_interviews.index.to_frame(index=False)
        else:
            num = pd.Series([sub["interview_id"].nunique()])
            keys = pd.DataFrame(index=[0])
        parts.append(proportion_from_counts(keys, num.to_numpy(float), n_interviews.to_numpy(float), "interview_theme_share", str(theme)))
    out = concat(parts, by)
    return out.assign(estimate=out["estimate"].astype(float)) if len(out) else out
