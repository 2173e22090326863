"""Coded interview evidence: theme counts by stakeholder group and sentiment."""

from __future__ import annotations

import pandas as pd

from ._core import check_data, concat, observed, proportion_from_counts

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


#: Coded sentiment -> tone.
TONES = {"-1": "negative", "0": "neutral", "1": "positive"}


def interview_indicators(data: pd.DataFrame, *, by=("site_id",)) -> pd.DataFrame:
    """``interview_theme_share`` (group = theme): interviews that raised the theme / interviews;
    ``interview_theme_tone`` (group = ``<theme>|<tone>``, tone ``negative``, ``neutral`` or
    ``positive``): mentions of the theme in that tone / mentions of the theme (the tones partition
    the mentions: a linked table of the gate, so that "[c], 0, 0" never shows that every mention
    of a small theme was negative).

    Examples
    --------
    >>> import pandas as pd
    >>> iv = pd.DataFrame({"site_id": "a", "interview_id": ["i1", "i1", "i2", "i3"],
    ...                    "theme": ["capacity", "trust", "capacity", "capacity"], "sentiment": ["-1", "1", "-1", "0"]})
    >>> t = interview_indicators(iv).set_index("group")
    >>> [(g, int(t.loc[g, "numerator"]), int(t.loc[g, "denominator"])) for g in ("capacity", "capacity|negative", "trust|positive")]
    [('capacity', 3, 3), ('capacity|negative', 2, 3), ('trust|positive', 1, 1)]
    """
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
        parts.append(observed(proportion_from_counts(keys, num.to_numpy(float), n_interviews.to_numpy(float), "interview_theme_share",
                                                     str(theme)), "numerator"))
    if "sentiment" in data.columns:  # the tone of each theme's mentions (the report's tone table)
        tone = data["sentiment"].astype(str).map(TONES)
        for theme, sub in data.assign(_tone=tone).groupby("theme", observed=True):
            if by:
                mentions = sub.groupby(by, observed=True).size().reindex(n_interviews.index, fill_value=0)
                keys = n_interviews.index.to_frame(index=False)
            else:
                mentions = pd.Series([len(sub)])
                keys = pd.DataFrame(index=[0])
            for name in TONES.values():
                said = sub[sub["_tone"] == name]
                num = (said.groupby(by, observed=True).size().reindex(n_interviews.index, fill_value=0) if by
                       else pd.Series([len(said)]))
                parts.append(observed(proportion_from_counts(keys, num.to_numpy(float), mentions.to_numpy(float),
                                                             "interview_theme_tone", f"{theme}|{name}")))
    out = concat(parts, by)
    return out.assign(estimate=out["estimate"].astype(float)) if len(out) else out
