"""Change between survey rounds: Newcombe differences worked by hand, verdicts from polarity."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st
from statsmodels.stats.proportion import confint_proportions_2indep

import homekit
from conftest import TWO_ROUND_TRUST
from homekit import stats
from homekit.indicators import change_table, indicator_history
from homekit.indicators.change import CHANGE_COLUMNS, national_change

Z = 1.959963984540054  # the 97.5% point of the standard normal


def wilson(x, n, z=Z):
    """Wilson score limits written out: (2x + z^2 -/+ z sqrt(z^2 + 4x(n-x)/n)) / (2(n + z^2))."""
    root = z * math.sqrt(z * z + 4 * x * (n - x) / n)
    return (2 * x + z * z - root) / (2 * (n + z * z)), (2 * x + z * z + root) / (2 * (n + z * z))


def test_newcombe_method_10_by_hand_and_published():
    # Newcombe (1998) Stat Med 17:873, Table II example (a): 56/70 against 48/80.
    l1, u1 = wilson(56, 70)
    l2, u2 = wilson(48, 80)
    # 56/70: (115.8415 -/+ 13.6695) / 147.6829 = 0.6918, 0.8770; 48/80: (99.8415 -/+ 17.6006) / 167.6829 = 0.4905, 0.7004
    assert (round(l1, 4), round(u1, 4), round(l2, 4), round(u2, 4)) == (0.6918, 0.8770, 0.4905, 0.7004)
    d = 56 / 70 - 48 / 80
    lower = d - math.sqrt((56 / 70 - l1) ** 2 + (u2 - 48 / 80) ** 2)  # 0.2 - sqrt(0.1082^2 + 0.1004^2)
    upper = d + math.sqrt((u1 - 56 / 70) ** 2 + (48 / 80 - l2) ** 2)  # 0.2 + sqrt(0.0770^2 + 0.1095^2)
    assert (round(lower, 4), round(upper, 4)) == (0.0524, 0.3339)  # the published method 10 limits
    r = stats.newcombe_difference(48, 80, 56, 70).iloc[0]
    assert r["difference"] == pytest.approx(0.2)
    assert (r["lower"], r["upper"]) == (pytest.approx(lower, abs=1e-9), pytest.approx(upper, abs=1e-9))
    # Table II example (b): 9/10 against 3/10 -> 0.6 (0.1705 to 0.8090).
    r = stats.newcombe_difference(3, 10, 9, 10).iloc[0]
    assert (round(r["lower"], 4), round(r["upper"], 4)) == (0.1705, 0.8090)


@pytest.mark.parametrize("x1, n1, x2, n2", [(48, 80, 56, 70), (20, 40, 35, 40), (36, 40, 20, 40), (30, 40, 30, 40), (5, 56, 0, 29),
                                            (12, 30, 18, 31)])
def test_p_value_inverts_the_interval(x1, n1, x2, n2):
    r = stats.newcombe_difference(x1, n1, x2, n2).iloc[0]
    excludes = r["lower"] > 0 or r["upper"] < 0
    assert (r["p_value"] < 0.05) == excludes
    if 0 < r["p_value"] < 1:
        # At confidence 1 - p the limit nearer zero touches zero.
        at_p = stats.newcombe_difference(x1, n1, x2, n2, confidence=1 - r["p_value"]).iloc[0]
        near = at_p["lower"] if r["difference"] > 0 else at_p["upper"]
        assert near == pytest.approx(0, abs=1e-7)
    else:
        assert r["difference"] == 0 and r["p_value"] == 1


def _verdict(lower, upper, higher_is_better=True):
    if lower > 0:
        return "improved" if higher_is_better else "worsened"
    if upper < 0:
        return "worsened" if higher_is_better else "improved"
    return "no significant change"


def test_two_round_sites_against_an_independent_computation(two_round_dir):
    data = homekit.load_data_dir(two_round_dir)
    ch = change_table(indicator_history(data))
    assert list(ch.columns) == CHANGE_COLUMNS
    got = ch[ch.indicator == "gp_trust_asc"].set_index("site_id")
    expected_words = {"alpha": "improved", "beta": "no significant change", "gamma": "worsened"}
    for site in ("alpha", "beta", "gamma"):
        (x1, n1), (x2, n2) = TWO_ROUND_TRUST[(site, 2013)], TWO_ROUND_TRUST[(site, 2019)]
        lo, hi = confint_proportions_2indep(x2, n2, x1, n1, method="newcomb", compare="diff")  # statsmodels, not homekit
        row = got.loc[site]
        assert (row["from_period"], row["to_period"]) == ("2013", "2019")
        assert row.from_estimate == pytest.approx(x1 / n1) and row.to_estimate == pytest.approx(x2 / n2)
        assert row.difference == pytest.approx(x2 / n2 - x1 / n1)
        assert (row.lower, row.upper) == (pytest.approx(lo, abs=1e-9), pytest.approx(hi, abs=1e-9))
        assert row.verdict == _verdict(lo, hi) == expected_words[site]
        assert not row.suppressed


def test_national_change_pools_the_same_sites(two_round_dir):
    data = homekit.load_data_dir(two_round_dir)
    row = national_change(data).set_index("indicator").loc["gp_trust_asc"]
    x1 = sum(TWO_ROUND_TRUST[(s, 2013)][0] for s in ("alpha", "beta", "gamma"))  # 86 of 120
    x2 = sum(TWO_ROUND_TRUST[(s, 2019)][0] for s in ("alpha", "beta", "gamma"))  # 85 of 120
    lo, hi = confint_proportions_2indep(x2, 120, x1, 120, method="newcomb", compare="diff")
    assert row.site_id == "national" and (row["from_period"], row["to_period"]) == ("2013", "2019")
    assert (row.difference, row.lower, row.upper) == (pytest.approx(-1 / 120), pytest.approx(lo), pytest.approx(hi))
    assert row.verdict == "no significant change"


def test_lower_is_better_and_no_judgement_words():
    h = pd.DataFrame({"site_id": "s", "indicator": ["gp_relationship_poor"] * 2 + ["gp_value_closer_links"] * 2, "group": "",
                      "numerator": [30.0, 10.0, 20.0, 38.0], "denominator": [40.0] * 4, "estimate": [0.75, 0.25, 0.5, 0.95],
                      "lower": np.nan, "upper": np.nan, "period": ["2013", "2019"] * 2})
    c = change_table(h).set_index("indicator")
    assert c.loc["gp_relationship_poor", "verdict"] == "improved"  # fewer GPs rating it poor
    assert c.loc["gp_value_closer_links", "verdict"] == "increased"  # no judgement of direction


def test_welch_for_means_matches_scipy():
    rng = np.random.default_rng(1)
    a, b = rng.integers(1, 6, 35).astype(float), rng.integers(2, 6, 50).astype(float)
    rows = []
    for period, v in (("2013", a), ("2019", b)):
        m, lo, hi = stats.mean_ci(v)
        rows.append({"site_id": "s", "indicator": "prof_relationship_score", "group": "asc->gp", "numerator": v.sum(),
                     "denominator": float(len(v)), "estimate": m, "lower": lo, "upper": hi, "period": period})
    c = change_table(pd.DataFrame(rows)).iloc[0]
    res = st.ttest_ind(b, a, equal_var=False)
    ci = res.confidence_interval()
    assert c.p_value == pytest.approx(res.pvalue, rel=1e-6)
    assert (c.lower, c.upper) == (pytest.approx(ci.low, rel=1e-6), pytest.approx(ci.high, rel=1e-6))
    assert c.method.startswith("Welch")


def test_a_withheld_round_withholds_the_change():
    h = pd.DataFrame({"site_id": "s", "indicator": "gp_trust_asc", "group": "", "numerator": [np.nan, 30.0],
                      "denominator": [10.0, 40.0], "estimate": [np.nan, 0.75], "lower": np.nan, "upper": np.nan,
                      "period": ["2013", "2019"], "suppressed": [True, False]})
    c = change_table(h).iloc[0]
    assert c.suppressed and c.verdict == "not compared"
    assert np.isnan(c.difference) and np.isnan(c.from_estimate) and c.to_estimate == 0.75


def test_example_data_trust_unchanged_nationally_while_sites_move(example_dir):
    """The example's second round (2019): national trust in ASC flat, two sites improve, one worsens."""
    data = homekit.load_data_dir(example_dir)
    gp = data["gp_survey"]
    agree = gp.trust_asc.isin(["Agree", "Strongly agree"])
    answered = gp.trust_asc.notna()
    wave1 = set(gp.loc[gp.survey_year == 2019, "site_id"])
    counts = {}
    for (site, year), part in gp[gp.site_id.isin(wave1)].groupby(["site_id", "survey_year"]):
        counts[(site, year)] = (int((agree & answered)[part.index].sum()), int(answered[part.index].sum()))
    words = {}
    for site in wave1:
        (x1, n1), (x2, n2) = counts[(site, 2013)], counts[(site, 2019)]
        lo, hi = confint_proportions_2indep(x2, n2, x1, n1, method="newcomb", compare="diff")
        words[site] = _verdict(lo, hi)
    assert sorted(w for w in words.values() if w != "no significant change") == ["improved", "improved", "worsened"]
    x1, n1 = map(sum, zip(*[counts[(s, 2013)] for s in wave1]))
    x2, n2 = map(sum, zip(*[counts[(s, 2019)] for s in wave1]))
    lo, hi = confint_proportions_2indep(x2, n2, x1, n1, method="newcomb", compare="diff")
    assert _verdict(lo, hi) == "no significant change" and abs(x2 / n2 - 0.73) < 0.02
    # homekit says the same words.
    ch = change_table(indicator_history(data))
    got = ch[ch.indicator == "gp_trust_asc"].set_index("site_id")["verdict"].to_dict()
    assert got == words
    assert national_change(data).set_index("indicator").loc["gp_trust_asc", "verdict"] == "no significant change"


