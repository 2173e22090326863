"""Benchmark: headline indicators and Likert summaries for 1,000,000 GP respondents in 150 sites.

Target (issue 3): under 2 s on the 2-core machine, and within 3x of the bare counting floor: one
pandas groupby per answer column counting answers by site, with no intervals. Prints both times
and the ratio. Run: .venv/bin/python benchmarks/bench_indicators.py [n_respondents] [n_sites]
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from homekit.indicators import gp_headlines, likert_distribution, likert_summary, scaled_items
from homekit.instruments import INSTRUMENTS
from homekit.validate import MISSING_SUFFIX


def synthetic_gp(n: int, n_sites: int, seed: int = 1) -> pd.DataFrame:
    """A typed GP survey frame as homekit.load returns it, with random answers and ~5% missing."""
    rng = np.random.default_rng(seed)
    inst = INSTRUMENTS["gp_survey"]
    cols = {
        "respondent_id": pd.array(np.arange(n).astype(str), dtype="string"),
        "site_id": pd.Categorical.from_codes(rng.integers(0, n_sites, n), [f"site_{i:03d}" for i in range(n_sites)]),
        "survey_year": pd.array(np.full(n, 2013), dtype="Int64"),
    }
    reasons = pd.CategoricalDtype(["blank", "dont_know", "not_applicable"])
    for c in inst.columns:
        if not c.answer or c.choices is None:
            continue
        k = len(c.choices.levels)
        codes = rng.integers(0, k, n).astype(np.int8)
        miss = rng.random(n) < 0.05
        codes[miss] = -1
        cols[c.name] = pd.Categorical.from_codes(codes, dtype=c.choices.dtype())
        cols[c.name + MISSING_SUFFIX] = pd.Categorical.from_codes(np.where(miss, 0, -1).astype(np.int8), dtype=reasons)
    return pd.DataFrame(cols)


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(n=1_000_000, n_sites=150):
    df = synthetic_gp(n, n_sites)
    items = scaled_items("gp_survey", df)
    headline_cols = ["relationship_social_care", "value_closer_links", "trust_asc", "trust_discharge_team",
                     "better_assessor_residential", "aware_telecare", "aware_reablement", "quality_reablement",
                     "motivator_fewer_home_visits", "motivator_financial_incentive"]
    counted = list(dict.fromkeys(headline_cols + items))

    def floor():
        for c in counted:
            df.groupby(["site_id", c], observed=True).size()

    def homekit_run():
        gp_headlines(df, by=["site_id"])
        likert_summary(df, items, by=["site_id"])
        likert_distribution(df, items, by=["site_id"])

    floor()
    homekit_run()  # warm up imports and caches
    t_floor = best_of(floor)
    t_hk = best_of(homekit_run)
    print(f"respondents: {n:,}  sites: {n_sites}  answer columns counted: {len(counted)}")
    print(f"floor (pandas groupby counts, no intervals): {t_floor:.3f} s")
    print(f"homekit headlines + Likert summaries + distributions: {t_hk:.3f} s")
    print(f"ratio homekit / floor: {t_hk / t_floor:.2f} (target <= 3); target time < 2 s: {'met' if t_hk < 2 else 'NOT met'}")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*args)
