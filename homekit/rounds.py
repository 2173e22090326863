"""Survey rounds: a site surveyed in 2013 and again in 2019 is one data folder.

A survey file may hold several rounds per site, told apart by ``survey_year`` and, for two rounds
in one year, ``survey_round`` (1, 2, ...; blank is 1). Every round has a ``period`` label:
``"2019"`` for the first (or only) round of a year, ``"2019-2"`` for the second (contract, second
release). Rounds group like any other column: ``by=["site_id", "survey_year", "survey_round"]``.

Examples
--------
>>> period_label(2019, 1), period_label(2019, 2)
('2019', '2019-2')
>>> sorted(["2019", "2013", "2019-2", "2019-10"], key=period_key)
['2013', '2019', '2019-2', '2019-10']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .instruments import INSTRUMENTS

__all__ = [
    "ROUND_COLUMNS",
    "SURVEY_INSTRUMENTS",
    "period_label",
    "period_key",
    "add_period",
    "latest_round",
    "rounds_of",
]

#: The columns that tell one survey round from another within a site.
ROUND_COLUMNS = ["survey_year", "survey_round"]

#: Instruments answered in survey rounds (they have a ``survey_year`` column).
SURVEY_INSTRUMENTS = tuple(name for name, inst in INSTRUMENTS.items() if "survey_year" in inst.names)


def period_label(year, round_=1) -> str:
    """``"2019"`` for round 1 of 2019, ``"2019-2"`` for round 2 (blank round is round 1)."""
    y = int(year)
    r = 1 if round_ is None or pd.isna(round_) else int(round_)
    return str(y) if r == 1 else f"{y}-{r}"


def period_key(label) -> tuple[int, int]:
    """Sort key of a period label: ``"2019-2"`` -> (2019, 2); ``"2019"`` -> (2019, 1).

    A pooled label listing several periods (``"2013; 2014"``) sorts by its latest one.
    """
    text = str(label).split(";")[-1].strip()
    year, _, rnd = text.partition("-")
    return int(year), int(rnd) if rnd else 1


def _round_series(data: pd.DataFrame) -> pd.Series:
    if "survey_round" in data.columns:
        return data["survey_round"].astype("Int64").fillna(1)
    return pd.Series(pd.array([1] * len(data), dtype="Int64"), index=data.index)


def add_period(data: pd.DataFrame) -> pd.DataFrame:
    """A copy of a table (survey answers, or indicators grouped by round) with a ``period`` column.

    ``data`` needs ``survey_year`` (and optionally ``survey_round``).
    """
    out = data.copy()
    # (as plain Python values, each (year, round) labelled once: element by element, the nullable
    # integer columns cost a tenth of a 150-site run's preparation)
    years = out["survey_year"].astype("Int64").to_numpy(dtype=object, na_value=None)
    rounds = _round_series(out).to_numpy(dtype=object, na_value=None)
    labels: dict = {}
    out["period"] = [labels[k] if k in labels else labels.setdefault(k, period_label(*k) if k[0] is not None else "")
                     for k in zip(years, rounds)]
    return out


def rounds_of(data: pd.DataFrame, by=("site_id",)) -> pd.DataFrame:
    """The rounds of each ``by`` group, in time order: ``by, survey_year, survey_round, period, order``.

    ``order`` counts a group's rounds from 1 (its first survey) upwards.
    """
    by = list(by)
    keys = data[by + ["survey_year"]].copy()
    keys["survey_round"] = _round_series(data).to_numpy()
    keys = keys.drop_duplicates().dropna(subset=["survey_year"])
    keys = keys.sort_values(by + ["survey_year", "survey_round"], kind="stable").reset_index(drop=True)
    keys["period"] = [period_label(y, r) for y, r in zip(keys["survey_year"], keys["survey_round"])]
    keys["order"] = (keys.groupby(by, sort=False).cumcount() + 1) if by else np.arange(1, len(keys) + 1)
    return keys


def latest_round(data: pd.DataFrame, by=("site_id",)) -> pd.DataFrame:
    """The rows of each site's latest survey round (latest year, then highest round).

    Examples
    --------
    >>> df = pd.DataFrame({"site_id": ["a", "a", "b"], "survey_year": [2013, 2019, 2014]})
    >>> latest_round(df)["survey_year"].tolist()
    [2019, 2014]
    """
    by = list(by)
    if data.empty:
        return data
    year = data["survey_year"].astype("Int64").astype(float).to_numpy()
    rnd = _round_series(data).astype(float).to_numpy()
    score = pd.Series(year * 1000 + rnd, index=data.index)
    best = score.groupby([data[b] for b in by], observed=True, sort=False).transform("max") if by else score.max()
    return data.loc[score == best]