def test_change_is_derived_from_the_published_rounds_only():
    """People rule: rounded counts are published, and the change uses exactly those."""
    from homekit.disclosure import DisclosureRules, disclose_change, disclose_indicators

    raw = pd.DataFrame({"site_id": "s", "indicator": "op_planned_ahead", "group": "", "numerator": [13.0, 24.0, 3.0],
                        "denominator": [42.0, 47.0, 44.0], "estimate": [13 / 42, 24 / 47, 3 / 44], "lower": np.nan,
                        "upper": np.nan, "method": "Wilson", "period": ["2013", "2016", "2019"]})
    published = disclose_indicators(raw, DisclosureRules())
    assert published["numerator"].tolist()[:2] == [15.0, 25.0] and published["denominator"].tolist()[:2] == [40.0, 45.0]
    assert bool(published["suppressed"].iloc[2])  # 3 people
    ch = disclose_change(published)
    first = ch.iloc[0]
    lo, hi = confint_proportions_2indep(25, 45, 15, 40, method="newcomb", compare="diff")  # from the published 15/40 and 25/45
    assert first.difference == pytest.approx(25 / 45 - 15 / 40)
    assert (first.lower, first.upper) == (pytest.approx(lo), pytest.approx(hi))
    second = ch.iloc[1]
    assert second.suppressed and second.verdict == "not compared" and np.isnan(second.difference)
    with pytest.raises(ValueError, match="published history"):
        disclose_change(raw)
